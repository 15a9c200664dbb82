// swift-tools-version:6.0
// Benchmarks live in a package of their own so that the main package's build and tests never
// pay for them. Run: swift run -c release --package-path Benchmarks logformat-bench
import PackageDescription

let package = Package(
    name: "replrec-benchmarks",
    dependencies: [
        .package(name: "replrec", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "logformat-bench",
            dependencies: [.product(name: "LogFormat", package: "replrec")]
        ),
    ]
)
