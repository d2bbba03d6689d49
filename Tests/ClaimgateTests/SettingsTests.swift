import Claimgate
import Configuration
import Foundation
import TestSupport
import Testing

@Suite("Configuration")
struct SettingsTests {
    let configFile = TestPaths.packageRoot.appendingPathComponent("config/claimgate.json").path

    func load(_ environment: [String: String], file: String? = nil) async throws -> Settings {
        try SettingsLoader.load(from: try await SettingsLoader.providers(environment: environment, configFile: file ?? configFile))
    }

    @Test("defaults: the shipped file and the built-in defaults agree")
    func defaults() async throws {
        let fromFile = try await load([:])
        let builtIn = try await load([:], file: "/nonexistent/claimgate.json")
        for settings in [fromFile, builtIn] {
            #expect(settings.host == "127.0.0.1")
            #expect(settings.port == 8080)
            #expect(settings.publicURL == "http://localhost:8080")
            #expect(settings.database.path == "data/claimgate.sqlite")
            #expect(settings.prisma.apiURL.absoluteString == "https://api.prisma.io")
            #expect(settings.prisma.authURL.absoluteString == "https://auth.prisma.io")
            #expect(settings.prisma.isSandbox)
            #expect(settings.apiKeys.isEmpty)
            #expect(settings.encryptionKey == nil)
        }
        // Every key of the shipped file is one the service knows (no stale or misspelt keys).
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configFile)))
        var fileKeys: [String] = []
        func flatten(_ value: Any, _ prefix: String) {
            if let object = value as? [String: Any] {
                for (key, child) in object { flatten(child, prefix.isEmpty ? key : "\(prefix).\(key)") }
            } else {
                fileKeys.append(prefix)
            }
        }
        flatten(json, "")
        #expect(Set(fileKeys) == Set(SettingsLoader.defaults.keys))
    }

    @Test("environment overrides the file, and the file overrides the defaults")
    func precedence() async throws {
        let directory = TestPaths.temporaryDirectory()
        let file = directory.appendingPathComponent("custom.json").path
        try #"{"claimgate":{"port":9090,"host":"0.0.0.0","logLevel":"debug"}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let fileOnly = try await load([:], file: file)
        #expect(fileOnly.port == 9090)
        #expect(fileOnly.host == "0.0.0.0")
        #expect(fileOnly.logLevel == .debug)
        #expect(fileOnly.http.maxBodyBytes == 1_048_576)  // default, absent from the file
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let both = try await load([
            "CLAIMGATE_PORT": "9191", "CLAIMGATE_PUBLIC_URL": "https://claims.example.com/",
            "CLAIMGATE_API_KEYS": "key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb",
            "CLAIMGATE_ENCRYPTION_KEY": key, "PRISMA_SERVICE_TOKEN": "svc-token",
            "PRISMA_API_URL": "http://127.0.0.1:9999", "CLAIMGATE_HTTP_MAX_BODY_BYTES": "2048",
        ], file: file)
        #expect(both.port == 9191)
        #expect(both.host == "0.0.0.0")
        #expect(both.publicURL == "https://claims.example.com")
        #expect(both.apiKeys.map(\.value) == ["key-aaaaaaaaaaaaaaaa", "key-bbbbbbbbbbbbbbbb"])
        #expect(both.encryptionKey?.value == key)
        #expect(both.prisma.serviceToken?.value == "svc-token")
        #expect(!both.prisma.isSandbox)
        #expect(both.prisma.apiURL.absoluteString == "http://127.0.0.1:9999")
        #expect(both.http.maxBodyBytes == 2048)
    }

    @Test("invalid values stop the start with one line naming the key, never the value", arguments: [
        ("CLAIMGATE_PORT", "eighty", "CLAIMGATE_PORT"),
        ("CLAIMGATE_PORT", "70000", "CLAIMGATE_PORT"),
        ("CLAIMGATE_PUBLIC_URL", "ftp://x", "CLAIMGATE_PUBLIC_URL"),
        ("CLAIMGATE_ENCRYPTION_KEY", "c2VjcmV0LXRvby1zaG9ydA==", "CLAIMGATE_ENCRYPTION_KEY"),
        ("CLAIMGATE_API_KEYS", "short-secret", "CLAIMGATE_API_KEYS"),
        ("PRISMA_API_URL", "not a url", "PRISMA_API_URL"),
        ("CLAIMGATE_LOG_LEVEL", "loud", "CLAIMGATE_LOG_LEVEL"),
        ("CLAIMGATE_HTTP_MAX_BODY_BYTES", "-1", "CLAIMGATE_HTTP_MAX_BODY_BYTES"),
        ("CLAIMGATE_PUBLIC_URL", "http://claims.example.com", "CLAIMGATE_PUBLIC_URL"),
        ("CLAIMGATE_DATABASE_SYNCHRONOUS", "sometimes", "CLAIMGATE_DATABASE_SYNCHRONOUS"),
        ("CLAIMGATE_ACCOUNTS_KEEP_TOKENS", "perhaps", "CLAIMGATE_ACCOUNTS_KEEP_TOKENS"),
        ("CLAIMGATE_HTTP_THREADS", "4.5", "CLAIMGATE_HTTP_THREADS"),
        ("PRISMA_AUTH_URL", "https://auth.example.com/?next=x", "PRISMA_AUTH_URL"),
        ("CLAIMGATE_WEBHOOK_URL", "https://hooks.example.com/in", "CLAIMGATE_WEBHOOK_SIGNING_SECRET"),
    ])
    func invalid(variable: String, value: String, named: String) async throws {
        do {
            _ = try await load([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(named))
            #expect(!error.description.contains(value))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("each key is declared once, with the default the shipped file holds")
    func declarations() async throws {
        let declarations = SettingsLoader.declarations
        let keys = declarations.map(\.key)
        #expect(Set(keys).count == keys.count, "a key is read in two places: \(keys.filter { key in keys.filter { $0 == key }.count > 1 })")
        // The file, read with the same provider and type as at run time, holds each declared default.
        let file = try await FileProvider<JSONSnapshot>(filePath: .init(configFile))
        for declaration in declarations {
            let found = try file.value(forKey: AbsoluteConfigKey(declaration.key.split(separator: ".").map(String.init)),
                                       type: Self.type(of: declaration.defaultValue.content)).value
            #expect(found?.content == declaration.defaultValue.content, "\(declaration.key) in config/claimgate.json")
        }
        // Secret keys are marked as such where they are read (the environment provider redacts them).
        #expect(Set(declarations.filter(\.isSecret).map(\.environmentVariable)) == [
            "CLAIMGATE_API_KEYS", "CLAIMGATE_DATABASE_URL", "CLAIMGATE_ENCRYPTION_KEY", "CLAIMGATE_WEBHOOK_SECRET", "CLAIMGATE_WEBHOOK_SIGNING_SECRET",
            "PRISMA_SERVICE_TOKEN", "PRISMA_CLIENT_SECRET", "CLAIMGATE_METRICS_TOKEN", "CLAIMGATE_ADMIN_PASSWORD",
        ])
    }

    @Test("README's configuration table lists every key, its variable and its default")
    func readmeTable() throws {
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var rows: [String: (variable: String, defaultText: String)] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, cells[1].hasPrefix("`"), cells[1].contains(".") else { continue }
            rows[cells[1].trimmingCharacters(in: ["`"])] = (cells[0].trimmingCharacters(in: ["`"]), cells[2])
        }
        #expect(Set(rows.keys) == Set(SettingsLoader.declarations.map(\.key)))
        for declaration in SettingsLoader.declarations {
            guard let row = rows[declaration.key] else { continue }
            #expect(row.variable == declaration.environmentVariable, "README row of \(declaration.key)")
            let literal: String? = switch declaration.defaultValue.content {
            case .string(let text) where !text.isEmpty: text
            case .int(let number): String(number)
            case .bool(let flag): String(flag)
            default: nil  // empty: README describes what "not set" means
            }
            if let literal {
                #expect(row.defaultText.hasPrefix("`\(literal)`"), "README default of \(declaration.key)")
            }
        }
    }

    @Test("a value of the wrong type, in the environment or the file, names the variable and not the value")
    func mistyped() async throws {
        let directory = TestPaths.temporaryDirectory()
        for declaration in SettingsLoader.declarations {
            let components = declaration.key.split(separator: ".").map(String.init)
            // The environment carries text: only numbers and flags can be mistyped there.
            let environmentValue: String? = switch declaration.defaultValue.content {
            case .int: "canary-not-a-number"
            case .bool: "canary-not-a-flag"
            default: nil
            }
            // The file can give any key a value of the wrong JSON type (an object would not do:
            // the file provider reads it as deeper keys, leaving this one unset).
            let fileValue: Any = switch declaration.defaultValue.content {
            case .string, .stringArray: 918_273_645
            default: "canary-wrong-type"
            }
            var json: Any = fileValue
            for component in components.reversed() { json = [component: json] }
            let file = directory.appendingPathComponent("\(declaration.key).json").path
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
            var attempts: [(String, [String: String], String)] = [("file", [:], file)]
            if let environmentValue { attempts.append(("environment", [declaration.environmentVariable: environmentValue], configFile)) }
            for (source, environment, path) in attempts {
                do {
                    _ = try await load(environment, file: path)
                    Issue.record("a mistyped \(declaration.key) in the \(source) was accepted")
                } catch let error as ConfigurationError {
                    #expect(error.key == declaration.key, "\(source)")
                    #expect(error.description.contains(declaration.environmentVariable), "\(source)")
                    #expect(!error.description.contains("canary") && !error.description.contains("918273645"), "\(source)")
                }
            }
        }
    }

    static func type(of content: ConfigContent) -> ConfigType {
        switch content {
        case .string: .string
        case .int: .int
        case .bool: .bool
        case .stringArray: .stringArray
        default: .string
        }
    }

    @Test("secrets print redacted")
    func redaction() async throws {
        let settings = try await load(["PRISMA_SERVICE_TOKEN": "canary-token-123", "PRISMA_CLIENT_SECRET": "canary-secret-456"])
        let dump = "\(settings)"
        #expect(!dump.contains("canary-token-123"))
        #expect(!dump.contains("canary-secret-456"))
        #expect(dump.contains("<redacted>"))
    }
}
