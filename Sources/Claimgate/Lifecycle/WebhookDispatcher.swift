import Crypto
import Foundation
import Logging
import PrismaAPI
import Secrets
import Storage

/// Delivers outbox events to `CLAIMGATE_WEBHOOK_URL`, signed the Standard Webhooks way
/// (`webhook-id` = event id, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "id.timestamp.body">`). At least once, in order per database, retried with exponential backoff
/// (5 s doubling to 6 h) for 3 days before an event is marked failed. A failed event does not
/// block later ones.
public struct WebhookDispatcher: Sendable {
    let database: Database
    let transport: any HTTPTransport
    let url: URL
    let key: SymmetricKey
    let clock: any WallClock
    let logger: Logger
    static let giveUpAfter: Int64 = 3 * 86_400_000

    public init(database: Database, transport: any HTTPTransport, url: URL, signingSecret: Secret, clock: any WallClock,
                logger: Logger) throws(ConfigurationError) {
        self.key = try StandardWebhooks.key(signingSecret, configKey: "claimgate.webhookSigningSecret")
        self.database = database
        self.transport = transport
        self.url = url
        self.clock = clock
        self.logger = logger
    }

    /// The `webhook-signature` value for a body.
    static func signature(id: String, timestamp: Int64, body: [UInt8], key: SymmetricKey) -> String {
        "v1," + Data(StandardWebhooks.mac(id: id, timestamp: String(timestamp), body: body, key: key)).base64EncodedString()
    }

    /// Delivers what is due (up to 8 at once); returns how many were delivered.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = clock.milliseconds()
        let events = try await database.read { try EventsRepository.deliverable(now: now, limit: 64, in: $0) }
        guard !events.isEmpty else { return 0 }
        var delivered = 0
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var index = 0
            for _ in 0..<min(8, events.count) {
                let event = events[index]
                group.addTask { try await self.deliver(event) }
                index += 1
            }
            while let ok = try await group.next() {
                if ok { delivered += 1 }
                if index < events.count {
                    let event = events[index]
                    group.addTask { try await self.deliver(event) }
                    index += 1
                }
            }
        }
        return delivered
    }

    /// Sends one event; its outcome is recorded, and a storage failure to record it is thrown
    /// (the event then stays due and is sent again: webhooks are at-least-once, keyed by `webhook-id`).
    private func deliver(_ event: EventRecord) async throws -> Bool {
        let body = Array(event.payload.utf8)
        let timestamp = clock.milliseconds() / 1000
        let request = TransportRequest(
            method: "POST", url: url,
            headers: [
                "Content-Type": "application/json", "User-Agent": PrismaConnection.userAgent,
                "webhook-id": event.id, "webhook-timestamp": String(timestamp),
                "webhook-signature": WebhookDispatcher.signature(id: event.id, timestamp: timestamp, body: body, key: key),
            ],
            body: Data(body), timeout: .seconds(15))
        let outcome: String
        do {
            let response = try await transport.send(request)
            if (200..<300).contains(response.status) {
                let now = clock.milliseconds()
                try await database.write { try EventsRepository.markDelivered(id: event.id, now: now, in: $0) }
                return true
            }
            outcome = "HTTP \(response.status)"
        } catch {
            outcome = "\(error)"
        }
        let now = clock.milliseconds()
        if now - event.createdAt > WebhookDispatcher.giveUpAfter {
            try await database.write { try EventsRepository.markFailed(id: event.id, error: outcome, in: $0) }
            logger.error("webhook given up", metadata: ["event_id": "\(event.id)", "type": "\(event.type)", "error": "\(outcome)"])
            return false
        }
        let delay = min(21_600, 5 << min(event.attempts, 20))
        let next = now + Int64(Double(delay) * Double.random(in: 0.8...1.0) * 1000)
        try await database.write { try EventsRepository.markRetry(id: event.id, nextAttemptAt: next, error: outcome, in: $0) }
        logger.warning("webhook not delivered", metadata: [
            "event_id": "\(event.id)", "type": "\(event.type)", "attempt": "\(event.attempts + 1)", "error": "\(outcome)",
        ])
        return false
    }
}
