import Claimgate
import ClaimgateSandbox
import Foundation
import HTTPServer
import Logging
import PrismaEmulator
import TestSupport
import Testing

/// Builds settings the way the service does (environment over the shipped JSON over defaults),
/// with a temporary database and an ephemeral port unless the test overrides them.
func testSettings(_ environment: [String: String] = [:]) async throws -> Settings {
    var env = [
        "CLAIMGATE_PORT": "0",
        "CLAIMGATE_DATABASE_PATH": TestPaths.temporaryDirectory().appendingPathComponent("claimgate.sqlite").path,
        "CLAIMGATE_MIGRATIONS_PATH": TestPaths.packageRoot.appendingPathComponent("migrations").path,
        "CLAIMGATE_DATABASE_SYNCHRONOUS": "NORMAL",
        // The emulator has no rate limit unless a test sets one: pace only where a test means to.
        "PRISMA_RATE_LIMIT_PER_MINUTE": "100000", "PRISMA_RATE_LIMIT_BURST": "10000",
    ]
    env.merge(environment) { _, new in new }
    // The PostgreSQL pass: the same test on a database of its own, keyed by its SQLite path so
    // that a restart on the same path finds the same state.
    if TestPostgres.isSelected, env["CLAIMGATE_DATABASE_URL"] == nil, let path = env["CLAIMGATE_DATABASE_PATH"] {
        env["CLAIMGATE_DATABASE_URL"] = try await TestPostgres.databaseURL(for: path)
    }
    let providers = try await SettingsLoader.providers(
        environment: env, configFile: TestPaths.packageRoot.appendingPathComponent("config/claimgate.json").path)
    return try SettingsLoader.load(from: providers)
}

/// A running application on loopback with its logs captured in memory.
struct RunningApp {
    let application: Application
    let logs: LogSink
    /// The built-in Prisma in sandbox mode (the default for tests), nil against a configured Prisma.
    let sandbox: PrismaEmulator?
    var client: TestClient { TestClient(port: application.server.port) }

    /// - Parameter background: Also run the background passes (recovery, expiry, webhook delivery…),
    ///   as `serve` does; false for a test that drives a pass itself with `runOnce()`.
    static func start(_ environment: [String: String] = [:], clock: any WallClock = SystemWallClock(),
                      logLevel: Logger.Level = .debug, background: Bool = true) async throws -> RunningApp {
        var settings = try await testSettings(environment)
        let sink = LogSink.memory()
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label, level: logLevel, sink: sink) }
        let sandbox = settings.prisma.isSandbox ? try await Sandbox.start(for: &settings, logger: logger) : nil
        do {
            let application = try await Application.build(settings: settings, logger: logger, clock: clock)
            if background { try application.startWithBackground() } else { try application.start() }
            return RunningApp(application: application, logs: sink, sandbox: sandbox)
        } catch {
            await sandbox?.stop()
            throw error
        }
    }

    func stop() async {
        await application.stop()
        await sandbox?.stop()
    }

    /// Calls the application in-process, through the same router and middleware the server uses,
    /// without a socket (errors rendered exactly as on the wire).
    func call(_ method: String, _ path: String, headers: HTTPHeaders = HTTPHeaders(), body: String? = nil) async throws -> HTTPResponse {
        let parts = path.split(separator: "?", maxSplits: 1)
        let query = parts.count > 1 ? parts[1].split(separator: "&").map { pair -> (name: String, value: String) in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return (String(kv[0]).removingPercentEncoding ?? "", kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? "") : "")
        } : []
        let request = HTTPRequest(method: method, path: String(parts[0]), query: query, headers: headers,
                                  body: Array((body ?? "").utf8), requestID: "inproc-\(UInt32.random(in: 0...UInt32.max))")
        return try await application.router.handle(request)
    }
}

/// Runs `body` against a started application and always stops it, whether `body` returns, throws
/// or a `#require` fails inside it.
func withApp<T>(_ environment: [String: String] = [:], clock: any WallClock = SystemWallClock(),
                _ body: (RunningApp) async throws -> T) async throws -> T {
    let app = try await RunningApp.start(environment, clock: clock)
    do {
        let result = try await body(app)
        await app.stop()
        return result
    } catch {
        await app.stop()
        throw error
    }
}

/// Waits (bounded) until `condition` holds: a positive sentinel, never a bare sleep-then-assert.
/// Records an issue naming `what` when the bound runs out.
func eventually(_ what: String, within limit: Duration = .seconds(20), every pause: Duration = .milliseconds(20),
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: pause)
    }
    Issue.record("timed out waiting: \(what)")
}
