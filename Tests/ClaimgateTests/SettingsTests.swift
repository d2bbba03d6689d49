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
            #expect(settings.databasePath == "data/claimgate.sqlite")
            #expect(settings.prisma.apiURL == "https://api.prisma.io")
            #expect(settings.prisma.authURL == "https://auth.prisma.io")
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
        #expect(fileOnly.logLevel == "debug")
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
        #expect(both.prisma.apiURL == "http://127.0.0.1:9999")
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

    @Test("secrets print redacted")
    func redaction() async throws {
        let settings = try await load(["PRISMA_SERVICE_TOKEN": "canary-token-123", "PRISMA_CLIENT_SECRET": "canary-secret-456"])
        let dump = "\(settings)"
        #expect(!dump.contains("canary-token-123"))
        #expect(!dump.contains("canary-secret-456"))
        #expect(dump.contains("<redacted>"))
    }
}
