import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("stop() lets in-flight requests finish with Connection: close, then refuses connections")
    func drainsInFlight() async throws {
        let counter = HitCounter()
        let server = try startTestServer(counter: counter)
        let port = server.port
        let inFlight = (0..<5).map { _ in
            Task { try await RawHTTP.exchange(port: port, "GET /slow?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 5) }
        }
        // Wait until all five handlers are running, then stop.
        let deadline = ContinuousClock.now + .seconds(5)
        while counter.count("/slow") < 5 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(counter.count("/slow") == 5)
        #expect(server.inFlightCount == 5)
        let stopped = ContinuousClock.now
        await server.stop()
        let stopTook = ContinuousClock.now - stopped
        for task in inFlight {
            let result = try await task.value
            #expect(result.statuses == [200])
            #expect(result.text.hasSuffix("slow done"))
            #expect(result.text.lowercased().contains("connection: close"))
        }
        #expect(stopTook < .seconds(3))
        await #expect(throws: (any Error).self) { try await RawHTTP.exchange(port: port, "GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n") }
    }

    @Test("a request still running after the drain timeout is answered 503, never dropped")
    func drainTimeout() async throws {
        var router = Router()
        router.get("/stuck") { _ in
            try? await Task.sleep(for: .seconds(30))
            return .text("late")
        }
        let server = MicroHTTPServer(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, drainTimeout: .milliseconds(200)),
            handler: router)
        try server.start()
        let port = server.port
        let pending = Task { try await RawHTTP.exchange(port: port, "GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 5) }
        while server.inFlightCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await server.stop()
        let result = try await pending.value
        #expect(result.statuses == [503])
        #expect(result.text.contains("\"code\":\"shutting-down\""))
    }
}
