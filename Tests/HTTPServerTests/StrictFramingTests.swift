import Foundation
import HTTPServer
import TestSupport
import Testing

/// Request heads libmicrohttpd 0.9.75 accepts but a front proxy may read differently (request
/// smuggling), or that hide bytes (NUL): each is refused with 400 and a closed connection, and the
/// request behind it is never served.
@Suite("Strict framing")
struct StrictFramingTests {
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    static let shapes: [(name: String, head: String)] = [
        ("whitespace before the colon", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        ("tab before the colon", "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-A\t: a\r\n\r\n"),
        ("space inside a name", "GET /hello/a HTTP/1.1\r\nHost: x\r\nX A: a\r\n\r\n"),
        ("obs-fold", "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nX-B: b\r\n\r\n"),
        ("bare LF between lines", "GET /hello/a HTTP/1.1\r\nHost: x\nX-B: b\r\n\r\n"),
        ("bare CR in a value", "GET /hello/a HTTP/1.1\r\nHost: x\r\nX-C: a\rb\r\n\r\n"),
        ("NUL in a value", "GET /hello/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key\u{0}junk\r\nX-D: d\r\n\r\n"),
        ("NUL in the last value", "GET /hello/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key\u{0}junk\r\n\r\n"),
        ("two Host headers", "GET /hello/a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
        ("%00 in the path", "GET /hello/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("%00 in the query", "GET /hello/a?tag=x%00y HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("control byte in the path", "GET /hello/a%01b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]

    @Test("each malformed head: 400 problem, connection closed, nothing behind it served",
          arguments: shapes.map(\.name))
    func refused(_ name: String) async throws {
        let head = try #require(Self.shapes.first { $0.name == name }?.head)
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        let result = try await RawHTTP.exchange(port: server.port, head + Self.smuggled)
        #expect(result.statuses == [400], "\(name): \(result.text.prefix(200))")
        #expect(result.text.contains("\"code\":\"bad-request"), "\(name)")
        #expect(result.closedByServer, "\(name)")
        #expect(!result.text.contains("smuggled") && !result.text.contains("hello a"), "\(name)")
        // A later, well-formed request on a new connection is counted: the counter does count.
        #expect(try await TestClient(port: server.port).get("/hello/after").status == 200)
        #expect(counter.count("/hello/after") == 1)
        #expect(counter.count("/smuggled") == 0 && counter.count("/hello/a") == 0 && counter.count("/echo") == 0, "\(name)")
    }

    @Test("well-formed variations still pass: no space after the colon, trailing whitespace, empty values")
    func lenientWhereHarmless() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        defer { Task { await server.stop() } }
        let head = "GET /hello/ok HTTP/1.1\r\nHost:x\r\nX-W: v  \r\nX-Tab:\tw\t\r\nX-Empty:\r\nConnection: close\r\n\r\n"
        let result = try await RawHTTP.exchange(port: server.port, head)
        #expect(result.statuses == [200])
        #expect(counter.count("/hello/ok") == 1)
    }

    @Test("too many query parameters: 414 at once, the socket is not held")
    func tooManyParameters() async throws {
        let server = try startTestServer()
        defer { Task { await server.stop() } }
        let query = (0..<1200).map { "a\($0)=1" }.joined(separator: "&")
        let started = ContinuousClock.now
        let result = try await RawHTTP.exchange(port: server.port, "GET /hello/a?\(query) HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 10)
        #expect(result.statuses == [414])
        #expect(result.closedByServer)
        #expect(ContinuousClock.now - started < .seconds(5))
        // 64 parameters (the limit) are fine.
        let fine = (0..<64).map { "t\($0)=1" }.joined(separator: "&")
        #expect(try await RawHTTP.exchange(port: server.port, "GET /hello/a?\(fine) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").statuses == [200])
    }
}
