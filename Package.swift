// swift-tools-version:6.2
import PackageDescription

// Rooms and arrows: ClaimgateCLI → {ClaimgateSandbox → PrismaEmulator, Claimgate → {HTTPServer, Storage}}
// (and PrismaAPI directly, for `claimgate prisma`);
// the product (Claimgate) knows no emulator: sandbox mode is assembled by ClaimgateSandbox;
// only HTTPServer sees libmicrohttpd, only Storage sees libsqlite3 and PostgreSQL. Secrets and Timestamps are
// leaves shared by the product, the emulator and (Secrets, for request ids) the HTTP wrapper, so none borrows them from the Prisma client;
// JSONValues (JSON string literals written without Foundation, the strict parser and its values) is
// the leaf the HTTP wrapper, the Prisma client and the product all write and read JSON with.
let package = Package(
    name: "claimgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "claimgate", targets: ["ClaimgateCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"]), .brew(["libmicrohttpd"])]),
        .target(name: "CMHDShim", dependencies: ["CMicroHTTPD"]),
        .target(name: "JSONValues"),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD", "CMHDShim", "JSONValues", "Secrets", .product(name: "Logging", package: "swift-log")]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        // A SQLite VFS that batches WAL writes (see wal_batch.c).
        .target(name: "CSQLiteWAL", dependencies: ["CSQLite"]),
        .target(
            name: "Storage",
            dependencies: [
                "CSQLite", "CSQLiteWAL", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ]),
        // getrandom(2) for Secrets (glibc's header, no library to link).
        .systemLibrary(name: "CRandom", path: "Sources/CRandom"),
        .target(name: "Secrets", dependencies: ["CRandom"]),
        .target(name: "Timestamps"),
        // Deadlines kept by one thread (the provisioning wait, Prisma calls' timeouts).
        .target(name: "Timers"),
        .target(
            name: "PrismaAPI",
            dependencies: [
                "Secrets", "JSONValues", "Timers", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]),
        .target(
            name: "PrismaEmulator",
            dependencies: ["HTTPServer", "PrismaAPI", "Secrets", "Timestamps", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Claimgate",
            dependencies: [
                "HTTPServer", "Storage", "Secrets", "Timestamps", "Timers", "PrismaAPI", "JSONValues",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .target(
            name: "ClaimgateSandbox",
            dependencies: ["Claimgate", "PrismaEmulator", "Secrets", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "ClaimgateCLI",
            dependencies: [
                "Claimgate", "ClaimgateSandbox", "PrismaEmulator", "PrismaAPI", "Secrets", "JSONValues",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "CSpawn", path: "Tests/CSpawn"),
        .target(name: "TestSupport", dependencies: ["CSpawn", "Storage"], path: "Tests/Support"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "PrismaAPITests", dependencies: ["PrismaAPI", "PrismaEmulator", "Secrets", "JSONValues", "TestSupport"]),
        .testTarget(
            name: "ClaimgateTests",
            dependencies: [
                "Claimgate", "ClaimgateSandbox", "HTTPServer", "Storage", "Secrets", "PrismaAPI", "PrismaEmulator", "JSONValues", "Timers",
                "TestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
            ]),
    ]
)
