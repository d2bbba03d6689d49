import Storage
import Foundation
import HTTPServer
import Logging
import Secrets

/// Everything the service reads from configuration, validated once at start.
///
/// Sources, highest precedence first: environment variables (`CLAIMGATE_PORT`, `PRISMA_API_URL`, …),
/// then the JSON file (`config/claimgate.json`), then the defaults each component declares where it
/// reads its keys (see ``SettingsReader``; a test keeps the shipped file equal to them).
public struct Settings: Sendable {
    public var host: String
    public var port: Int
    /// Base of claim links and of the OAuth redirect URI; no trailing slash. Validated as a URL but
    /// kept as text: its users append paths to it (`<public>/claim/<token>`) and never unwrap it.
    public var publicURL: String
    /// Partner API keys (none: only signed calls, or the sandbox key in sandbox mode).
    public var apiKeys: [Secret]
    /// 32 bytes, or nil when not configured.
    public var encryptionKey: Secret?
    public var logLevel: Logger.Level
    /// Log `/healthz`, `/readyz` and `/metrics` requests at `info` (default: `debug`).
    public var logProbes: Bool
    /// How long an answer of `GET /v1/databases/{id}` may be reused while nothing was written
    /// (SQLite only; 0 turns the reuse off). See `RecentReads`.
    public var readCacheSeconds: Int
    /// Loopback port of the built-in Prisma emulator in sandbox mode (0 picks a free one).
    public var sandboxPort: Int
    /// Standard Webhooks secret (`whsec_…`) for signed partner calls, or nil.
    public var webhookSecret: Secret?
    /// Bearer token that `GET /metrics` requires, or nil (then the endpoint is open: keep it internal).
    public var metricsToken: Secret?
    public var database: DatabaseSettings
    public var http: HTTPSettings
    public var provisioning: ProvisioningSettings
    public var lifecycle: LifecycleSettings
    public var webhooks: WebhookSettings
    public var claims: ClaimsSettings
    public var accounts: AccountsSettings
    public var brand: BrandSettings
    public var admin: AdminSettings
    public var prisma: PrismaSettings

