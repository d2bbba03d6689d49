import Foundation
import HTTPServer
import Logging
import PrismaAPI
import Prometheus
import Secrets
import Storage
import Synchronization

/// The assembled service: database, Prisma connection, domain services, routes, server and
/// background work. `main` only builds one of these from configuration; tests build one with their
/// own settings and a port of 0.
public final class Application: Sendable {
    public let settings: Settings
    public let database: Database
    public let metrics: HTTPMetrics
    public let server: MicroHTTPServer
    /// Every route and middleware: what the server calls, callable in-process too (tests, tools).
    public let router: Router
    public let prisma: PrismaConnection
    public let provisioner: Provisioner
    public let provisioning: ProvisioningService
    public let sweeper: ExpirySweeper
    /// Nil when no `CLAIMGATE_WEBHOOK_URL` is configured (events are still recorded for replay).
    public let dispatcher: WebhookDispatcher?
    public let accountTokens: AccountTokens
    public let reconciler: TransferReconciler
    public let orphans: OrphanReconciler
    public let storageFaults: StorageFaults
    let recovery: RecoveryPass
    let clock: any WallClock
    let logger: Logger
    private let background = Mutex<[Task<Void, Never>]>([])

    /// The API key accepted in sandbox mode when `CLAIMGATE_API_KEYS` is empty.
    public static let sandboxAPIKey = "cg_sandbox_api_key"

