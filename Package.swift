// swift-tools-version:6.0
import PackageDescription

/// What every command-line tool builds on.
let commandLine: [Target.Dependency] = [
    "LogFormat", "CommandLineSupport",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "SystemPackage", package: "swift-system"),
]

/// Links an executable with the Swift standard library and Foundation in it.
let staticStdlib: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"]), .linkedLibrary("_FoundationCShims"), .linkedLibrary("_FoundationCollections")]

/// What the two tools that run a program under the layer add.
let programRunning: [Target.Dependency] = ["CReplABI", "CProcessShims", "ProgramSupport"]

let package = Package(
    name: "replrec",
    products: [
        .executable(name: "replrec", targets: ["Recorder"]),
        .executable(name: "replplay", targets: ["Replayer"]),
        .executable(name: "logtool", targets: ["logtool"]),
        .library(name: "LogFormat", targets: ["LogFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // System libraries: the compressors come from the distribution (liblz4-dev, libzstd-dev).
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // The shared-memory ABI between the interception layer and the tools (header only). The
        // layer itself (Sources/CInterpose) is built by scripts/build-interposer.sh with cc: no
        // Swift target depends on it, and it must need only libc.
        .systemLibrary(name: "CReplABI", path: "Sources/CReplABI"),
        .systemLibrary(name: "CProcessShims", path: "Sources/CProcessShims"),
        // CRC-32C with the SSE4.2 instruction where the CPU has it, a table otherwise.
        .target(name: "CCRC32C"),

        // The replication log: message model, frames, segments, writer, reader, follower, verifier.
        .target(
            name: "LogFormat",
            dependencies: [
                "CLZ4", "CZstd", "CCRC32C", "CReplABI",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // Starting a program under the interception layer (replrec and replplay).
        .target(
            name: "ProgramSupport",
            dependencies: ["CReplABI", "CProcessShims", "LogFormat", "CommandLineSupport",
                           .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Command-line tools, and what they share: diagnostics, clocks, number formats, the
        // process's context, log options as typed arguments.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "LogFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The tools carry the Swift runtime and libraries in themselves (-static-stdlib): copied
        // with the layer to a backup host, they run without a Swift toolchain there.
        .executableTarget(name: "Recorder", dependencies: commandLine + programRunning, linkerSettings: staticStdlib),
        .executableTarget(name: "Replayer", dependencies: commandLine + programRunning, exclude: ["gdb"],
                          linkerSettings: staticStdlib),
        .executableTarget(name: "logtool", dependencies: commandLine, linkerSettings: staticStdlib),

        .testTarget(
            name: "LogFormatTests",
            dependencies: [
                "LogFormat", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // What the test targets share: temporary directories, running programs, reading logs.
        .target(
            name: "TestSupport",
            dependencies: ["LogFormat", .product(name: "SystemPackage", package: "swift-system")],
            path: "Tests/TestSupport"
        ),
        // The tests run the tools as built products (`swift build --build-tests` builds them), never
        // link them: a statically linked executable's flags would carry into the test bundle.
        .testTarget(
            name: "RecorderTests",
            dependencies: [
                "LogFormat", "CommandLineSupport", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "logtoolTests",
            dependencies: [
                "LogFormat", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ]
)
