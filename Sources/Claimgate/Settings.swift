import Configuration
import Secrets
import Foundation
import Logging
import HTTPServer

/// A configuration value that could not be used; the message names the environment variable
/// (and the JSON key) but never echoes the value, which may be a secret.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let key: String
    public let reason: String

    public var description: String {
        "invalid configuration: \(SettingsLoader.environmentName(for: key)) (\(key) in the config file) \(reason)"
    }
}

/// Everything the service reads from configuration, validated once at start.
///
/// Sources, highest precedence first: environment variables (`CLAIMGATE_PORT`, `PRISMA_API_URL`, …),
/// then the JSON file (`config/claimgate.json`), then the built-in defaults in ``SettingsLoader/defaults``
/// (which equal the shipped file; a test keeps them in step).
public struct Settings: Sendable {
    public var host: String
    public var port: Int
    /// Base of claim links and of the OAuth redirect URI; no trailing slash.
    public var publicURL: String
    public var databasePath: String
    public var databaseSynchronous: String
    public var migrationsPath: String
    public var apiKeys: [Secret]
    /// 32 bytes, or nil when not configured.
    public var encryptionKey: Secret?
    public var logLevel: String
    /// Loopback port of the built-in Prisma emulator in sandbox mode (0 picks a free one).
    public var sandboxPort: Int
    /// Claim pages and OAuth callbacks a client address may request per minute (0 = no limit).
    public var claimRateLimitPerMinute: Int
    /// Standard Webhooks secret (`whsec_…`) for signed partner calls, or nil.
    public var webhookSecret: Secret?
    public var provisioning: ProvisioningSettings
    public var lifecycle: LifecycleSettings
    public var http: HTTPSettings

    /// Expiry, webhooks and connected accounts.
    public struct LifecycleSettings: Sendable {
        /// Where events are POSTed (Standard Webhooks), or nil to only record them.
        public var webhookURL: String?
        public var webhookSigningSecret: Secret?
        public var sweepIntervalSeconds: Int
        /// `database.expiring` is sent this long before expiry.
        public var expiringLeadSeconds: Int
        public var webhookIntervalSeconds: Int
        /// Keep users' grants after the claim (connected accounts); off deletes them right after the transfer.
        public var keepTokens: Bool
    }

    /// Defaults and bounds for new databases, and the recovery pass.
    public struct ProvisioningSettings: Sendable {
        public var defaultRegion: String
        public var defaultTTLSeconds: Int
        public var maxTTLSeconds: Int
        /// How often the recovery pass looks for databases left `provisioning`.
        public var recoveryIntervalSeconds: Int
        /// After this long, a database still `provisioning` is marked `failed`.
        public var giveUpAfterSeconds: Int
    }
    public var prisma: PrismaSettings

    /// Transport limits (see ``HTTPServer/ServerConfiguration``).
    public struct HTTPSettings: Sendable {
        public var threads: Int
        public var connectionLimit: Int
        public var connectionTimeoutSeconds: Int
        public var connectionMemoryLimitBytes: Int
        public var maxBodyBytes: Int
        public var maxHeaderBytes: Int
        public var handlerTimeoutSeconds: Int
        public var drainTimeoutSeconds: Int
    }

    /// Where Prisma is and how we authenticate to it.
    public struct PrismaSettings: Sendable {
        public var apiURL: String
        public var authURL: String
        public var serviceToken: Secret?
        public var clientID: String?
        public var clientSecret: Secret?

        /// Sandbox mode: no service token was configured, so whoever assembles the service (the
        /// CLI, a test) runs the built-in Prisma emulator and fills in the fields above with its
        /// address and credentials. Stays true after that: it also means "no real key for secrets
        /// at rest is required" and "the sandbox API key is accepted".
        public var isSandbox: Bool

        public init(apiURL: String, authURL: String, serviceToken: Secret?, clientID: String?, clientSecret: Secret?) {
            self.apiURL = apiURL
            self.authURL = authURL
            self.serviceToken = serviceToken
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.isSandbox = serviceToken == nil
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
            maxHeaderBytes: http.maxHeaderBytes, handlerTimeout: .seconds(http.handlerTimeoutSeconds),
            drainTimeout: .seconds(http.drainTimeoutSeconds), errorLog: errorLog,
            problemTypePrefix: problemTypePrefix, logger: logger)
    }
}