    /// Opens and migrates the database and wires every route. Does not bind yet (see ``start()``).
    public static func build(settings: Settings, logger: Logger, clock: any WallClock = SystemWallClock()) async throws -> Application {
        let box = SecretBox(keyBytes: try EncryptionKeys.resolve(settings: settings, logger: logger))
        var apiKeys = settings.apiKeys
        if apiKeys.isEmpty && settings.prisma.isSandbox {
            apiKeys = [Secret(sandboxAPIKey)]
            logger.notice("sandbox mode: partner API key is \(sandboxAPIKey) (set CLAIMGATE_API_KEYS to choose your own)")
        } else if apiKeys.isEmpty && settings.webhookSecret == nil {
            logger.warning("no CLAIMGATE_API_KEYS and no CLAIMGATE_WEBHOOK_SECRET: every partner API call will be refused")
        }
        let authenticator = try PartnerAuthenticator(apiKeys: apiKeys, webhookSecret: settings.webhookSecret, clock: clock)
        let metrics = HTTPMetrics()
        let storageFaults = StorageFaults(registry: metrics.registry)
        let database = try await openDatabase(settings: settings, logger: logger) { [storageFaults] error in
            storageFaults.record(error, during: "wal checkpoint", logger: logger)
        }
        let upstreamHealth = UpstreamHealth()
        let pacer = PrismaPacer(perMinute: settings.prisma.rateLimitPerMinute, burst: settings.prisma.rateLimitBurst)
        let prisma = try PrismaConnection.make(
            settings: settings, logger: logger,
            transport: PacedTransport(ObservedTransport(AsyncHTTPClientTransport(), health: upstreamHealth), pacer: pacer))
        let upstream = PrismaProjectsUpstream(client: prisma.management, token: prisma.serviceToken)
        let leases = Leases(database: database, clock: clock, durationSeconds: settings.provisioning.leaseSeconds)
        if database.kind == .sqlite {
            // One process owns a SQLite file: what leases it holds were left by our previous life.
            try await database.write { try LeasesRepository.clearAll(in: $0) }
        }
        let provisioner = Provisioner(
            database: database, upstream: upstream, box: box, clock: clock, publicURL: settings.publicURL,
            settle: .seconds(settings.provisioning.settleSeconds), leases: leases, logger: logger)
        let provisioning = ProvisioningService(
            database: database, provisioner: provisioner, upstream: upstream,
            regions: RegionCatalog(client: prisma.management, token: prisma.serviceToken, clock: clock),
            box: box, clock: clock,
            policy: ProvisioningPolicy(
                defaultRegion: settings.provisioning.defaultRegion, defaultTTLSeconds: settings.provisioning.defaultTTLSeconds,
                maxTTLSeconds: settings.provisioning.maxTTLSeconds, wait: .seconds(settings.provisioning.waitSeconds)),
            logger: logger)
        let claims = ClaimService(
            database: database,
            upstream: prisma.oauth.map {
                PrismaClaimUpstream(management: prisma.management, oauth: $0, serviceToken: prisma.serviceToken,
                                    offlineAccess: settings.accounts.keepTokens)
            },
            box: box, clock: clock, publicURL: settings.publicURL,
            issuer: (prisma.oauth?.authURL ?? settings.prisma.authURL).absoluteString,
            keepTokens: settings.accounts.keepTokens, credentialsOnClaim: settings.claims.credentials, logger: logger)
        let accountTokens = AccountTokens(
            database: database, oauth: prisma.oauth, box: box, clock: clock, leases: leases, logger: logger)
        var dispatcher: WebhookDispatcher?
        if let url = settings.webhooks.url, let secret = settings.webhooks.signingSecret {
            dispatcher = try WebhookDispatcher(
                database: database, transport: AsyncHTTPClientTransport(), url: url, signingSecret: secret,
                clock: clock, logger: logger)
        }
        var router = Router(problemTypePrefix: PartnerProblems.typePrefix)
        OperationsRoutes(database: database, metrics: metrics, upstream: upstreamHealth, storageFaults: storageFaults,
                         metricsToken: settings.metricsToken, pacer: pacer).register(in: &router)
        PartnerRoutes(service: provisioning, claims: claims, accounts: AccountService(
                          database: database, tokens: accountTokens,
                          revoker: prisma.oauth.map { GrantRevoker(management: prisma.management, clientID: $0.clientID) }),
                      authenticator: authenticator, storageFaults: storageFaults,
                      openAPIDocument: loadOpenAPI(settings: settings),
                      readCacheMaxAge: .seconds(settings.readCacheSeconds)).register(in: &router)
        // `/mcp` dispatches its tools through the partner routes as registered so far (a value copy).
        AgentRoutes(partnerRouter: router, authenticator: authenticator, storageFaults: storageFaults,
                    publicOrigin: origin(of: settings.publicURL), llmsText: loadDocument("openapi/llms.txt", settings: settings))
            .register(in: &router)
        BrandRoutes(brand: settings.brand).register(in: &router)
        if let password = settings.admin.password {
            AdminRoutes(database: database, password: password, clock: clock, health: upstreamHealth, pacer: pacer,
                        webhooksConfigured: dispatcher != nil, storageFaults: storageFaults,
                        publicURL: settings.publicURL, box: box).register(in: &router)
        }
        ClaimRoutes(
            service: claims, provisioning: provisioning, pages: ClaimPages(brand: settings.brand),
            confirmation: DeleteConfirmation(box: box, clock: clock),
            limiter: RateLimiter(perMinute: settings.claims.rateLimitPerMinute, clock: clock),
            storageFaults: storageFaults,
            publicURL: settings.publicURL, authURL: (prisma.oauth?.authURL ?? settings.prisma.authURL).absoluteString
        ).register(in: &router)
        return Application(
            settings: settings, database: database, prisma: prisma, provisioner: provisioner, provisioning: provisioning,
            sweeper: ExpirySweeper(database: database, upstream: upstream, clock: clock, logger: logger,
                                   leads: settings.lifecycle.expiringLeads),
            dispatcher: dispatcher, accountTokens: accountTokens,
            recovery: RecoveryPass(database: database, provisioner: provisioner, clock: clock, logger: logger,
                                   giveUpAfter: settings.provisioning.giveUpAfterSeconds),
            reconciler: TransferReconciler(database: database, upstream: upstream, clock: clock, logger: logger),
            orphans: OrphanReconciler(
                database: database, upstream: upstream, clock: clock, logger: logger,
                graceSeconds: settings.provisioning.reconcileGraceSeconds,
                onDeleted: { [counter = metrics.registry.makeCounter(descriptor: MetricNameDescriptor(
                    namespace: "claimgate", subsystem: "orphan_projects", metricName: "deleted", unitName: "total",
                    helpText: "Projects of Claimgate's that no database owned, deleted by the orphan reconciler."))] in
                    counter.increment()
                }),
            storageFaults: storageFaults, metrics: metrics, router: router, clock: clock, logger: logger)
    }

