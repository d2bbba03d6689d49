import ArgumentParser
import Claimgate
import ClaimgateSandbox
import Foundation
import Logging
import PrismaEmulator
import ServiceLifecycle
import Storage

@main
struct ClaimgateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claimgate",
        abstract: "Instant Prisma Postgres databases for your users, with a claim link.",
        discussion: """
            Claimgate provisions Prisma Postgres databases in your workspace and lets your users claim \
            them into their own Prisma workspace.

            Configuration comes from environment variables (CLAIMGATE_PORT, PRISMA_SERVICE_TOKEN, …) \
            over config/claimgate.json over built-in defaults; README.md lists every key. Without \
            PRISMA_SERVICE_TOKEN the service runs in sandbox mode against its built-in Prisma emulator.
            """,
        version: ClaimgateVersion.current,
        subcommands: [Serve.self, Migrate.self, EmulatorCommand.self, Version.self])
}

/// Options every subcommand that reads configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the JSON configuration file (environment variables override it).")
    var config: String = "config/claimgate.json"

    /// Loads settings, or prints one clear line and exits with EX_CONFIG (78).
    func loadSettings() async throws -> Settings {
        do {
            let explicit = config != "config/claimgate.json"
            let providers = try await SettingsLoader.providers(configFile: config, requireFile: explicit)
            return try SettingsLoader.load(from: providers)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("claimgate: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
    }
}

func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return Logger(label: "claimgate")
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service (applies pending migrations first; stops gracefully on SIGTERM/SIGINT).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        var settings = try await options.loadSettings()
        let logger = bootstrapLogging(level: settings.logLevel)
        var sandbox: PrismaEmulator?
        let application: Application
        do {
            if settings.prisma.isSandbox { sandbox = try await Sandbox.start(for: &settings, logger: logger) }
            application = try await Application.build(settings: settings, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            await sandbox?.stop()  // nothing started may outlive a failed start
            throw ExitCode(1)
        }
        // Services stop in reverse order: background passes, then the HTTP service drains, then
        // the sandbox emulator it talks to.
        let group = ServiceGroup(configuration: .init(
            services: (sandbox.map { [ServiceGroupConfiguration.ServiceConfiguration(service: EmulatorService(emulator: $0))] } ?? [])
                + [.init(service: ClaimgateService(application: application))]
                + application.backgroundServices.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("stopped on error", metadata: ["error": "\(error)"])
            LogSink.standardError.flush()
            throw ExitCode(1)
        }
        // Every line, the last "stopped" included, is written before the process exits.
        LogSink.standardError.flush()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending SQL migrations from the migrations directory to the database, then exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let settings = try await options.loadSettings()
        let logger = bootstrapLogging(level: settings.logLevel)
        do {
            let database = try await Application.openDatabase(settings: settings, logger: logger)
            await database.close()
        } catch {
            logger.critical("migration failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the Claimgate version.")

    func run() {
        print("claimgate \(ClaimgateVersion.current)")
    }
}

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the built-in Prisma emulator alone (Management API + OAuth), e.g. for your own CI.",
        discussion: """
            Serves the Prisma Management API (/v1/...) and OAuth server (/authorize, /token) with Prisma's \
            JSON shapes, sandbox users, and fault injection under /__emulator/. Point PRISMA_API_URL and \
            PRISMA_AUTH_URL at it. It keeps everything in memory. Stops on SIGTERM/SIGINT.
            """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port: UInt16 = 8090
    @Option(help: "Extra OAuth redirect URI to register (repeatable).") var redirectURI: [String] = []

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.clients[0].redirectURIs += redirectURI
        let emulator = PrismaEmulator(configuration: configuration)
        let url: String
        do { url = try emulator.start(host: host, port: port) } catch {
            FileHandle.standardError.write(Data("claimgate emulator: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let client = configuration.clients[0]
        FileHandle.standardOutput.write(Data("""
            Prisma emulator listening on \(url)
              PRISMA_API_URL=\(url)
              PRISMA_AUTH_URL=\(url)
              PRISMA_SERVICE_TOKEN=\(configuration.serviceToken)
              PRISMA_CLIENT_ID=\(client.id)
              PRISMA_CLIENT_SECRET=\(client.secret)
              redirect URIs: \(client.redirectURIs.joined(separator: ", ")) (loopback URIs match any port)
              sandbox users: \(configuration.users.map(\.email).joined(separator: ", "))

            """.utf8))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: EmulatorService(emulator: emulator))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "emulator")))
        try await group.run()
    }
}

/// Keeps the emulator up until a graceful-shutdown signal.
struct EmulatorService: Service {
    let emulator: PrismaEmulator

    func run() async throws {
        try? await gracefulShutdown()
        await emulator.stop()
    }
}