    /// Reads the service's own keys under `claimgate`, then hands each component its scope.
    /// `reader` is the root reader (no scope).
    public init(reader: SettingsReader) throws {
        let service = reader.scoped("claimgate")
        host = try service.string("host", default: "127.0.0.1")
        port = try service.int("port", default: 8080, in: 0...65_535)
        publicURL = try service.optionalURL("publicUrl")?.absoluteString ?? "http://localhost:\(port)"
        // Claim cookies are Secure: plain HTTP only for a browser on this machine.
        if publicURL.lowercased().hasPrefix("http://"),
           !["localhost", "127.0.0.1", "[::1]", "::1"].contains(URLComponents(string: publicURL)?.host?.lowercased() ?? "") {
            throw service.invalid("publicUrl", "must be https:// (plain http:// only for localhost)")
        }
        let apiKeys = try service.stringList("apiKeys", secret: true)
        for key in apiKeys where key.count < 16 || key.contains(where: \.isWhitespace) {
            throw service.invalid("apiKeys", "must list keys of at least 16 characters without spaces")
        }
        self.apiKeys = apiKeys.map { Secret($0) }
        encryptionKey = try service.secret("encryptionKey")
        if let encryptionKey, Data(base64Encoded: encryptionKey.value)?.count != 32 {
            throw service.invalid("encryptionKey", "must be the base64 encoding of exactly 32 bytes")
        }
        let level = try service.string("logLevel", default: "info").lowercased()
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw service.invalid("logLevel", "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.logLevel = logLevel
        logProbes = try service.bool("logProbes", default: false)
        readCacheSeconds = try service.int("readCacheSeconds", default: 1, in: 0...60)
        sandboxPort = try service.int("sandboxPort", default: 0, in: 0...65_535)
        webhookSecret = try service.secret("webhookSecret")
        metricsToken = try service.secret("metricsToken")
        if let metricsToken, metricsToken.value.utf8.count < 16 {
            throw service.invalid("metricsToken", "must be at least 16 characters")
        }
        // These keys sit directly under `claimgate` (their names predate the groups and stay).
        database = try DatabaseSettings(reader: service)
        webhooks = try WebhookSettings(reader: service)
        http = try HTTPSettings(reader: service.scoped("http"))
        provisioning = try ProvisioningSettings(reader: service.scoped("provisioning"))
        // The wait must end before the request's own deadline would answer 503 instead of 202.
        if provisioning.waitSeconds >= http.handlerTimeoutSeconds {
            throw service.scoped("provisioning").invalid("waitSeconds", "must be shorter than claimgate.http.handlerTimeoutSeconds")
        }
        lifecycle = try LifecycleSettings(reader: service.scoped("lifecycle"))
        claims = try ClaimsSettings(reader: service.scoped("claims"))
        accounts = try AccountsSettings(reader: service.scoped("accounts"))
        brand = try BrandSettings(reader: service.scoped("brand"))
        admin = try AdminSettings(reader: service.scoped("admin"))
        prisma = try PrismaSettings(reader: reader.scoped("prisma"))
    }

    /// Where the state lives (`claimgate.databaseUrl`, `claimgate.databasePath`,
    /// `claimgate.database.*`, `claimgate.migrationsPath`): PostgreSQL when a URL is set (several
    /// replicas), else the SQLite file.
    public struct DatabaseSettings: Sendable {
        /// `postgres://…`: selects PostgreSQL. A secret (it holds the password): never printed.
        public var postgres: PostgresURL?
        public var path: String
        /// SQLite `synchronous`: `FULL`, `NORMAL` or `EXTRA` (upper case).
        public var synchronous: String
        /// Whether SQLite's WAL writes are batched into one write per commit (per 64 KiB) (see
        /// ``Storage/DatabaseOptions/batchWALWrites``); `false` only to compare.
        public var batchWALWrites: Bool
        /// Directory of `NNNN_name.sql` files (SQLite's); PostgreSQL's are in its `postgres/`.
        public var migrationsPath: String

        /// The migrations of the selected engine.
        public var engineMigrationsPath: String {
            postgres == nil ? migrationsPath : migrationsPath + "/postgres"
        }

        /// `reader` is scoped to `claimgate`, where the path keys live.
        public init(reader: SettingsReader) throws {
            if let url = try reader.optionalString("databaseUrl", secret: true) {
                do {
                    postgres = try PostgresURL(url)
                } catch {
                    throw reader.invalid("databaseUrl", error.reason)
                }
            }
            path = try reader.nonEmptyString("databasePath", default: "data/claimgate.sqlite")
            synchronous = try reader.string("database.synchronous", default: "FULL").uppercased()
            guard ["FULL", "NORMAL", "EXTRA"].contains(synchronous) else {
                throw reader.invalid("database.synchronous", "must be FULL, NORMAL or EXTRA")
            }
            batchWALWrites = try reader.bool("database.walBatching", default: true)
            migrationsPath = try reader.nonEmptyString("migrationsPath", default: "migrations")
        }
    }

    /// Transport limits (see ``HTTPServer/ServerConfiguration``), `claimgate.http.*`.
    public struct HTTPSettings: Sendable {
        public var threads: Int
        public var connectionLimit: Int
        public var connectionTimeoutSeconds: Int
        public var connectionMemoryLimitBytes: Int
        public var maxBodyBytes: Int
        public var maxHeaderBytes: Int
        public var handlerTimeoutSeconds: Int
        public var drainTimeoutSeconds: Int
        /// Connections one client address may hold (0: no limit).
        public var perAddressConnectionLimit: Int
        /// A request (head and body) must arrive within this, once its request line has.
        public var requestTimeoutSeconds: Int
        public var maxQueryParameters: Int

        public init(reader: SettingsReader) throws {
            threads = try reader.int("threads", default: 0, in: 0...256)
            connectionLimit = try reader.int("connectionLimit", default: 10_000, in: 1...1_000_000)
            connectionTimeoutSeconds = try reader.int("connectionTimeoutSeconds", default: 30, in: 1...3600)
            // libmicrohttpd 0.9.75 commits a connection's whole pool for as long as it is open
            // (measured: RSS grows by exactly the pool size per idle connection), so the pool is
            // the memory price of every idle keep-alive: 12 KiB holds 10,000 of them in ~160 MB and
            // still fits an 8 KiB request head.
            connectionMemoryLimitBytes = try reader.int("connectionMemoryLimitBytes", default: 12_288, in: 8192...16_777_216)
            maxBodyBytes = try reader.int("maxBodyBytes", default: 1_048_576, in: 0...1_073_741_824)
            maxHeaderBytes = try reader.int("maxHeaderBytes", default: 8_192, in: 1024...1_048_576)
            handlerTimeoutSeconds = try reader.int("handlerTimeoutSeconds", default: 30, in: 1...600)
            drainTimeoutSeconds = try reader.int("drainTimeoutSeconds", default: 10, in: 0...600)
            perAddressConnectionLimit = try reader.int("perAddressConnectionLimit", default: 256, in: 0...1_000_000)
            requestTimeoutSeconds = try reader.int("requestTimeoutSeconds", default: 10, in: 1...3600)
            // Each parsed parameter takes ~56 bytes of the connection pool, and libmicrohttpd 0.9.75
            // answers nothing when the pool runs out: the limit keeps far below that (the API uses ≤ 4).
            maxQueryParameters = try reader.int("maxQueryParameters", default: 64, in: 1...10_000)
        }
    }

    /// Defaults and bounds for new databases, and the recovery pass (`claimgate.provisioning.*`).
    public struct ProvisioningSettings: Sendable {
        public var defaultRegion: String
        public var defaultTTLSeconds: Int
        public var maxTTLSeconds: Int
        /// How often the recovery pass looks for databases left `provisioning`.
        public var recoveryIntervalSeconds: Int
        /// After this long, a database still `provisioning` is marked `failed`.
        public var giveUpAfterSeconds: Int
        /// Longest a partner's create request waits before it is answered `202` (provisioning
        /// goes on; the same Idempotency-Key later returns the `201` with credentials).
        public var waitSeconds: Int
        /// After a create that may have landed, no new create is sent for this long (the project may
        /// still appear in Prisma's listing).
        public var settleSeconds: Int
        /// How often the orphan reconciler lists the workspace's projects.
        public var reconcileIntervalSeconds: Int
        /// A project younger than this is never taken for an orphan (its database may be on the way).
        public var reconcileGraceSeconds: Int
        /// How long a lease on shared work lasts (a database's create, an idempotency key in flight,
        /// a token refresh, a background pass) before another replica may take the work over from
        /// one that died.
        public var leaseSeconds: Int

        public init(reader: SettingsReader) throws {
            defaultRegion = try reader.nonEmptyString("defaultRegion", default: "us-east-1")
            defaultTTLSeconds = try reader.int("defaultTtlSeconds", default: 86_400, in: 60...31_536_000)
            maxTTLSeconds = try reader.int("maxTtlSeconds", default: 604_800, in: 60...31_536_000)
            recoveryIntervalSeconds = try reader.int("recoveryIntervalSeconds", default: 30, in: 1...86_400)
            giveUpAfterSeconds = try reader.int("giveUpAfterSeconds", default: 3600, in: 60...604_800)
            waitSeconds = try reader.int("waitSeconds", default: 20, in: 0...600)
            settleSeconds = try reader.int("settleSeconds", default: 60, in: 0...3600)
            reconcileIntervalSeconds = try reader.int("reconcileIntervalSeconds", default: 600, in: 10...86_400)
            reconcileGraceSeconds = try reader.int("reconcileGraceSeconds", default: 3600, in: 0...604_800)
            leaseSeconds = try reader.int("leaseSeconds", default: 60, in: 2...3600)
        }
    }

    /// Expiry and the pace of webhook delivery (`claimgate.lifecycle.*`).
    public struct LifecycleSettings: Sendable {
        public var sweepIntervalSeconds: Int
        /// `database.expiring` is sent once at each of these lead times before expiry (seconds,
        /// largest first; empty: no warnings).
        public var expiringLeads: [Int]
        public var webhookIntervalSeconds: Int

        public init(reader: SettingsReader) throws {
            sweepIntervalSeconds = try reader.int("sweepIntervalSeconds", default: 30, in: 1...86_400)
            let leads = try reader.string("expiringLeads", default: "24h,1h")
            guard let parsed = LifecycleSettings.parseLeads(leads) else {
                throw reader.invalid("expiringLeads", "must be a comma-separated list of durations such as 24h,1h (units s, m, h, d; at most 30d)")
            }
            expiringLeads = parsed
            webhookIntervalSeconds = try reader.int("webhookIntervalSeconds", default: 2, in: 1...3600)
        }
    }

    /// Where lifecycle events are sent (outgoing Standard Webhooks): `claimgate.webhookUrl` and
    /// `claimgate.webhookSigningSecret`. Not to be confused with ``Settings/webhookSecret``, which
    /// verifies the partner's incoming signed calls.
    public struct WebhookSettings: Sendable {
        /// Where events are POSTed, or nil to only record them (for replay).
        public var url: URL?
        /// Signs every delivery; always set when ``url`` is.
        public var signingSecret: Secret?

        /// `reader` is scoped to `claimgate`, where both keys live.
        public init(reader: SettingsReader) throws {
            url = try reader.optionalURL("webhookUrl")
            signingSecret = try reader.secret("webhookSigningSecret")
            if url != nil && signingSecret == nil {
                throw reader.invalid("webhookSigningSecret", "is required when "
                    + "\(SettingsLoader.environmentName(for: reader.absoluteKey("webhookUrl"))) is set")
            }
        }
    }

    /// The claim pages (`claimgate.claims.*`).
    public struct ClaimsSettings: Sendable {
        /// Claim pages and OAuth callbacks a client address may request per minute (0 = no limit).
        public var rateLimitPerMinute: Int
        /// What happens to the partner's credentials when a user claims: `keep`, `rotate` or `revoke`
        /// (a database may choose otherwise at creation with `onClaim`).
        public var credentials: String

        public init(reader: SettingsReader) throws {
            rateLimitPerMinute = try reader.int("rateLimitPerMinute", default: 120, in: 0...1_000_000)
            credentials = try reader.string("credentials", default: "keep").lowercased()
            guard ["keep", "rotate", "revoke"].contains(credentials) else {
                throw reader.invalid("credentials", "must be keep, rotate or revoke")
            }
        }
    }

    /// Connected accounts (`claimgate.accounts.*`).
    public struct AccountsSettings: Sendable {
        /// Keep users' grants after the claim (connected accounts); off deletes them right after the transfer.
        public var keepTokens: Bool

        public init(reader: SettingsReader) throws {
            keepTokens = try reader.bool("keepTokens", default: true)
        }
    }

    /// Where Prisma is and how we authenticate to it (`prisma.*`).
    public struct PrismaSettings: Sendable {
        /// Validated once here, so nothing downstream parses (or force-unwraps) it again.
        public var apiURL: URL
        public var authURL: URL
        public var serviceToken: Secret?
        public var clientID: String?
        public var clientSecret: Secret?

        /// Sandbox mode: no service token was configured, so whoever assembles the service (the
        /// CLI, a test) runs the built-in Prisma emulator and fills in the fields above with its
        /// address and credentials. Stays true after that: it also means "no real key for secrets
        /// at rest is required" and "the sandbox API key is accepted".
        public var isSandbox: Bool
        /// How long one project create may take (real creates have taken over 10 s; a widely used
        /// client allows 2 minutes). Every other call keeps the client's 10 s.
        public var createTimeoutSeconds: Int
        /// Calls per minute per credential (Prisma limits each workspace), and the burst allowed.
        public var rateLimitPerMinute: Int
        public var rateLimitBurst: Int

        public init(apiURL: URL, authURL: URL, serviceToken: Secret?, clientID: String?, clientSecret: Secret?,
                    createTimeoutSeconds: Int = 120, rateLimitPerMinute: Int = 30, rateLimitBurst: Int = 10) {
            self.rateLimitPerMinute = rateLimitPerMinute
            self.rateLimitBurst = rateLimitBurst
            self.apiURL = apiURL
            self.authURL = authURL
            self.serviceToken = serviceToken
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.isSandbox = serviceToken == nil
            self.createTimeoutSeconds = createTimeoutSeconds
        }

        public init(reader: SettingsReader) throws {
            self.init(
                apiURL: try reader.url("apiUrl", default: "https://api.prisma.io"),
                authURL: try reader.url("authUrl", default: "https://auth.prisma.io"),
                serviceToken: try reader.secret("serviceToken"),
                clientID: try reader.optionalString("clientId"),
                clientSecret: try reader.secret("clientSecret"),
                createTimeoutSeconds: try reader.int("createTimeoutSeconds", default: 120, in: 1...600),
                rateLimitPerMinute: try reader.int("rateLimitPerMinute", default: 30, in: 1...100_000),
                rateLimitBurst: try reader.int("rateLimitBurst", default: 10, in: 1...10_000))
        }
    }

    /// The server configuration these settings describe.
    public func serverConfiguration(
        errorLog: @escaping @Sendable (String) -> Void, problemTypePrefix: String = "urn:claimgate:problem:",
        logger: Logger = Logger(label: "claimgate")
    ) -> ServerConfiguration {
        ServerConfiguration(
            host: host, port: UInt16(port), threadPoolSize: http.threads,
            connectionLimit: http.connectionLimit, connectionTimeoutSeconds: http.connectionTimeoutSeconds,
            connectionMemoryLimitBytes: http.connectionMemoryLimitBytes, maxBodyBytes: http.maxBodyBytes,
            maxHeaderBytes: http.maxHeaderBytes, perAddressConnectionLimit: http.perAddressConnectionLimit,
            requestReceiveTimeout: .seconds(http.requestTimeoutSeconds), maxQueryParameters: http.maxQueryParameters,
            handlerTimeout: .seconds(http.handlerTimeoutSeconds),
            drainTimeout: .seconds(http.drainTimeoutSeconds), errorLog: errorLog,
            problemTypePrefix: problemTypePrefix, logger: logger)
    }
}

extension Settings.LifecycleSettings {
    /// `"24h,1h"` → `[86400, 3600]`: distinct, largest first; nil when any item is not a positive
    /// whole number with a unit (`s`, `m`, `h`, `d`) or exceeds 30 days. Blank means none.
    static func parseLeads(_ text: String) -> [Int]? {
        var leads = Set<Int>()
        for item in text.split(separator: ",") {
            let item = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard let unit = item.last, let count = Int(item.dropLast()), count > 0, count <= 2_592_000 else { return nil }
            let factor: Int
            switch unit {
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86_400
            default: return nil
            }
            guard count * factor <= 2_592_000 else { return nil }
            leads.insert(count * factor)
        }
        return leads.sorted(by: >)
    }
}
