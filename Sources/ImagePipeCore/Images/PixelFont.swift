/// A 5×7 pixel font for the labels placeholder images carry (the item's key, stage, variant and
/// a prompt excerpt), so that wiring can be checked by eye in an image viewer. ASCII letters are
/// drawn upper-case; what the font lacks is drawn as '?'.
package enum PixelFont {
    package static let glyphWidth = 5
    package static let glyphHeight = 7

    /// Rows top to bottom, five bits each, leftmost pixel in the highest bit.
    private static let glyphs: [Character: [UInt8]] = [
        "A": [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        "B": [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110],
        "C": [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110],
        "D": [0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110],
        "E": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111],
        "F": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000],
        "G": [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111],
        "H": [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        "I": [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "J": [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100],
        "K": [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001],
        "L": [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
        "M": [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001],
        "N": [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001],
        "O": [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        "P": [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000],
        "Q": [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101],
        "R": [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
        "S": [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110],
        "T": [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100],
        "U": [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        "V": [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100],
        "W": [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010],
        "X": [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001],
        "Y": [0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100],
        "Z": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111],
        "0": [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        "1": [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "2": [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        "3": [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
        "4": [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        "5": [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        "6": [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        "7": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        "8": [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        "9": [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        "-": [0, 0, 0, 0b11111, 0, 0, 0],
        "_": [0, 0, 0, 0, 0, 0, 0b11111],
        "#": [0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010],
        ":": [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        ".": [0, 0, 0, 0, 0, 0b01100, 0b01100],
        ",": [0, 0, 0, 0, 0b01100, 0b00100, 0b01000],
        "/": [0b00001, 0b00010, 0b00010, 0b00100, 0b01000, 0b01000, 0b10000],
        "=": [0, 0, 0b11111, 0, 0b11111, 0, 0],
        "(": [0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010],
        ")": [0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000],
        "?": [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0, 0b00100],
        " ": [0, 0, 0, 0, 0, 0, 0],
    ]

    package static func glyph(_ c: Character) -> [UInt8] {
        let upper = Character(String(c).uppercased())
        return glyphs[upper] ?? glyphs["?"]!
    }

    /// Draws the lines from the top-left corner, white on a dark band, as large as fits (up to
    /// 8× the font); lines too long for the image are cut.
    package static func draw(_ lines: [String], into rgb: inout [UInt8], width: Int, height: Int) {
        let lines = lines.filter { !$0.isEmpty }
        guard !lines.isEmpty, width >= 8, height >= 10 else { return }
        let longest = lines.map(\.count).max() ?? 1
        let scale = max(1, min(8, (width - 2) / (longest * (glyphWidth + 1)), (height - 2) / (lines.count * (glyphHeight + 3))))
        let charsPerLine = max(1, (width - 2) / ((glyphWidth + 1) * scale))
        func set(_ x: Int, _ y: Int, _ value: UInt8) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            rgb[i] = value
            rgb[i + 1] = value
            rgb[i + 2] = value
        }
        for (n, line) in lines.enumerated() {
            let top = 1 + n * (glyphHeight + 3) * scale
            guard top + (glyphHeight + 2) * scale <= height else { break }
            let text = Array(line.prefix(charsPerLine))
            let bandWidth = min(width, 2 + text.count * (glyphWidth + 1) * scale)
            for y in top..<(top + (glyphHeight + 2) * scale) {
                for x in 0..<bandWidth { set(x, y, 24) }
            }
            for (column, character) in text.enumerated() {
                let left = 1 + column * (glyphWidth + 1) * scale
                for (row, bits) in glyph(character).enumerated() {
                    for bit in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - bit)) != 0 {
                        for dy in 0..<scale {
                            for dx in 0..<scale { set(left + bit * scale + dx, top + scale + row * scale + dy, 255) }
                        }
                    }
                }
            }
        }
    }
}