    /// Opens the configured state (the SQLite file, creating its directory; or PostgreSQL) and
    /// applies pending migrations.
    /// - Parameter onBackgroundFailure: Told of storage failures no request sees (SQLite's
    ///   checkpoints between requests).
    public static func openDatabase(settings: Settings, logger: Logger,
                                    onBackgroundFailure: (@Sendable (any Error) -> Void)? = nil) async throws -> Database {
        let database: Database
        if let postgres = settings.database.postgres {
            database = try await Database(postgres: postgres)
        } else {
            database = try openSQLite(settings: settings, onBackgroundFailure: onBackgroundFailure)
        }
        let check = try await database.quickCheck()
        guard check == "ok" else {
            throw SQLiteError(code: 11, message: "integrity check failed: \(check)")
        }
        let report = try await database.migrate(Migrator(directory: settings.database.engineMigrationsPath))
        logger.info("database ready", metadata: [
            "engine": "\(database.kind.rawValue)", "location": "\(database.location)", "schema_version": "\(report.version)",
            "migrations_applied": "\(report.applied.map(String.init).joined(separator: ","))",
        ])
        return database
    }

    /// The SQLite file, created `0600` in a `0700` directory if missing.
    private static func openSQLite(settings: Settings, onBackgroundFailure: (@Sendable (any Error) -> Void)?) throws -> Database {
        let directory = URL(fileURLWithPath: settings.database.path).deletingLastPathComponent().path
        // Emails, references and metadata are nobody else's business: the directory is 0700 and the
        // file 0600 before SQLite opens it (its -wal and -shm files take the file's permissions).
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        if !FileManager.default.fileExists(atPath: settings.database.path) {
            guard FileManager.default.createFile(atPath: settings.database.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw SQLiteError(code: 14, message: "cannot create \(settings.database.path)")
            }
        }
        return try Database(
            path: settings.database.path,
            options: DatabaseOptions(
                synchronous: settings.database.synchronous, batchWALWrites: settings.database.batchWALWrites,
                onBackgroundFailure: onBackgroundFailure))
    }

    /// `openapi/claimgate.json`, looked up next to the migrations directory.
    static func loadOpenAPI(settings: Settings) -> [UInt8]? {
        loadDocument("openapi/claimgate.json", settings: settings)
    }

    /// A document shipped with the service (`openapi/…`), looked up next to the migrations
    /// directory; nil when it is absent (its route is then not served).
    static func loadDocument(_ relativePath: String, settings: Settings) -> [UInt8]? {
        let root = URL(fileURLWithPath: settings.database.migrationsPath).deletingLastPathComponent()
        return (try? Data(contentsOf: root.appendingPathComponent(relativePath))).map(Array.init)
    }

