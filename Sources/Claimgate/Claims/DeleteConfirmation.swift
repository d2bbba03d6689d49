import Crypto
import Foundation

/// The hidden field of the "Delete this database?" form: proof that the POST comes from the
/// confirmation page of this very claim link, recently.
///
/// `<issued ms>.<base64url HMAC-SHA256(key, "delete\n<claim token>\n<issued ms>")>`, keyed with a
/// key derived from the encryption key. Only someone holding the claim link could have rendered
/// it — the same authority the link itself carries — and a value older than ``lifetime`` is
/// refused, so a form left open for a day asks again.
struct DeleteConfirmation: Sendable {
    let key: SymmetricKey
    let clock: any WallClock
    static let lifetime: Int64 = 1_800_000

    init(box: SecretBox, clock: any WallClock) {
        key = box.derivedKey(purpose: "claimgate claim-page delete confirmation v1")
        self.clock = clock
    }

    func issue(token: String) -> String {
        let issued = clock.milliseconds()
        return "\(issued).\(DeleteConfirmation.base64url(mac(token: token, issued: issued)))"
    }

    /// True for a value this service issued for `token` within ``lifetime`` (compared in constant time).
    func verify(_ value: String, token: String) -> Bool {
        let parts = value.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].count <= 16, let issued = Int64(parts[0]),
              let code = DeleteConfirmation.decodeBase64url(String(parts[1])) else { return false }
        let now = clock.milliseconds()
        guard issued <= now + 60_000, now - issued <= DeleteConfirmation.lifetime else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message(token: token, issued: issued), using: key)
    }

    private func message(token: String, issued: Int64) -> Data { Data("delete\n\(token)\n\(issued)".utf8) }

    private func mac(token: String, issued: Int64) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: message(token: token, issued: issued), using: key))
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64url(_ text: String) -> Data? {
        guard text.count == 43, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return Data(base64Encoded: text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=")
    }
}
