import Crypto
import Foundation
import Secrets

/// Why a sealed value could not be opened.
public enum SecretBoxError: Error, Sendable, Equatable {
    /// Too short, unknown version, or authentication failed (tampered, wrong key, wrong row).
    case unreadable
}

/// AES-256-GCM for secrets at rest (database credentials, stored responses, user tokens).
///
/// A fresh random 96-bit nonce per seal; layout `0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16)`. The
/// `context` (table, column and row id) is authenticated data, so a sealed value moved to another
/// row does not open.
public struct SecretBox: Sendable {
    private let key: SymmetricKey
    static let version: UInt8 = 1
    static let overhead = 1 + 12 + 16

    public init(keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32, "AES-256 needs a 32-byte key")
        key = SymmetricKey(data: keyBytes)
    }

    public func seal(_ plaintext: [UInt8], context: String) -> [UInt8] {
        // A 12-byte nonce from one `getrandom` call (`AES.GCM.Nonce()` makes two). Neither this
        // nonce nor AES.GCM.seal can throw but for an invalid nonce size, which 12 bytes is not.
        let nonce = try! AES.GCM.Nonce(data: SecureRandom.bytes(12))
        let box = try! AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: Data(context.utf8))
        return [SecretBox.version] + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    public func seal(_ text: String, context: String) -> [UInt8] { seal(Array(text.utf8), context: context) }

    public func open(_ sealed: [UInt8], context: String) throws(SecretBoxError) -> [UInt8] {
        // Check the length before slicing anything.
        guard sealed.count >= SecretBox.overhead, sealed[0] == SecretBox.version else { throw .unreadable }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: sealed[1..<13]), ciphertext: sealed[13..<(sealed.count - 16)],
                tag: sealed[(sealed.count - 16)...])
            return Array(try AES.GCM.open(box, using: key, authenticating: Data(context.utf8)))
        } catch {
            throw .unreadable
        }
    }

    /// A key for another purpose (the HMAC of a page's confirmation form), derived with HKDF so
    /// the encryption key itself never keys anything but AES-GCM.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data(purpose.utf8), outputByteCount: 32)
    }

    public func openString(_ sealed: [UInt8], context: String) throws(SecretBoxError) -> String {
        String(decoding: try open(sealed, context: context), as: UTF8.self)
    }
}

public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }
    /// Lowercase hex (by table: `String(format:)` cost 3 % of an authenticated request's CPU time).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Equality whose time does not depend on where the inputs differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
