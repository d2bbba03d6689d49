import Foundation
import HTTPServer
import Logging
import PrismaAPI
import Storage

/// The assembled service: database, routes, server. `main` only builds one of these from
/// configuration; tests build one with their own settings and a port of 0.
public final class Application: Sendable {
    public let settings: Settings
    public let database: Database
    public let metrics: HTTPMetrics
    public let server: MicroHTTPServer
    public let prisma: PrismaConnection
    let logger: Logger

    /// Opens and migrates the database and wires every route. Does not bind yet (see ``start()``).
    public static func build(settings: Settings, logger: Logger) async throws -> Application {
        let database = try await openDatabase(settings: settings, logger: logger)
        let prisma = try PrismaConnection.make(settings: settings, logger: logger)
        let metrics = HTTPMetrics()
        var router = Router()
        OperationsRoutes(database: database, metrics: metrics).register(in: &router)
        return Application(
            settings: settings, database: database, prisma: prisma, metrics: metrics, router: router, logger: logger)
    }

    /// Opens the configured database file (creating its directory) and applies pending migrations.
    public static func openDatabase(settings: Settings, logger: Logger) async throws -> Database {
        let directory = URL(fileURLWithPath: settings.databasePath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try Database(
            path: settings.databasePath, options: DatabaseOptions(synchronous: settings.databaseSynchronous))
        let check = try await database.quickCheck()
        guard check == "ok" else {
            throw SQLiteError(code: 11, message: "integrity check failed: \(check)")
        }
        let report = try await database.migrate(Migrator(directory: settings.migrationsPath))
        logger.info("database ready", metadata: [
            "path": "\(settings.databasePath)", "schema_version": "\(report.version)",
            "migrations_applied": "\(report.applied.map(String.init).joined(separator: ","))",
        ])
        return database
    }

    private init(
        settings: Settings, database: Database, prisma: PrismaConnection, metrics: HTTPMetrics, router: Router,
        logger: Logger
    ) {
        self.settings = settings
        self.database = database
        self.prisma = prisma
        self.metrics = metrics
        self.logger = logger
        let serverLogger = logger
        self.server = MicroHTTPServer(
            configuration: settings.serverConfiguration(errorLog: { message in
                serverLogger.warning("libmicrohttpd", metadata: ["detail": "\(message)"])
            }),
            handler: router,
            onAccess: { [metrics] access in
                metrics.record(access)
                serverLogger.info("request", metadata: [
                    "request_id": "\(access.requestID)", "method": "\(access.method)",
                    "path": "\(Application.loggablePath(access.path))", "route": "\(access.route)",
                    "status": "\(access.status)",
                    "duration_ms": "\(String(format: "%.3f", access.duration / .milliseconds(1)))",
                    "bytes": "\(access.responseBytes)",
                ])
            })
    }

    /// Binds the listener.
    public func start() throws {
        try server.start()
        logger.info("listening", metadata: [
            "host": "\(settings.host)", "port": "\(server.port)", "public_url": "\(settings.publicURL)",
            "version": "\(ClaimgateVersion.current)",
        ])
    }

    /// Drains in-flight requests, closes the listener and the database.
    public func stop() async {
        logger.info("draining", metadata: ["in_flight": "\(server.inFlightCount)"])
        await server.stop()
        await prisma.sandbox?.stop()
        await database.close()
        logger.info("stopped")
    }

    /// Paths that carry a bearer capability (claim links) are logged without it.
    static func loggablePath(_ path: String) -> String {
        if path.hasPrefix("/claim/") { return "/claim/<redacted>" }
        return String(path.prefix(200))
    }
}
