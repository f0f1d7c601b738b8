/// The exit codes users' scripts depend on.
enum ExitStatus {
    static let ok: Int32 = 0
    static let itemsFailed: Int32 = 1
    static let invalid: Int32 = 2
    static let interrupted: Int32 = 130
}
