import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Transport limits and framing")
struct LimitsTests {
    @Test("a declared body over the limit → 413 problem before the body is read; connection closed")
    func declaredBodyTooLarge() async throws {
        let counter = HitCounter()
        let server = try startTestServer(maxBodyBytes: 1024, counter: counter)
        defer { Task { await server.stop() } }
        let head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
        let result = try await RawHTTP.exchange(port: server.port, head + String(repeating: "a", count: 5000))
        #expect(result.statuses == [413])
        #expect(result.text.contains("application/problem+json"))
        #expect(result.text.contains("\"code\":\"payload-too-large\""))
        #expect(result.closedByServer)
        #expect(counter.count("/echo") == 0)
    }

    @Test("a chunked body that grows past the limit → 413 and the handler never runs")
    func chunkedBodyTooLarge() async throws {
        let counter = HitCounter()
        let server = try startTestServer(maxBodyBytes: 1024, counter: counter)
        defer { Task { await server.stop() } }
        var request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<3 { request += "400\r\n" + String(repeating: "b", count: 1024) + "\r\n" }
        request += "0\r\n\r\n"
        let result = try await RawHTTP.exchange(port: server.port, request)
        #expect(result.statuses == [413])
        #expect(counter.count("/echo") == 0)
    }

    @Test("a body exactly at the limit is accepted")
    func bodyAtLimit() async throws {
        let server = try startTestServer(maxBodyBytes: 1024)
        defer { Task { await server.stop() } }
        let reply = try await TestClient(port: server.port).send("POST", "/echo", body: Data(repeating: 7, count: 1024))
        #expect(reply.status == 200)
        #expect(reply.body.count == 1024)
    }

    @Test("headers over the limit → 431 problem")
    func headersTooLarge() async throws {
        let counter = HitCounter()
        let server = try startTestServer(maxHeaderBytes: 4096, counter: counter)
        defer { Task { await server.stop() } }
        let big = String(repeating: "v", count: 6000)
        let result = try await RawHTTP.exchange(port: server.port, "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-Big: \(big)\r\n\r\n")
        #expect(result.statuses == [431])
        #expect(result.text.contains("\"code\":\"headers-too-large\""))
        #expect(counter.count("/hello/a") == 0)
        // Past the per-connection memory pool, libmicrohttpd itself answers 431.
        let huge = String(repeating: "w", count: 100_000)
        let pool = try await RawHTTP.exchange(port: server.port, "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-Big: \(huge)\r\n\r\n")
        #expect(pool.statuses.first == 431)
        #expect(counter.count("/hello/a") == 0)
    }

    @Test("duplicate Content-Length → 400, connection closed, smuggled request never handled")
    func duplicateContentLength() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        let attack = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: \(5 + smuggled.utf8.count)\r\n\r\nhello" + smuggled
        let result = try await RawHTTP.exchange(port: server.port, attack)
        #expect(result.statuses == [400])
        #expect(result.text.contains("\"code\":\"bad-request-framing\""))
        #expect(result.text.lowercased().contains("connection: close"))
        #expect(result.closedByServer)
        #expect(!result.text.contains("smuggled"))
        // Same with two equal values.
        let equal = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + smuggled
        #expect(try await RawHTTP.exchange(port: server.port, equal).statuses == [400])
        try await Task.sleep(for: .milliseconds(100))
        #expect(counter.count("/smuggled") == 0)
        #expect(counter.count("/echo") == 0)
    }

    @Test("Content-Length with Transfer-Encoding, or an unknown coding → 400 and close")
    func lengthWithTransferEncoding() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        let both = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled
        let result = try await RawHTTP.exchange(port: server.port, both)
        #expect(result.statuses == [400])
        #expect(result.closedByServer)
        let gzip = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxxxx"
        let second = try await RawHTTP.exchange(port: server.port, gzip)
        #expect(second.statuses == [400])
        #expect(second.closedByServer)
        try await Task.sleep(for: .milliseconds(100))
        #expect(counter.count("/smuggled") == 0)
        #expect(counter.count("/echo") == 0)
    }

    @Test("pipelined keep-alive requests are still served normally")
    func pipelining() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        let two = "GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let result = try await RawHTTP.exchange(port: server.port, two)
        #expect(result.statuses == [200, 200])
        #expect(counter.count("/hello/a") == 1 && counter.count("/hello/b") == 1)
    }
}
