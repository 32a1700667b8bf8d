// swift-tools-version:6.0
// The ceiling of the Sejf benchmarks: the smallest Hummingbird 2 server that answers the API's
// requests, so `Benchmarks/bench.py` can report how close `sejf server` gets to what this HTTP
// stack does on the same machine. A package of its own, so the main package does not build it.
import PackageDescription

let package = Package(
    name: "ceiling",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ceiling", targets: ["ceiling"]),
    ],
    dependencies: [
        // The same Hummingbird as `sejf server` (the main package's Package.swift).
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "ceiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
