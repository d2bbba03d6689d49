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
        subcommands: [
            Serve.self, Migrate.self, Reconcile.self, EmulatorCommand.self, DatabaseCommand.self, RegionsCommand.self,
            MCPCommand.self, PrismaCommand.self, Version.self,
        ])
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
        // Log lines are written by a background thread: every one is out before the process exits.
        defer { LogSink.standardError.flush() }
        do {
            let database = try await Application.openDatabase(settings: settings, logger: logger)
            await database.close()
        } catch {
            logger.critical("migration failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete projects Claimgate made that no database owns (one pass of the orphan reconciler), then exit.",
        discussion: """
            Lists the Prisma workspace's projects; those whose logicalId has Claimgate's shape (cg-…), are older \
            than CLAIMGATE_PROVISIONING_RECONCILE_GRACE_SECONDS and belong to no database (or are a second project \
            of one) are deleted. Projects Claimgate did not make are never touched. Prints one line per project.
            """)

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Only print what would be deleted.") var dryRun = false

    func run() async throws {
        let settings = try await options.loadSettings()
        let logger = bootstrapLogging(level: settings.logLevel)
        defer { LogSink.standardError.flush() }
        guard !settings.prisma.isSandbox else {
            FileHandle.standardError.write(Data("claimgate reconcile: needs PRISMA_SERVICE_TOKEN (sandbox mode has nothing to reconcile)\n".utf8))
            throw ExitCode(78)
        }
        do {
            let application = try await Application.build(settings: settings, logger: logger)
            let report = try await application.orphans.runOnce(dryRun: dryRun)
            for (project, reason) in report.orphans.sorted(by: { $0.key < $1.key }) {
                print("\(dryRun ? "would delete" : "deleted") \(project): \(reason)")
            }
            print("\(report.examined) project(s) of Claimgate's examined, \(report.orphans.count) orphan(s) \(dryRun ? "found" : "deleted")")
            await application.stop()
        } catch {
            logger.critical("reconcile failed", metadata: ["error": "\(error)"])
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

            The behaviour flags switch on ways the real Prisma differs from a quick fake (all off by \
            default); POST /__emulator/behaviour changes them while it runs.
            """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port: UInt16 = 8090
    @Option(help: "Extra OAuth redirect URI to register (repeatable).") var redirectURI: [String] = []
    @Flag(help: "Register the OAuth callback URLs of Postman, Insomnia and Yaak, to try the code flow from those API clients.")
    var apiClients = false
    @Option(help: "Answer project creates after this many ms (the project exists from the start).")
    var createLatencyMs: Int64 = 0
    @Option(help: "List a new project in GET /v1/projects only this many ms after its creation.")
    var listVisibilityDelayMs: Int64 = 0
    @Flag(help: "Accept a second project with the same logicalId instead of answering 409.")
    var acceptDuplicateLogicalIds = false
    @Option(help: "A new database is 'provisioning' for this many ms (transfers meanwhile get 409).")
    var provisioningMs: Int64 = 0
    @Option(help: "Rate limit: requests per minute per workspace (429 with Retry-After beyond it).")
    var rateLimitPerMinute: Int?
    @Option(help: "Rate limit burst (default: the per-minute rate).")
    var rateLimitBurst: Int?
    @Option(help: "Refuse DELETE /v1/projects/{id} with 400 for this project id, logicalId or name (repeatable).")
    var undeletableProject: [String] = []
    @Flag(help: "Answer GET /v1/me with 404 for every token, as Prisma did before the endpoint existed.")
    var meAbsent = false
    @Option(help: "Plan of every workspace without --plan (name shown by the subscription endpoint).")
    var defaultPlan = "Free"
    @Option(help: "A workspace's plan: WORKSPACE_ID=NAME[:PROJECT_LIMIT]; transfers into a workspace at its limit get 409 planLimitReached (repeatable).")
    var plan: [String] = []

    /// The switches the flags ask for.
    func behaviour() throws(ValidationError) -> EmulatorBehaviour {
        var behaviour = EmulatorBehaviour()
        behaviour.createLatency = .milliseconds(createLatencyMs)
        behaviour.listVisibilityDelay = .milliseconds(listVisibilityDelayMs)
        behaviour.acceptDuplicateLogicalIds = acceptDuplicateLogicalIds
        behaviour.provisioningDuration = .milliseconds(provisioningMs)
        if let rateLimitPerMinute {
            behaviour.rateLimit = .init(requestsPerMinute: rateLimitPerMinute, burst: rateLimitBurst)
        } else if rateLimitBurst != nil {
            throw ValidationError("--rate-limit-burst needs --rate-limit-per-minute")
        }
        behaviour.undeletableProjects = Set(undeletableProject)
        behaviour.meAbsent = meAbsent
        behaviour.defaultPlan = .init(name: defaultPlan)
        for entry in plan {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1).map(String.init) : []
            guard parts.count == 2, !parts[0].isEmpty, let name = value.first, !name.isEmpty,
                  value.count == 1 || Int(value[1]) != nil else {
                throw ValidationError("--plan must be WORKSPACE_ID=NAME[:PROJECT_LIMIT], got '\(entry)'")
            }
            behaviour.plans[parts[0]] = .init(name: name, projectLimit: value.count == 2 ? Int(value[1]) : nil)
        }
        do { try behaviour.validate() } catch { throw ValidationError(error.reason) }
        return behaviour
    }

    func validate() throws {
        _ = try behaviour()
    }

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.clients[0].redirectURIs += redirectURI + (apiClients ? EmulatorConfiguration.apiClientRedirectURIs : [])
        configuration.behaviour = try behaviour()
        // The server starts inside the group: the group traps SIGTERM/SIGINT before it runs its
        // services, so a signal that comes as soon as the port answers is a graceful stop. (Started
        // before the group, a SIGTERM in that gap ended the process by the default action, status
        // 15 and nothing flushed — seen once in the CLI test.)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: StandaloneEmulator(configuration: configuration, host: host, port: port))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "emulator")))
        try await group.run()
    }
}

/// `claimgate emulator`: starts the emulator, prints where and how to reach it, and keeps it up
/// until a graceful-shutdown signal.
struct StandaloneEmulator: Service {
    let configuration: EmulatorConfiguration
    let host: String
    let port: UInt16

    func run() async throws {
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
              behaviour: \(configuration.behaviour.json)

            """.utf8))
        try? await gracefulShutdown()
        await emulator.stop()
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
