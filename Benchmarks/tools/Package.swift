// swift-tools-version:6.1
// Benchmark tools of Sejf, a package of their own so the main package (and CI) does not build
// them: `sejf-seed`, which writes a large data set into a data directory made by `sejf init`
// through the store's public API (real envelopes, a real audit chain), and the micro-benchmarks
// of the request hot path (ordo-one/benchmark). See Benchmarks/README.md.
//
//   swift build -c release --package-path Benchmarks/tools --scratch-path Benchmarks/tools/.build-tools --product sejf-seed
//   swift package --package-path Benchmarks/tools --scratch-path Benchmarks/tools/.build-tools benchmark
import PackageDescription

let package = Package(
    name: "sejf-bench-tools",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sejf-seed", targets: ["sejf-seed"]),
    ],
    dependencies: [
        // The main package, for its SejfLibraries product (SejfCore, SejfCrypto, SejfStore, SejfService, SejfAWS, …).
        .package(name: "sejf", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Listing the trait replaces the package's default traits (MallocInterposer and
        // RuntimeInterposer): MallocInterposer is what counts mallocs; RuntimeInterposer (ARC
        // counters on Linux with Swift 6.3) needs swift-runtime-interposer, which this machine's
        // package mirror does not have, so it stays off.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The seeding logic, as a library so tests can run it on a small data set.
        .target(
            name: "SejfSeeding",
            dependencies: [.product(name: "SejfLibraries", package: "sejf")]
        ),
        .executableTarget(
            name: "sejf-seed",
            dependencies: ["SejfSeeding", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The micro-benchmarks: `swift package benchmark` finds them under Benchmarks/<target>.
        .executableTarget(
            name: "SejfMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SejfLibraries", package: "sejf"),
            ],
            path: "Benchmarks/SejfMicro",
            // Swift 5 mode, as the benchmark package's own targets: its configuration is a global.
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(
            name: "SejfSeedingTests",
            dependencies: ["SejfSeeding", .product(name: "SejfLibraries", package: "sejf")]
        ),
    ]
)
