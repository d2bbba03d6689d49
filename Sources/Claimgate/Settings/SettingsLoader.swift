import Configuration
import Foundation

/// Builds ``Settings`` from configuration providers, and describes every key the service reads.
public enum SettingsLoader {
    /// One configuration key as the settings type that reads it declares it.
    public struct Declaration: Sendable, Equatable {
        /// The full JSON key (`claimgate.http.threads`).
        public let key: String
        /// The default, typed as the key is read, and marked secret when the key holds a secret.
        public let defaultValue: ConfigValue

        public var isSecret: Bool { defaultValue.isSecret }
        /// `CLAIMGATE_HTTP_THREADS`.
        public var environmentVariable: String { SettingsLoader.environmentName(for: key) }
    }

    /// Every key the service reads, in reading order, with its default and whether it is secret.
    ///
    /// Recorded by running ``Settings/init(reader:)`` once over a reader with no providers, so the
    /// defaults are the ones written in the `init(reader:)` of each settings type and nowhere
    /// else. Every key must therefore be read unconditionally (a key read only when another one is
    /// set would be missing here). A key read twice would appear twice: a test forbids that.
    public static let declarations: [Declaration] = {
        let recorder = DefaultsRecorder()
        do {
            _ = try Settings(reader: SettingsReader(recording: recorder))
        } catch {
            // Only the defaults were read: this is a programming error that every test run hits.
            fatalError("the built-in configuration defaults do not validate: \(error)")
        }
        return recorder.declarations
    }()

    /// Built-in defaults by JSON key, derived from ``declarations``; the shipped
    /// `config/claimgate.json` equals them (a test keeps it so).
    public static let defaults: [String: ConfigValue] = Dictionary(
        declarations.map { ($0.key, $0.defaultValue) }, uniquingKeysWith: { first, _ in first })

    /// Environment variable names whose values are secrets (redacted by the config library too).
    static let secretVariables: Set<String> = Set(declarations.filter(\.isSecret).map(\.environmentVariable))

    /// The usual providers: the process environment over the JSON file (keys neither has take the
    /// defaults declared where they are read).
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
        ]
    }

    /// Reads and validates every setting. Throws ``ConfigurationError`` naming the first bad key.
    public static func load(from providers: [any ConfigProvider]) throws -> Settings {
        try Settings(reader: SettingsReader(providers: providers))
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
}
