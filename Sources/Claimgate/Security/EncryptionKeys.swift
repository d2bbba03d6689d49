import Foundation
import Secrets
import Logging

/// Finds the key for secrets at rest: `CLAIMGATE_ENCRYPTION_KEY`, or in sandbox mode a key
/// generated once and kept next to the database (`sandbox-encryption.key`, mode 0600).
enum EncryptionKeys {
    static func resolve(settings: Settings, logger: Logger) throws -> [UInt8] {
        if let configured = settings.encryptionKey, let bytes = Data(base64Encoded: configured.value), bytes.count == 32 {
            return Array(bytes)
        }
        guard settings.prisma.isSandbox else {
            throw ConfigurationError(
                key: "claimgate.encryptionKey", reason: "is required when PRISMA_SERVICE_TOKEN is set (openssl rand -base64 32)")
        }
        let directory = URL(fileURLWithPath: settings.database.path).deletingLastPathComponent()
        let file = directory.appendingPathComponent("sandbox-encryption.key")
        // A missing or unreadable key file means "make one": the error itself carries nothing to act on.
        if let existing = try? Data(contentsOf: file), let bytes = Data(base64Encoded: existing), bytes.count == 32 {
            return Array(bytes)
        }
        let bytes = SecureRandom.bytes(32)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(
            atPath: file.path, contents: Data(Data(bytes).base64EncodedString().utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(key: "claimgate.encryptionKey", reason: "could not be generated at \(file.path)") }
        logger.notice("sandbox mode: generated an encryption key for secrets at rest", metadata: ["file": "\(file.path)"])
        return bytes
    }
}
