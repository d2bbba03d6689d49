@testable import Claimgate
import Foundation
import TestSupport
import Testing
import JSONValues

@Suite("Partner JSON: exact numbers, bounded work")
struct JSONParserTests {
    @Test("numbers keep their text through parse and canonical form; integers beyond 2^53 stay exact")
    func exactNumbers() throws {
        let text = #"{"big":12345678901234567890,"neg":-9007199254740993,"frac":0.1000000000000000055511151231257827,"e":1E+3}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(String(decoding: value.canonical, as: UTF8.self)
                == #"{"big":12345678901234567890,"e":1E+3,"frac":0.1000000000000000055511151231257827,"neg":-9007199254740993}"#)
        #expect(value.object?["neg"]?.integer == -9007199254740993)
        #expect(value.object?["big"]?.integer == nil)  // does not fit an Int: not an integer, but kept exactly
        // Through JSONEncoder (documents we send), up to 38 significant digits stay exact.
        let encoded = String(decoding: JSON.encode(value), as: UTF8.self)
        #expect(encoded.contains("12345678901234567890") && encoded.contains("-9007199254740993"))
    }

    @Test("strict syntax: what RFC 8259 forbids is refused", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "1e", "\"\\x\"", "\"\u{01}\"", "\"\\ud800\"", "nul", "[1] 2", "{'a':1}",
    ])
    func strict(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("strings: escapes and surrogate pairs decoded, NUL kept")
    func strings() throws {
        let value = try JSONParser.parse(Array(#"["a\"b\\\/\n\u00e9\ud83d\ude00","x\u0000y"]"#.utf8))
        guard case .array(let items) = value else { Issue.record("not an array"); return }
        #expect(items == [.string("a\"b\\/\né😀"), .string("x\u{0}y")])
    }

    @Test("depth beyond the limit is refused at once, in time linear in the size")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONParser.Failure.tooDeep) { try JSONParser.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try JSONParser.parse(Array(fine.utf8)) }
        // The attack shape: 16 branches nested 500 deep, ~48 KB. Refused without exploring it.
        var bomb = ""
        for _ in 0..<500 { bomb += "{" + (0..<15).map { "\"k\($0)\":0," }.joined() + "\"n\":" }
        bomb += "0" + String(repeating: "}", count: 500)
        let started = ContinuousClock.now
        #expect(throws: JSONParser.Failure.tooDeep) { try JSONParser.parse(Array(bomb.utf8)) }
        #expect(ContinuousClock.now - started < .seconds(1))
    }
}

@Suite("Partner JSON through the API")
struct ExactMetadataTests {
    @Test("metadata integers beyond 2^53 are stored exactly, and two of them differing by one are two requests")
    func bigIntegersInMetadata() async throws {
        let app = try await RunningApp.start()
        let first = try await app.provision(#"{"metadata":{"n":12345678901234567890}}"#, key: "big-1")
        #expect(first.status == 201)
        #expect(first.text.contains(#""n":12345678901234567890"#))
        let id = try #require(try first.json()["id"] as? String)
        #expect(try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).text.contains("12345678901234567890"))
        // As Doubles these two were the same number, so the second body replayed the first's answer.
        let other = try await app.provision(#"{"metadata":{"n":12345678901234567891}}"#, key: "big-1")
        #expect(other.status == 422)
        #expect(try other.json()["code"] as? String == "idempotency-key-reused")
        // Valid JSON beyond Double's range neither crashes nor vanishes.
        let huge = try await app.provision(#"{"metadata":{"huge":1e400}}"#)
        #expect(huge.status == 201)
        #expect(huge.text.contains("1e400"))
        await app.stop()
    }
}

@Suite("Found by the fuzzer")
struct FuzzFindings {
    @Test("ttlSeconds written as 60.0 or 6e1 is an integer, as JSON Schema counts it")
    func wholeNumbersWithFraction() async throws {
        try await withApp { app in
            let created = try await app.provision(#"{"ttlSeconds":600.0}"#)
            #expect(created.status == 201)
            let id = try #require(try created.json()["id"] as? String)
            #expect(try await app.provision(#"{"ttlSeconds":6e2}"#).status == 201)
            #expect(try await app.provision(#"{"ttlSeconds":600.5}"#).status == 400)
            let extended = try await app.client.send("POST", "/v1/databases/\(id)/extend", headers: sandboxKey, body: Data(#"{"ttlSeconds":3600.0}"#.utf8))
            #expect(extended.status == 200)
        }
    }

    @Test("an extend by Int64.max seconds is a 400, not an arithmetic-overflow crash")
    func hugeExtend() async throws {
        try await withApp { app in
            let id = try #require(try await app.provision().json()["id"] as? String)
            let reply = try await app.client.send("POST", "/v1/databases/\(id)/extend", headers: sandboxKey,
                                                  body: Data(#"{"ttlSeconds":9223372036854775807}"#.utf8))
            #expect(reply.status == 400)
            #expect(try reply.json()["field"] as? String == "ttlSeconds")
            #expect(try await app.client.get("/readyz").status == 200)  // still alive
        }
    }
}
