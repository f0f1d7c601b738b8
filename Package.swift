// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imagepipe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "imagepipe", targets: ["imagepipe"]),
        .library(name: "ImagePipe", targets: ["ImagePipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "ImagePipe",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "imagepipe",
            dependencies: [
                "ImagePipe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ImagePipeTests",
            dependencies: ["ImagePipe"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
