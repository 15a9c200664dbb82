// swift-tools-version:6.0
// A libFuzzer target over the segment and frame decoder. Build and run with Fuzz/run.sh.
import PackageDescription

let package = Package(
    name: "replrec-fuzz",
    dependencies: [
        .package(name: "replrec", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "logformat-fuzz",
            dependencies: [.product(name: "LogFormat", package: "replrec")]
        ),
    ]
)