/// Builds ``Settings`` from configuration providers.
public enum SettingsLoader {
    /// Built-in defaults, identical to the shipped `config/claimgate.json`.
    public static let defaults: [String: ConfigValue] = [
        "claimgate.host": "127.0.0.1",
        "claimgate.port": 8080,
        "claimgate.publicUrl": "",
        "claimgate.databasePath": "data/claimgate.sqlite",
        "claimgate.database.synchronous": "FULL",
        "claimgate.migrationsPath": "migrations",
        "claimgate.apiKeys": ConfigValue(.stringArray([]), isSecret: true),
        "claimgate.encryptionKey": ConfigValue(.string(""), isSecret: true),
        "claimgate.logLevel": "info",
        "claimgate.sandboxPort": 0,
        "claimgate.webhookSecret": ConfigValue(.string(""), isSecret: true),
        "claimgate.provisioning.defaultRegion": "us-east-1",
        "claimgate.provisioning.defaultTtlSeconds": 86_400,
        "claimgate.provisioning.maxTtlSeconds": 604_800,
        "claimgate.provisioning.recoveryIntervalSeconds": 30,
        "claimgate.provisioning.giveUpAfterSeconds": 3600,
        "claimgate.webhookUrl": "",
        "claimgate.webhookSigningSecret": ConfigValue(.string(""), isSecret: true),
        "claimgate.lifecycle.sweepIntervalSeconds": 30,
        "claimgate.lifecycle.expiringLeadSeconds": 3600,
        "claimgate.lifecycle.webhookIntervalSeconds": 2,
        "claimgate.accounts.keepTokens": true,
        "claimgate.claims.rateLimitPerMinute": 120,
        "claimgate.http.threads": 0,
        "claimgate.http.connectionLimit": 10_000,
        "claimgate.http.connectionTimeoutSeconds": 30,
        "claimgate.http.connectionMemoryLimitBytes": 65_536,
        "claimgate.http.maxBodyBytes": 1_048_576,
        "claimgate.http.maxHeaderBytes": 16_384,
        "claimgate.http.handlerTimeoutSeconds": 30,
        "claimgate.http.drainTimeoutSeconds": 10,
        "prisma.apiUrl": "https://api.prisma.io",
        "prisma.authUrl": "https://auth.prisma.io",
        "prisma.serviceToken": ConfigValue(.string(""), isSecret: true),
        "prisma.clientId": "",
        "prisma.clientSecret": ConfigValue(.string(""), isSecret: true),
    ]

    /// Environment variable names whose values are secrets (redacted by the config library too).
    static let secretVariables: Set<String> = [
        "CLAIMGATE_API_KEYS", "CLAIMGATE_ENCRYPTION_KEY", "CLAIMGATE_WEBHOOK_SECRET", "CLAIMGATE_WEBHOOK_SIGNING_SECRET",
        "PRISMA_SERVICE_TOKEN",
        "PRISMA_CLIENT_SECRET",
    ]

