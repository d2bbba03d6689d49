import Claimgate
import Crypto
import Foundation
import HTTPServer
import PrismaEmulator
import Synchronization
import TestSupport

/// A partner's webhook endpoint: records every delivery; can answer 500 or stall on demand.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let headers: HTTPHeaders
        let body: [UInt8]
        let status: Int
        var id: String { headers["webhook-id"] ?? "" }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var type: String { json["type"] as? String ?? "" }
    }

    /// The behaviour and the log, shared with the server's handler.
    final class Core: HTTPHandler {
        let log = Mutex<[Delivery]>([])
        let failuresLeft = Mutex(0)
        let stall = Mutex<Duration?>(nil)
        /// Requests that arrived (answered or not).
        let started = Mutex(0)

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            started.withLock { $0 += 1 }
            if let delay = stall.withLock({ $0 }) { try? await Task.sleep(for: delay) }
            let status = failuresLeft.withLock { left -> Int in
                if left > 0 { left -= 1; return 500 }
                return 200
            }
            log.withLock { $0.append(Delivery(headers: request.headers, body: request.body, status: status)) }
            return HTTPResponse(status: status)
        }
    }

    let core = Core()
    let server: MicroHTTPServer
    static let secret = "whsec_" + Data(repeating: 0x5a, count: 32).base64EncodedString()

    init() throws {
        server = MicroHTTPServer(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, handlerTimeout: .seconds(60), drainTimeout: .milliseconds(100)),
            handler: core)
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)/hooks" }
    var deliveries: [Delivery] { core.log.withLock { $0 } }
    var delivered: [Delivery] { deliveries.filter { $0.status == 200 } }
    func fail(next count: Int) { core.failuresLeft.withLock { $0 = count } }
    func stall(for duration: Duration?) { core.stall.withLock { $0 = duration } }

    /// Verifies a delivery's Standard Webhooks signature independently (swift-crypto directly).
    static func verify(_ delivery: Delivery, secret: String = WebhookReceiver.secret) -> Bool {
        guard let id = delivery.headers["webhook-id"], let timestamp = delivery.headers["webhook-timestamp"],
              let signature = delivery.headers["webhook-signature"],
              let keyBytes = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(id).\(timestamp).".utf8) + Data(delivery.body), using: SymmetricKey(data: keyBytes))
        return signature.split(separator: " ").contains { $0 == "v1," + Data(mac).base64EncodedString() }
    }
}

extension RunningApp {
    /// Events recorded so far (the replay endpoint), oldest first.
    func events() async throws -> [[String: Any]] {
        try await client.get("/v1/events", headers: sandboxKey).json()["data"] as? [[String: Any]] ?? []
    }
}

/// Settings pointing at an emulator the test owns (so it survives an application restart).
func externalPrisma(_ emulator: PrismaEmulator) -> [String: String] {
    let client = emulator.configuration.clients[0]
    return [
        "PRISMA_API_URL": emulator.baseURL, "PRISMA_AUTH_URL": emulator.baseURL,
        "PRISMA_SERVICE_TOKEN": emulator.configuration.serviceToken,
        "PRISMA_CLIENT_ID": client.id, "PRISMA_CLIENT_SECRET": client.secret,
        "CLAIMGATE_API_KEYS": Application.sandboxAPIKey,
        "CLAIMGATE_ENCRYPTION_KEY": Data(repeating: 3, count: 32).base64EncodedString(),
    ]
}
