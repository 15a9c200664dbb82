// swift-tools-version:6.0
// Fuzzers: a libFuzzer target over the segment and frame decoder, a mutation fuzzer that
// replays mutated logs through real replplay and real programs, and a sweep of single-bit flips. Run both with Fuzz/run.sh.
import PackageDescription

let package = Package(
    name: "replrec-fuzz",
    dependencies: [
        .package(name: "replrec", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .executableTarget(
            name: "logformat-fuzz",
            dependencies: [.product(name: "LogFormat", package: "replrec")]
        ),
        .target(name: "CFuzzShims"),
        .executableTarget(
            name: "replay-fuzz",
            dependencies: [
                "CFuzzShims",
                .product(name: "LogFormat", package: "replrec"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "flip-sweep",
            dependencies: [
                .product(name: "LogFormat", package: "replrec"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ]
)
