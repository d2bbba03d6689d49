import Foundation
@testable import PrismaAPI
import Secrets
import Testing

@Suite("Base64url, PKCE and random tokens")
struct EncodingTests {
    @Test("base64url matches Foundation's base64 with the URL alphabet and no padding, for every length")
    func base64url() {
        for length in 0...40 {
            let bytes = SecureRandom.bytes(length)
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
        }
    }

    @Test("RFC 7636 appendix B known answer")
    func pkceKnownAnswer() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test("tokens are 43 base64url characters and do not repeat")
    func tokens() {
        let tokens = (0..<10_000).map { _ in SecureRandom.token() }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy(SecureRandom.isToken))
        #expect(!SecureRandom.isToken(String(tokens[0].dropLast())))
        #expect(!SecureRandom.isToken(String(tokens[0].dropLast()) + "+"))
        #expect(SecureRandom.idBody().count == 24)
    }
}

@Suite("Request bodies")
struct RequestBodyTests {
    @Test("flat string objects are valid JSON with sorted keys, whatever the strings hold")
    func flatObjects() throws {
        let awkward = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} del \u{7F} é 🚀 \u{2028}"
        let fields = ["name": awkward, "region": "us-east-1", "logicalId": "cg-abc", "": "empty key"]
        let data = ManagementClient.jsonObject(fields)
        let decoded = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(decoded == fields)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.hasPrefix(#"{"":"empty key","logicalId":"cg-abc","name":"quote \" backslash \\"#))
        #expect(text.contains(#"\n tab \t nul \u0000 bell \u0007 del \#u{7F}"#))
        #expect(ManagementClient.jsonObject([:]) == Data("{}".utf8))
    }
}
