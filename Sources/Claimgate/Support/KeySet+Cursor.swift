import Foundation
import Secrets
import Synchronization

/// A thread-safe set of strings.
final class KeySet: Sendable {
    private let keys = Mutex<Set<String>>([])
    /// Inserts; false if it was already there.
    func insert(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
    func remove(_ key: String) { keys.withLock { _ = $0.remove(key) } }
}

/// Opaque list cursors: base64url of `createdAt:id`.
enum Cursor {
    static func encode(_ createdAt: Int64, _ id: String) -> String {
        Base64URL.encode(Array("\(createdAt):\(id)".utf8))
    }

    static func decode(_ text: String) -> (Int64, String)? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let createdAt = Int64(parts[0]) else { return nil }
        return (createdAt, String(parts[1]))
    }
}
