import Foundation
import HTTPServer
import Synchronization

/// Counts calls per path so tests can prove a request was (or was never) handled.
final class HitCounter: Sendable {
    private let hits = Mutex<[String: Int]>([:])
    private let addresses = Mutex<[String: String]>([:])
    func hit(_ path: String, from address: String? = nil) {
        hits.withLock { $0[path, default: 0] += 1 }
        if let address { addresses.withLock { $0[path] = address } }
    }
    func count(_ path: String) -> Int { hits.withLock { $0[path] ?? 0 } }
    /// The client address of the last request to `path`.
    func address(_ path: String) -> String? { addresses.withLock { $0[path] } }
}

/// A real server on an ephemeral loopback port with a small test application.
func startTestServer(
    maxBodyBytes: Int = 4096, maxHeaderBytes: Int = 8192, handlerTimeout: Duration = .seconds(30),
    counter: HitCounter = HitCounter()
) throws -> MicroHTTPServer {
    var router = Router(problemTypePrefix: "urn:test:problem:")
    router.get("/hello/:name") { request in
        counter.hit(request.path, from: request.remoteAddress)
        let name = request.pathParameters["name"] ?? "?"
        let tags = request.queryValues("tag").joined(separator: ",")
        return .text("hello \(name) [\(tags)]")
    }
    router.post("/echo") { request in
        counter.hit(request.path)
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.get("/smuggled") { request in
        counter.hit(request.path)
        return .text("smuggled")
    }
    router.get("/slow") { request in
        counter.hit(request.path)
        let milliseconds = Int(request.queryValue("ms") ?? "300") ?? 300
        try? await Task.sleep(for: .milliseconds(milliseconds))
        return .text("slow done")
    }
    let server = MicroHTTPServer(
        configuration: ServerConfiguration(
            host: "127.0.0.1", port: 0, threadPoolSize: 2, connectionTimeoutSeconds: 5,
            maxBodyBytes: maxBodyBytes, maxHeaderBytes: maxHeaderBytes, handlerTimeout: handlerTimeout,
            drainTimeout: .seconds(5)),
        handler: router)
    try server.start()
    return server
}