    /// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    private init(
        settings: Settings, database: Database, prisma: PrismaConnection, provisioner: Provisioner,
        provisioning: ProvisioningService, sweeper: ExpirySweeper, dispatcher: WebhookDispatcher?,
        accountTokens: AccountTokens, recovery: RecoveryPass, reconciler: TransferReconciler, orphans: OrphanReconciler,
        storageFaults: StorageFaults,
        metrics: HTTPMetrics, router: Router, clock: any WallClock, logger: Logger
    ) {
        self.settings = settings
        self.database = database
        self.prisma = prisma
        self.provisioner = provisioner
        self.provisioning = provisioning
        self.sweeper = sweeper
        self.dispatcher = dispatcher
        self.accountTokens = accountTokens
        self.recovery = recovery
        self.reconciler = reconciler
        self.orphans = orphans
        self.storageFaults = storageFaults
        self.metrics = metrics
        self.router = router
        self.clock = clock
        self.logger = logger
        let serverLogger = logger
        self.server = MicroHTTPServer(
            configuration: settings.serverConfiguration(errorLog: { message in
                serverLogger.warning("libmicrohttpd", metadata: ["detail": "\(message)"])
            }, problemTypePrefix: PartnerProblems.typePrefix, logger: logger),
            handler: router,
            onAccess: { [metrics, logProbes = settings.logProbes, accessLog = AccessLog(logger: logger)] access in
                metrics.record(access)
                // Probes are scraped every few seconds by every orchestrator and monitor: at `info`
                // they would drown the log, and cost a line each.
                let level: Logger.Level = !logProbes && Application.probeRoutes.contains(access.route) ? .debug : .info
                accessLog.write(access, level: level)
            })
    }

    /// Routes logged at `debug` unless `CLAIMGATE_LOG_PROBES` is set.
    static let probeRoutes: Set<String> = ["/healthz", "/readyz", "/metrics"]

    /// The background passes, as services: provisioning recovery, transfer reconciliation, the
    /// expiry sweeper and (with a webhook URL) the webhook dispatcher, each at start and then
    /// periodically. The CLI runs them in its `ServiceGroup` after the HTTP service. Each pass
    /// runs in one replica at a time: the one holding its lease (see ``Leases/takePass(_:interval:)``).
    public var backgroundServices: [PeriodicWork] {
        let recovery = self.recovery, sweeper = self.sweeper, dispatcher = self.dispatcher, reconciler = self.reconciler
        let orphans = self.orphans
        let leases = provisioner.leases
        var services = [
            PeriodicWork(name: "provisioning recovery", interval: .seconds(settings.provisioning.recoveryIntervalSeconds),
                         storageFaults: storageFaults, logger: logger) { try await recovery.runOnce() },
            PeriodicWork(name: "transfer reconciliation", interval: .seconds(settings.provisioning.recoveryIntervalSeconds),
                         storageFaults: storageFaults, logger: logger, work: TransferReconciler.pass(reconciler)),
            PeriodicWork(name: "orphan reconciliation", interval: .seconds(settings.provisioning.reconcileIntervalSeconds),
                         waitFirst: true, storageFaults: storageFaults, logger: logger) { _ = try await orphans.runOnce() },
            PeriodicWork(name: "expiry sweep", interval: .seconds(settings.lifecycle.sweepIntervalSeconds),
                         storageFaults: storageFaults, logger: logger) { _ = try await sweeper.runOnce() },
        ]
        if let dispatcher {
            services.append(PeriodicWork(name: "webhook delivery", interval: .seconds(settings.lifecycle.webhookIntervalSeconds),
                                         storageFaults: storageFaults, logger: logger) { _ = try await dispatcher.runOnce() })
        }
        return services.map { $0.leased(by: leases) }
    }

    /// Binds the listener. Background work is separate (``backgroundServices``), so that a caller
    /// decides how it runs: the CLI in a `ServiceGroup`, tests with ``startWithBackground()``.
    public func start() throws {
        try server.start()
        logger.info("listening", metadata: [
            "host": "\(settings.host)", "port": "\(server.port)", "public_url": "\(settings.publicURL)",
            "version": "\(ClaimgateVersion.current)",
        ])
    }

    /// Starts ``start()`` and every background service as tasks that ``stop()`` cancels.
    public func startWithBackground() throws {
        try start()
        background.withLock { tasks in
            for service in backgroundServices {
                tasks.append(Task { try? await service.run() })  // run() reports its own failures
            }
        }
    }

    /// Stops background tasks started here, drains in-flight requests, closes the listener and the database.
    public func stop() async {
        logger.info("draining", metadata: ["in_flight": "\(server.inFlightCount)"])
        let tasks = background.withLock { tasks -> [Task<Void, Never>] in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in tasks { task.cancel() }
        await server.stop()
        for task in tasks { await task.value }
        await database.close()
        logger.info("stopped")
    }

    /// What of a request path may be logged. A request that routed to a route with a capability in
    /// it (a claim link) is logged as the route's pattern, whatever spelling brought it there
    /// (`//claim/…`, `/%2Fclaim/…`); in any other path, every run of 32 or more base64url characters
    /// (the shape of claim tokens, OAuth states, API keys) is replaced, so a token pasted into a
    /// path that routes nowhere is not logged either.
    static func loggablePath(_ path: String, route: String) -> String {
        // Bytes, not `String.contains` (Foundation's, 2 % of an API read): a route with a token
        // parameter is logged as its pattern.
        let marker = Array(":token".utf8), routeBytes = Array(route.utf8)
        if routeBytes.count >= marker.count,
           (0...(routeBytes.count - marker.count)).contains(where: { routeBytes[$0..<($0 + marker.count)].elementsEqual(marker) }) {
            return route
        }
        var out: [UInt8] = []
        var run: [UInt8] = []
        func flush() {
            out += run.count >= 32 ? Array("<redacted>".utf8) : run
            run.removeAll(keepingCapacity: true)
        }
        for byte in path.utf8.prefix(400) {
            if Base64URL.isAlphabet(byte) { run.append(byte) } else { flush(); out.append(byte) }
        }
        flush()
        return String(decoding: out.prefix(200), as: UTF8.self)
    }
}
