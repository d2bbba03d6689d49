import Foundation
@testable import PrismaAPI
@testable import Secrets
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

@Suite("Id bodies")
struct IdBodyTests {
    /// Answers the given values in turn.
    struct Scripted: RandomNumberGenerator {
        var values: [UInt64]
        mutating func next() -> UInt64 { values.removeFirst() }
    }

    @Test("twelve base-36 digits per draw, least significant first")
    func digits() {
        var generator = Scripted(values: [5 + 36 * 35, 1])
        #expect(SecureRandom.idBody(14, using: &generator) == "f9aaaaaaaaaaba")
        #expect(generator.values.isEmpty)
    }

    @Test("a draw at or above the largest multiple of 36^12 is redrawn, so no remainder is likelier")
    func rejection() {
        var generator = Scripted(values: [SecureRandom.drawLimit, UInt64.max, SecureRandom.drawRange + 2])
        #expect(SecureRandom.idBody(3, using: &generator) == "caa")
        #expect(generator.values.isEmpty)
        var below = Scripted(values: [SecureRandom.drawLimit - 1])
        #expect(SecureRandom.idBody(1, using: &below) == String(decoding: [SecureRandom.idAlphabet[Int((SecureRandom.drawLimit - 1) % SecureRandom.drawRange % 36)]], as: UTF8.self))
    }

    @Test("time-ordered ids: the time in 9 base-36 digits, then 15 random characters; later ids sort after")
    func timeOrdered() {
        // The time part against the standard library's own base-36 rendering.
        for milliseconds: Int64 in [0, 1, 35, 36, 1_764_806_400_000, 1_796_342_400_123, 101_559_956_668_415] {
            let expected = String(repeating: "0", count: 9 - String(milliseconds, radix: 36).count) + String(milliseconds, radix: 36)
            #expect(SecureRandom.timeOrderedIdBody(milliseconds: milliseconds).prefix(9) == Substring(expected), "\(milliseconds)")
        }
        #expect(SecureRandom.timeOrderedIdBody(milliseconds: -5).hasPrefix("000000000"))
        // The random part is ``idBody(_:using:)``'s, drawn from the generator given.
        var scripted = Scripted(values: [5 + 36 * 35, 1])
        var same = Scripted(values: [5 + 36 * 35, 1])
        #expect(SecureRandom.timeOrderedIdBody(milliseconds: 36, using: &scripted) == "000000010" + SecureRandom.idBody(15, using: &same))
        // Byte order is time order, across digit and letter boundaries of the time part.
        let times: [Int64] = [9, 10, 35, 36, 1_295, 1_296, 1_764_806_400_000, 1_764_806_400_001, 1_764_806_400_036, 1_796_342_400_000]
        let ids = times.map { SecureRandom.timeOrderedIdBody(milliseconds: $0) }
        #expect(ids.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) == ids)
        // Within one millisecond they still differ, and keep the shape of every other id.
        let sameTime = (0..<2_000).map { _ in SecureRandom.timeOrderedIdBody(milliseconds: 1_764_806_400_000) }
        #expect(Set(sameTime).count == sameTime.count)
        #expect(sameTime.allSatisfy { $0.utf8.count == 24 && $0.utf8.allSatisfy { SecureRandom.idAlphabet.contains($0) } })
    }

    @Test("ids use the whole alphabet and do not repeat")
    func system() {
        let ids = (0..<5_000).map { _ in SecureRandom.idBody() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 24 && $0.utf8.allSatisfy { SecureRandom.idAlphabet.contains($0) } })
        #expect(Set(ids.joined().utf8) == Set(SecureRandom.idAlphabet))
    }

    @Test("random bytes: every length asked for (past one getrandom call's 256 too), never a repeat, every byte value")
    func bytes() {
        for count in [0, 1, 7, 8, 12, 32, 255, 256, 257, 4_096] {
            #expect(SecureRandom.bytes(count).count == count)
        }
        let nonces = (0..<10_000).map { _ in SecureRandom.bytes(12) }
        #expect(Set(nonces).count == nonces.count)
        // A buffer that was not filled (zeros) or filled from the wrong place would fail this.
        #expect(Set(SecureRandom.bytes(4_096)).count == 256)
    }

    @Test("the batched generator hands out each draw of a batch once, across batches")
    func batched() {
        var generator = BatchedSystemRandom()
        let draws = (0..<4_001).map { _ in generator.next() }
        #expect(Set(draws).count == draws.count)
        #expect(draws.contains { $0 >> 63 == 1 } && draws.contains { $0 >> 63 == 0 })
    }
}
