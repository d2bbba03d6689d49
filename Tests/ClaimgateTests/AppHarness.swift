import Claimgate
import Foundation
import Logging
import TestSupport

/// Builds settings the way the service does (environment over the shipped JSON over defaults),
/// with a temporary database and an ephemeral port unless the test overrides them.
func testSettings(_ environment: [String: String] = [:]) async throws -> Settings {
    var env = [
        "CLAIMGATE_PORT": "0",
        "CLAIMGATE_DATABASE_PATH": TestPaths.temporaryDirectory().appendingPathComponent("claimgate.sqlite").path,
        "CLAIMGATE_MIGRATIONS_PATH": TestPaths.packageRoot.appendingPathComponent("migrations").path,
        "CLAIMGATE_DATABASE_SYNCHRONOUS": "NORMAL",
    ]
    env.merge(environment) { _, new in new }
    let providers = try await SettingsLoader.providers(
        environment: env, configFile: TestPaths.packageRoot.appendingPathComponent("config/claimgate.json").path)
    return try SettingsLoader.load(from: providers)
}

/// A running application on loopback with its logs captured in memory.
struct RunningApp {
    let application: Application
    let logs: LogSink
    var client: TestClient { TestClient(port: application.server.port) }

    static func start(_ environment: [String: String] = [:], clock: any WallClock = SystemWallClock()) async throws -> RunningApp {
        let settings = try await testSettings(environment)
        let sink = LogSink.memory()
        let logger = Logger(label: "test") { label in JSONLogHandler(label: label, level: .debug, sink: sink) }
        let application = try await Application.build(settings: settings, logger: logger, clock: clock)
        try application.startWithBackground()
        return RunningApp(application: application, logs: sink)
    }

    func stop() async { await application.stop() }
}
