// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for Sejf's parsers, one executable per fuzzed surface. A separate package so
/// the root package's `swift build` builds none of it. Build and run with `scripts/fuzz.sh`: the
/// targets need `--sanitize=fuzzer` (libFuzzer supplies `main`) and a debug build (they use
/// `@testable import` for internal parsers).
let package = Package(
    name: "sejf-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "sejf", path: "..")],
    targets: [
        // Input splitting shared by every target.
        .target(name: "FuzzSupport"),
    ] + fuzzTargets.map { .executableTarget(name: $0, dependencies: ["FuzzSupport", sejf]) }
)

/// One per fuzzed surface; `scripts/fuzz.sh` runs them all.
var fuzzTargets: [String] {
    ["FuzzWireJSON", "FuzzSigV4", "FuzzPolicy", "FuzzDefinitions", "FuzzNames", "FuzzTemplates", "FuzzEnvelope"]
}

/// The root package's libraries.
var sejf: Target.Dependency { .product(name: "SejfLibraries", package: "sejf") }
