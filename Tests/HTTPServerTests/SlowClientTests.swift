import Foundation
import HTTPServer
import TestSupport
import Testing

/// Slow clients cannot take the server: a request must arrive whole within the receive deadline, and
/// one address holds at most its share of connections, so another address is still served.
@Suite("Slow clients and per-address limits", .serialized)
struct SlowClientTests {
    func server(connectionLimit: Int, perAddress: Int, receive: Duration) throws -> MicroHTTPServer {
        var router = Router(problemTypePrefix: "urn:test:problem:")
        router.get("/hello/:name") { request in .text("hello \(request.pathParameters["name"] ?? "")") }
        let server = MicroHTTPServer(configuration: ServerConfiguration(
            host: "127.0.0.1", port: 0, threadPoolSize: 2, connectionLimit: connectionLimit,
            connectionTimeoutSeconds: 30, perAddressConnectionLimit: perAddress, requestReceiveTimeout: receive),
            handler: router)
        try server.start()
        return server
    }

    @Test("300 trickling sockets from one address: its share is held then cut with 408; another address is served throughout")
    func tricklingAttack() async throws {
        let server = try server(connectionLimit: 200, perAddress: 100, receive: .seconds(2))
        defer { Task { await server.stop() } }
        let port = server.port
        // The attacker: request line, then one header line every 500 ms (each byte would reset an
        // idle timer), never the blank line that ends the head.
        let attackers = try await RawSocket.onThread { () -> [RawSocket] in
            (0..<300).compactMap { _ in try? RawSocket(port: port, source: "127.0.0.1") }
        }
        for socket in attackers { socket.send("GET /hello/slow HTTP/1.1\r\nHost: x\r\n") }
        let started = ContinuousClock.now
        // Meanwhile another address is served, every time.
        for round in 0..<5 {
            let reply = try await RawSocket.onThread { () -> String in
                let client = try RawSocket(port: port, source: "127.0.0.2")
                client.send("GET /hello/round\(round) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return client.read(timeout: 5).text
            }
            #expect(reply.hasPrefix("HTTP/1.1 200"), "round \(round): \(reply.prefix(80))")
            for socket in attackers { socket.send("X-Trickle-\(round): 1\r\n") }
            try await Task.sleep(for: .milliseconds(300))
        }
        // Every attacker socket is closed by now or within the deadline: the refused ones at once,
        // the held ones with a 408 once their head took longer than 2 s.
        let outcomes = try await RawSocket.onThread { () -> [(String, Bool)] in
            attackers.map { socket in let r = socket.read(timeout: 6); return (r.text, r.closed) }
        }
        let elapsed = ContinuousClock.now - started
        let allClosed = outcomes.allSatisfy { $0.1 }
        #expect(allClosed, "some slow sockets are still open")
        let timedOut = outcomes.filter { $0.0.hasPrefix("HTTP/1.1 408") }.count
        #expect(timedOut <= 100, "more than the per-address share was held: \(timedOut)")
        #expect(timedOut >= 50, "the held sockets were not answered 408: \(timedOut)")
        #expect(elapsed < .seconds(20))
        #expect(!outcomes.contains { $0.0.contains("hello slow") })
    }

    @Test("a body that trickles past the deadline gets 408 and the connection closes; a prompt one is served")
    func slowBody() async throws {
        let server = try server(connectionLimit: 50, perAddress: 10, receive: .seconds(1))
        defer { Task { await server.stop() } }
        let port = server.port
        let (text, closed) = try await RawSocket.onThread { () -> (String, Bool) in
            let socket = try RawSocket(port: port)
            socket.send("POST /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            for _ in 0..<8 { socket.send("a"); Thread.sleep(forTimeInterval: 0.25) }
            return socket.read(timeout: 5)
        }
        #expect(text.hasPrefix("HTTP/1.1 408"))
        #expect(closed)
        let prompt = try await RawHTTP.exchange(port: port, "GET /hello/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(prompt.statuses == [200])
    }

    @Test("an idle keep-alive connection is not a slow request: it is not cut by the receive deadline")
    func idleKeepAlive() async throws {
        let server = try server(connectionLimit: 50, perAddress: 10, receive: .seconds(1))
        defer { Task { await server.stop() } }
        let port = server.port
        let (first, second) = try await RawSocket.onThread { () -> (String, String) in
            let socket = try RawSocket(port: port)
            socket.send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = socket.read(timeout: 0.5).text
            Thread.sleep(forTimeInterval: 2)  // idle, between requests, past the receive deadline
            socket.send("GET /hello/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return (first, socket.read(timeout: 3).text)
        }
        #expect(first.hasPrefix("HTTP/1.1 200") && first.contains("hello a"))
        #expect(second.hasPrefix("HTTP/1.1 200") && second.contains("hello b"))
    }
}
