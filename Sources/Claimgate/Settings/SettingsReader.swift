import Configuration
import Foundation
import Secrets

/// A configuration value that could not be used; the message names the environment variable
/// (and the JSON key) but never echoes the value, which may be a secret.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The full JSON key (`claimgate.http.threads`), whatever reader scope reported it.
    public let key: String
    public let reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String {
        "invalid configuration: \(SettingsLoader.environmentName(for: key)) (\(key) in the config file) \(reason)"
    }
}

/// Reads configuration keys under one prefix, each with its type and its default in the same call
/// (`try reader.int("threads", default: 0, in: 0...256)`).
///
/// Each settings type reads its own keys in its `init(reader:)`, so a key's name, type, bounds and
/// default are written once, next to the field they fill. The defaults table the shipped
/// `config/claimgate.json` must equal (``SettingsLoader/defaults``) is derived from those same
/// calls by running them over a recording reader, instead of being a second list to keep in step.
///
/// A value that is present but not of the declared type is an error naming the key: unlike
/// `ConfigReader`'s accessors with a default, it never falls back to the default silently, and
/// unlike its `required…` accessors, a missing value is not an error but the default.
public struct SettingsReader {
    private enum Source {
        /// Real lookups, highest precedence first.
        case providers([any ConfigProvider])
        /// No lookups: every read answers its default and is recorded (see ``SettingsLoader/declarations``).
        case recording(DefaultsRecorder)
    }

    private let source: Source
    /// Components of the absolute key this reader's keys are relative to (empty at the root).
    private let prefix: [String]

    /// A root reader over `providers` (highest precedence first); keys no provider has take the
    /// default named where they are read.
    public init(providers: [any ConfigProvider]) {
        self.init(source: .providers(providers), prefix: [])
    }

    /// A root reader that answers every read with its default and records it in `recorder`.
    init(recording recorder: DefaultsRecorder) {
        self.init(source: .recording(recorder), prefix: [])
    }

    private init(source: Source, prefix: [String]) {
        self.source = source
        self.prefix = prefix
    }

    /// A reader for the keys under `path` (`"claimgate.http"`), relative to this reader's own scope.
    public func scoped(_ path: String) -> SettingsReader {
        SettingsReader(source: source, prefix: prefix + Self.components(path))
    }

    /// The full key (`claimgate.http.threads`) of `key` in this scope, as errors name it.
    public func absoluteKey(_ key: String) -> String {
        (prefix + Self.components(key)).joined(separator: ".")
    }

    /// An error about `key` in this scope (for checks beyond one value's type and range).
    public func invalid(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(key: absoluteKey(key), reason: reason)
    }

    // MARK: Typed reads

    public func string(_ key: String, default defaultValue: String, secret: Bool = false) throws -> String {
        try read(key, as: .string, default: defaultValue, secret: secret, reason: "is not a string",
                 wrap: ConfigContent.string) { if case .string(let value) = $0 { value } else { nil } }
    }

    /// A string that must not be empty (a path, a region).
    public func nonEmptyString(_ key: String, default defaultValue: String) throws -> String {
        let value = try string(key, default: defaultValue)
        guard !value.isEmpty else { throw invalid(key, "must not be empty") }
        return value
    }

    /// An optional string: empty (the default) or blank means "not set".
    public func optionalString(_ key: String, secret: Bool = false) throws -> String? {
        let value = try string(key, default: "", secret: secret).trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    /// An optional secret (a token, a key): empty means "not set"; it never prints.
    public func secret(_ key: String) throws -> Secret? {
        try optionalString(key, secret: true).map { Secret($0) }
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        let value = try read(key, as: .int, default: defaultValue, secret: false, reason: "must be an integer",
                             wrap: ConfigContent.int) { if case .int(let value) = $0 { value } else { nil } }
        guard range.contains(value) else {
            throw invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        try read(key, as: .bool, default: defaultValue, secret: false, reason: "must be true or false",
                 wrap: ConfigContent.bool) { if case .bool(let value) = $0 { value } else { nil } }
    }

    /// A list (comma-separated in the environment, an array in the file), empty by default;
    /// elements are trimmed and blank ones dropped.
    public func stringList(_ key: String, secret: Bool = false) throws -> [String] {
        try read(key, as: .stringArray, default: [], secret: secret,
                 reason: "must be a comma-separated list (a JSON array in the file)",
                 wrap: ConfigContent.stringArray) { if case .stringArray(let value) = $0 { value } else { nil } }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An absolute http(s) URL without query, fragment or credentials, trailing slashes removed.
    /// The default is text, validated like a configured value, so that no URL literal needs an unwrap.
    public func url(_ key: String, default defaultValue: String) throws -> URL {
        try validatedURL(try string(key, default: defaultValue), key: key)
    }

    /// An optional URL as ``url(_:default:)``: empty (the default) means "not set".
    public func optionalURL(_ key: String) throws -> URL? {
        try optionalString(key).map { try validatedURL($0, key: key) }
    }

    private func validatedURL(_ text: String, key: String) throws -> URL {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil,
              let url = URL(string: trimmed)
        else {
            throw invalid(key, "must be an absolute http(s) URL without query, fragment or credentials")
        }
        return url
    }

    // MARK: Lookup

    /// The value of `key` from the first provider that has it, or `defaultValue`.
    ///
    /// Providers are asked in order and the first answer wins; a provider that holds the key but
    /// cannot give it as `type` (`CLAIMGATE_PORT=eighty`) stops the lookup with an error that names
    /// the key and not the value, as `ConfigReader`'s own multi-provider lookup would.
    private func read<Value>(
        _ key: String, as type: ConfigType, default defaultValue: Value, secret: Bool, reason: String,
        wrap: (Value) -> ConfigContent, unwrap: (ConfigContent) -> Value?
    ) throws -> Value {
        let components = prefix + Self.components(key)
        switch source {
        case .recording(let recorder):
            recorder.record(components.joined(separator: "."), ConfigValue(wrap(defaultValue), isSecret: secret))
            return defaultValue
        case .providers(let providers):
            let absolute = AbsoluteConfigKey(components)
            for provider in providers {
                let found: ConfigValue?
                do { found = try provider.value(forKey: absolute, type: type).value } catch {
                    throw invalid(key, reason)
                }
                guard let found else { continue }
                guard let value = unwrap(found.content) else { throw invalid(key, reason) }
                return value
            }
            return defaultValue
        }
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: ".").map(String.init)
    }
}

/// Collects what a recording ``SettingsReader`` was asked for: each key once per read, in order.
/// Only used synchronously while deriving ``SettingsLoader/declarations``.
final class DefaultsRecorder {
    private(set) var declarations: [SettingsLoader.Declaration] = []

    func record(_ key: String, _ value: ConfigValue) {
        declarations.append(SettingsLoader.Declaration(key: key, defaultValue: value))
    }
}
