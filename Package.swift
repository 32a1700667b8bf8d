// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sejf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sejf", targets: ["sejf"]),
        // The libraries, for the packages that depend on this one by path: the fuzz targets
        // (Fuzz/) and the seeding tool and micro-benchmarks (Benchmarks/tools). Separate packages,
        // so `swift build` here builds none of them. Not a stable API.
        .library(name: "SejfLibraries", targets: ["SejfCore", "SejfCrypto", "SejfStore", "SejfService", "SejfRender", "SejfAWS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libsodium, through the system's pkg-config; used by SejfCrypto only.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // Swift wrapper over libsodium: secure buffers, AEAD, key wrapping, Argon2id, hashes.
        .target(name: "SejfCrypto", dependencies: ["CSodium"]),
        // Pure domain rules (names, ARNs, labels, tags, deletion, errors). No I/O.
        .target(name: "SejfCore"),
        // SQLite persistence (GRDB) with envelope encryption, and the key ring.
        .target(
            name: "SejfStore",
            dependencies: ["SejfCore", "SejfCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The operations, shared by the server and the embedded CLI.
        .target(
            name: "SejfService",
            dependencies: ["SejfCore", "SejfCrypto", "SejfStore", "SejfRender", "Yams", .product(name: "Metrics", package: "swift-metrics")]
        ),
        // Pure formatting of resolved values: Kubernetes Secret/ConfigMap YAML, dotenv, Docker
        // env-file, shell, JSON. Reads nothing itself: the service resolves and audits.
        .target(name: "SejfRender", dependencies: ["SejfCrypto", "Yams"]),
        // The AWS JSON 1.1 protocol: operation dispatch, shapes on the wire, errors, SigV4.
        .target(
            name: "SejfAWS",
            dependencies: ["SejfService", "SejfCore", "SejfCrypto", .product(name: "Metrics", package: "swift-metrics")]
        ),
        // The HTTP server (Hummingbird 2) in front of SejfAWS.
        .target(
            name: "SejfServer",
            dependencies: [
                "SejfAWS", "SejfService", "SejfCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Rotators for PostgreSQL credentials (single user, alternating users) over PostgresNIO.
        .target(
            name: "SejfPostgres",
            dependencies: [
                "SejfService", "SejfCore", "SejfCrypto",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `sejf` command line.
        .executableTarget(
            name: "sejf",
            dependencies: [
                "SejfService", "SejfAWS", "SejfServer", "SejfPostgres", "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SejfCryptoTests", dependencies: ["SejfCrypto"]),
        .testTarget(name: "SejfCoreTests", dependencies: ["SejfCore"]),
        .testTarget(
            name: "SejfStoreTests",
            dependencies: ["SejfStore", "SejfCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "SejfServiceTests", dependencies: ["SejfService"]),
        .testTarget(name: "SejfRenderTests", dependencies: ["SejfRender"]),
        .testTarget(name: "SejfAWSTests", dependencies: ["SejfAWS", "SejfService", "SejfStore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SejfPostgresTests", dependencies: ["SejfPostgres", "SejfService", "SejfCore"]),
        .testTarget(name: "SejfCLITests", dependencies: ["sejf"]),
    ]
)
