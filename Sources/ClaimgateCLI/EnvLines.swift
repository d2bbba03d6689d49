import ArgumentParser
import Claimgate
import Foundation
import JSONValues

/// The `.env` lines of a new database, as Prisma's create-db writes them.
enum EnvLines {
    static func make(_ database: JSONValue) -> String {
        let direct = database["connectionString"]?.string
        let pooled = database["pooledConnectionString"]?.string
        var lines = [
            "# Claimgate database \(database["id"]?.text ?? "") (\(database["region"]?.text ?? ""))",
            "# Claim it before \(database["expiresAt"]?.text ?? "it expires"): \(database["claimUrl"]?.text ?? "")",
        ]
        if let url = pooled ?? direct { lines.append("DATABASE_URL=\(quoted(url))") }
        if let direct, let pooled, direct != pooled { lines.append("DIRECT_URL=\(quoted(direct))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A double-quoted dotenv value (`"` and `\` escaped).
    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Appends to `path` (created 0600: it holds a password), on a new line of its own.
    static func append(_ lines: String, to path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                Terminal.error("claimgate: cannot create \(path)")
                throw ExitCode(73)  // EX_CANTCREAT
            }
        }
        do {
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }  // the write below already succeeded or threw
            let end = try handle.seekToEnd()
            var text = lines
            if end > 0 {
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1) != Data("\n".utf8) { text = "\n" + text }
                try handle.seekToEnd()
            }
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            Terminal.error("claimgate: cannot write \(path): \(error.localizedDescription)")
            throw ExitCode(74)  // EX_IOERR
        }
    }
}
