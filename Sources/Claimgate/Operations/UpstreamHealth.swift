import PrismaAPI
import Synchronization

/// How Prisma has been answering lately, for `/readyz` and `/metrics`.
///
/// Claimgate keeps accepting work while Prisma is down (intents are recorded and finished later),
/// so this does not fail fast like a full circuit breaker; it reports `degraded` after consecutive
/// failures so an operator (or a load balancer's health view) can see the outage.
public final class UpstreamHealth: Sendable {
    private let state = Mutex<(consecutiveFailures: Int, everSucceeded: Bool)>((0, false))
    /// Consecutive failures after which Prisma counts as degraded.
    public let threshold: Int

    public init(threshold: Int = 5) { self.threshold = threshold }

    func record(success: Bool) {
        state.withLock { state in
            if success {
                state.consecutiveFailures = 0
                state.everSucceeded = true
            } else {
                state.consecutiveFailures += 1
            }
        }
    }

    public var consecutiveFailures: Int { state.withLock { $0.consecutiveFailures } }

    /// `ok` or `degraded`.
    public var status: String { consecutiveFailures >= threshold ? "degraded" : "ok" }
}

/// A transport that tells ``UpstreamHealth`` whether each call got a sane answer (anything
/// below 500 counts: a 404 is Prisma working).
public struct ObservedTransport: HTTPTransport {
    let inner: any HTTPTransport
    let health: UpstreamHealth

    public init(_ inner: any HTTPTransport, health: UpstreamHealth) {
        self.inner = inner
        self.health = health
    }

    public func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse {
        do {
            let response = try await inner.send(request)
            health.record(success: response.status < 500)
            return response
        } catch {
            health.record(success: false)
            throw error
        }
    }
}
