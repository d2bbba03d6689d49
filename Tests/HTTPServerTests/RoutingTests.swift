import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("HTTP server over loopback")
struct RoutingTests {
    @Test("routes by method and path, with parameters, repeated query values and a request id")
    func routing() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        #expect(server.port != 0)
        let client = TestClient(port: server.port)
        let reply = try await client.get("/hello/ada?tag=a&tag=b", headers: ["X-Request-Id": "req-123"])
        #expect(reply.status == 200)
        #expect(reply.text == "hello ada [a,b]")
        #expect(reply.header("X-Request-Id") == "req-123")
        #expect(counter.count("/hello/ada") == 1)
        #expect(counter.address("/hello/ada") == "127.0.0.1")
        let generated = try await client.get("/hello/bob", headers: ["X-Request-Id": "bad id with spaces"])
        #expect(generated.header("X-Request-Id")?.count == 32)
    }

    @Test("a 100 KiB body round-trips through suspend and resume")
    func echo() async throws {
        let server = try startTestServer(maxBodyBytes: 200_000)
        defer { Task { await server.stop() } }
        let payload = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let reply = try await TestClient(port: server.port).send("POST", "/echo", body: payload)
        #expect(reply.status == 200)
        #expect(reply.body == payload)
    }

    @Test("unknown path → 404 problem+json; wrong method → 405 with Allow")
    func notFoundAndMethodNotAllowed() async throws {
        let server = try startTestServer()
        defer { Task { await server.stop() } }
        let client = TestClient(port: server.port)
        let missing = try await client.get("/nowhere")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        let problem = try missing.json()
        #expect(problem["code"] as? String == "not-found")
        #expect(problem["type"] as? String == "urn:test:problem:not-found")  // the application's prefix, never a product's
        #expect(problem["status"] as? Int == 404)
        #expect(problem["requestId"] as? String == missing.header("X-Request-Id"))

        let wrong = try await client.send("DELETE", "/echo")
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow") == "POST")
        #expect(try wrong.json()["code"] as? String == "method-not-allowed")
    }

    @Test("a handler that overruns its deadline gets a 503 problem, and the server stays healthy")
    func handlerDeadline() async throws {
        // 2 s, not less: the healthy request after it must finish within the same deadline while
        // the whole suite starts on two cores (300 ms was seen exceeded by a trivial handler then).
        let server = try startTestServer(handlerTimeout: .seconds(2))
        defer { Task { await server.stop() } }
        let client = TestClient(port: server.port)
        let started = ContinuousClock.now
        let reply = try await client.get("/slow?ms=30000")
        #expect(reply.status == 503)
        #expect(try reply.json()["code"] as? String == "handler-timeout")
        #expect(ContinuousClock.now - started < .seconds(15))  // the deadline, not the 30 s handler
        let after = try await client.get("/hello/x")
        #expect(after.status == 200, "\(after.status) \(after.text)")
    }
}