    /// The usual providers: the process environment over the JSON file over the defaults.
    /// - Parameters:
    ///   - environment: Variables to read (the process environment by default).
    ///   - configFile: JSON file path; a missing file is an error only when `requireFile` is set.
    public static func providers(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String = "config/claimgate.json", requireFile: Bool = false
    ) async throws -> [any ConfigProvider] {
        let file: FileProvider<JSONSnapshot>
        do {
            file = try await FileProvider<JSONSnapshot>(filePath: .init(configFile), allowMissing: !requireFile)
        } catch {
            throw ConfigurationError(key: "config file", reason: "could not be read as JSON: \(configFile)")
        }
        return [
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .dynamic { key, _ in secretVariables.contains(key.uppercased()) }),
            file,
            InMemoryProvider(name: "defaults", values: Dictionary(uniqueKeysWithValues: defaults.map {
                (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), $0.value)
            })),
        ]
    }

    /// Reads and validates every setting. Throws ``ConfigurationError`` naming the first bad key.
    public static func load(from providers: [any ConfigProvider]) throws -> Settings {
        let config = ConfigReader(providers: providers)
        let reader = Reader(config: config)
        let port = try reader.int("claimgate.port", in: 0...65_535)
        let publicURL = try reader.optionalString("claimgate.publicUrl").map {
            try validatedURL($0, key: "claimgate.publicUrl")
        } ?? "http://localhost:\(port)"
        // Claim cookies are Secure: plain HTTP only for a browser on this machine.
        if publicURL.lowercased().hasPrefix("http://"),
           !["localhost", "127.0.0.1", "[::1]", "::1"].contains(URLComponents(string: publicURL)?.host?.lowercased() ?? "") {
            throw ConfigurationError(key: "claimgate.publicUrl", reason: "must be https:// (plain http:// only for localhost)")
        }
        let apiKeys = try reader.stringArray("claimgate.apiKeys", secret: true)
        for key in apiKeys where key.count < 16 || key.contains(where: \.isWhitespace) {
            throw ConfigurationError(key: "claimgate.apiKeys", reason: "must list keys of at least 16 characters without spaces")
        }
        let encryptionKey = try reader.optionalString("claimgate.encryptionKey", secret: true)
        if let encryptionKey, Data(base64Encoded: encryptionKey)?.count != 32 {
            throw ConfigurationError(key: "claimgate.encryptionKey", reason: "must be the base64 encoding of exactly 32 bytes")
        }
        let synchronous = try reader.string("claimgate.database.synchronous").uppercased()
        guard ["FULL", "NORMAL", "EXTRA"].contains(synchronous) else {
            throw ConfigurationError(key: "claimgate.database.synchronous", reason: "must be FULL, NORMAL or EXTRA")
        }
        let logLevel = try reader.string("claimgate.logLevel").lowercased()
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(key: "claimgate.logLevel", reason: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        return Settings(
            host: try reader.string("claimgate.host"),
            port: port,
            publicURL: publicURL,
            databasePath: try reader.nonEmptyString("claimgate.databasePath"),
            databaseSynchronous: synchronous,
            migrationsPath: try reader.nonEmptyString("claimgate.migrationsPath"),
            apiKeys: apiKeys.map { Secret($0) },
            encryptionKey: encryptionKey.map { Secret($0) },
            logLevel: logLevel,
            sandboxPort: try reader.int("claimgate.sandboxPort", in: 0...65_535),
            claimRateLimitPerMinute: try reader.int("claimgate.claims.rateLimitPerMinute", in: 0...1_000_000),
            webhookSecret: try reader.optionalString("claimgate.webhookSecret", secret: true).map { Secret($0) },
            provisioning: .init(
                defaultRegion: try reader.nonEmptyString("claimgate.provisioning.defaultRegion"),
                defaultTTLSeconds: try reader.int("claimgate.provisioning.defaultTtlSeconds", in: 60...31_536_000),
                maxTTLSeconds: try reader.int("claimgate.provisioning.maxTtlSeconds", in: 60...31_536_000),
                recoveryIntervalSeconds: try reader.int("claimgate.provisioning.recoveryIntervalSeconds", in: 1...86_400),
                giveUpAfterSeconds: try reader.int("claimgate.provisioning.giveUpAfterSeconds", in: 60...604_800)),
            lifecycle: try lifecycle(reader),
            http: .init(
                threads: try reader.int("claimgate.http.threads", in: 0...256),
                connectionLimit: try reader.int("claimgate.http.connectionLimit", in: 1...1_000_000),
                connectionTimeoutSeconds: try reader.int("claimgate.http.connectionTimeoutSeconds", in: 1...3600),
                connectionMemoryLimitBytes: try reader.int("claimgate.http.connectionMemoryLimitBytes", in: 8192...16_777_216),
                maxBodyBytes: try reader.int("claimgate.http.maxBodyBytes", in: 0...1_073_741_824),
                maxHeaderBytes: try reader.int("claimgate.http.maxHeaderBytes", in: 1024...1_048_576),
                handlerTimeoutSeconds: try reader.int("claimgate.http.handlerTimeoutSeconds", in: 1...600),
                drainTimeoutSeconds: try reader.int("claimgate.http.drainTimeoutSeconds", in: 0...600)),
            prisma: .init(
                apiURL: try validatedURL(try reader.string("prisma.apiUrl"), key: "prisma.apiUrl"),
                authURL: try validatedURL(try reader.string("prisma.authUrl"), key: "prisma.authUrl"),
                serviceToken: try reader.optionalString("prisma.serviceToken", secret: true).map { Secret($0) },
                clientID: try reader.optionalString("prisma.clientId"),
                clientSecret: try reader.optionalString("prisma.clientSecret", secret: true).map { Secret($0) }))
    }

    static func lifecycle(_ reader: Reader) throws -> Settings.LifecycleSettings {
        let url = try reader.optionalString("claimgate.webhookUrl").map { try validatedURL($0, key: "claimgate.webhookUrl") }
        let secret = try reader.optionalString("claimgate.webhookSigningSecret", secret: true).map { Secret($0) }
        if url != nil && secret == nil {
            throw ConfigurationError(key: "claimgate.webhookSigningSecret", reason: "is required when CLAIMGATE_WEBHOOK_URL is set")
        }
        return Settings.LifecycleSettings(
            webhookURL: url, webhookSigningSecret: secret,
            sweepIntervalSeconds: try reader.int("claimgate.lifecycle.sweepIntervalSeconds", in: 1...86_400),
            expiringLeadSeconds: try reader.int("claimgate.lifecycle.expiringLeadSeconds", in: 0...604_800),
            webhookIntervalSeconds: try reader.int("claimgate.lifecycle.webhookIntervalSeconds", in: 1...3600),
            keepTokens: try reader.bool("claimgate.accounts.keepTokens"))
    }

    /// `prisma.apiUrl` → `PRISMA_API_URL`, the environment provider's own naming rule.
    public static func environmentName(for key: String) -> String {
        var name = ""
        for character in key {
            if character == "." {
                name.append("_")
            } else if character.isUppercase {
                name.append("_")
                name.append(character)
            } else {
                name.append(character.uppercased())
            }
        }
        return name
    }

    static func validatedURL(_ text: String, key: String) throws -> String {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw ConfigurationError(key: key, reason: "must be an absolute http(s) URL without query, fragment or credentials")
        }
        return trimmed
    }

    /// Wraps `ConfigReader`'s throwing readers so every failure names its key.
    struct Reader {
        let config: ConfigReader

        func string(_ key: String, secret: Bool = false) throws -> String {
            do { return try config.requiredString(forKey: ConfigKey(key), isSecret: secret) } catch {
                throw ConfigurationError(key: key, reason: "is missing or not a string")
            }
        }

        func nonEmptyString(_ key: String) throws -> String {
            let value = try string(key)
            guard !value.isEmpty else { throw ConfigurationError(key: key, reason: "must not be empty") }
            return value
        }

        /// Empty means "not set".
        func optionalString(_ key: String, secret: Bool = false) throws -> String? {
            let value = try string(key, secret: secret).trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }

        func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
            let value: Int
            do { value = try config.requiredInt(forKey: ConfigKey(key)) } catch {
                throw ConfigurationError(key: key, reason: "must be an integer")
            }
            guard range.contains(value) else {
                throw ConfigurationError(key: key, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }

        func bool(_ key: String) throws -> Bool {
            do { return try config.requiredBool(forKey: ConfigKey(key)) } catch {
                throw ConfigurationError(key: key, reason: "must be true or false")
            }
        }

        func stringArray(_ key: String, secret: Bool) throws -> [String] {
            do {
                return try config.requiredStringArray(forKey: ConfigKey(key), isSecret: secret)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } catch {
                throw ConfigurationError(key: key, reason: "must be a comma-separated list (a JSON array in the file)")
            }
        }
    }
}
