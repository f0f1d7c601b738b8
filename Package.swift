// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imagepipe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "imagepipe", targets: ["imagepipe"]),
        .library(name: "ImagePipe", targets: ["ImagePipe"]),
        .library(name: "ImagePipeCore", targets: ["ImagePipeCore"]),
        .library(name: "ImagePipeLanguage", targets: ["ImagePipeLanguage"]),
        .library(name: "ImagePipePlan", targets: ["ImagePipePlan"]),
        .library(name: "ImagePipeEmulator", targets: ["ImagePipeEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // The bottom layer: support, JSON, templates, data files, images, the failure vocabulary
        // and the HTTP transport. It imports nothing of imagepipe's, and the compiler checks it.
        .target(
            name: "ImagePipeCore",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The language: declarations, the config reader, diagnostics, the schema and docs generators.
        .target(
            name: "ImagePipeLanguage",
            dependencies: [
                "ImagePipeCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The plan: the DAG, the compiler, the item model, fingerprints, the dry run, and the
        // component protocols (stage kinds, provider kinds) the library's components implement.
        .target(
            name: "ImagePipePlan",
            dependencies: ["ImagePipeCore", "ImagePipeLanguage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // libvips (Debian's libvips-dev, found through pkg-config) and the non-variadic C entry
        // points Swift calls it through.
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVipsShim", dependencies: ["CVips"]),
        // libpq, PostgreSQL's own client library (Debian's libpq-dev): the shared ledger of many workers.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "ImagePipe",
            dependencies: [
                "ImagePipeCore",
                "CVipsShim",
                "CLibPQ",
                "ImagePipeLanguage",
                "ImagePipePlan",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The webhook receiver of `run --listen`: the server half of the NIO stack the HTTP client already builds.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .target(
            name: "ImagePipeEmulator",
            dependencies: [
                "ImagePipe",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "imagepipe",
            dependencies: [
                "ImagePipe",
                "ImagePipeEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "ImagePipeTests",
            // The CLI tests start the built binary: depending on it means they never run a stale one.
            dependencies: ["ImagePipe", "ImagePipeCore", "ImagePipeLanguage", "ImagePipePlan", "ImagePipeEmulator", "imagepipe", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
