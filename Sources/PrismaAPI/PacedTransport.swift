import Foundation

/// Whether the current task calls Prisma for a partner waiting on an answer, or in the background
/// (sweeper deletes, reconciler listings, recovery). Background calls give way.
public enum PrismaCallPriority {
    @TaskLocal public static var isBackground = false
}

/// Paces every call made with one credential (the service token, each user's token), because Prisma
/// limits requests per workspace (about 30 a minute is what clients report) and answers `429` past
/// it: a token bucket per credential (`perMinute`, `burst`), and after any `429` a pause for
/// **every** caller of that credential until its `Retry-After` has passed — instead of each call
/// waiting out its own `Retry-After` while the others keep hammering. Background calls wait while
/// a partner-facing call is waiting for the same credential. Calls without a bearer token (the
/// OAuth token endpoint) are not paced.
public actor PrismaPacer {
    struct Bucket {
        var tokens: Double
        var refilled: ContinuousClock.Instant
        var pausedUntil: ContinuousClock.Instant?
        var partnersWaiting = 0
    }

    let perSecond: Double
    let burst: Double
    private var buckets: [String: Bucket] = [:]
    /// Answers `429` seen, and calls that had to wait (for `/metrics`).
    public private(set) var rateLimited = 0
    public private(set) var delayed = 0

    public init(perMinute: Int, burst: Int) {
        perSecond = Double(max(1, perMinute)) / 60
        self.burst = Double(max(1, burst))
    }

    /// How long to wait before trying again, or nil when a call may go now (its token is taken).
    func reserve(_ key: String, background: Bool, waitingAlready: Bool) -> Duration? {
        let now = ContinuousClock.now
        var bucket = buckets[key] ?? Bucket(tokens: burst, refilled: now)
        let elapsed = now - bucket.refilled
        bucket.tokens = min(burst, bucket.tokens + perSecond * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        bucket.refilled = now
        defer { buckets[key] = bucket }
        if let until = bucket.pausedUntil, until > now { return until - now }
        if background && bucket.partnersWaiting > 0 { return .milliseconds(50) }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return nil
        }
        return .milliseconds(Int64(((1 - bucket.tokens) / perSecond) * 1000) + 1)
    }

    func waiting(_ key: String, _ delta: Int) {
        buckets[key, default: Bucket(tokens: burst, refilled: .now)].partnersWaiting += delta
        if delta > 0 { delayed += 1 }
    }

    /// Everyone using `key` pauses until `after` has passed.
    public func pause(_ key: String, for after: Duration) {
        rateLimited += 1
        let until = ContinuousClock.now + after
        var bucket = buckets[key] ?? Bucket(tokens: 0, refilled: .now)
        if bucket.pausedUntil.map({ $0 < until }) ?? true { bucket.pausedUntil = until }
        bucket.tokens = 0
        buckets[key] = bucket
    }

    /// Waits for this credential's turn.
    public func acquire(_ key: String, background: Bool) async {
        var counted = false
        defer { if counted { waiting(key, -1) } }
        while let wait = reserve(key, background: background, waitingAlready: counted) {
            if !background && !counted { waiting(key, 1); counted = true }
            // Cancellation only shortens the wait; the call itself then fails as it would.
            try? await Task.sleep(for: wait)
        }
    }
}

/// A transport that waits for the pacer before each call, and tells it about every `429`.
public struct PacedTransport: HTTPTransport {
    let inner: any HTTPTransport
    let pacer: PrismaPacer

    public init(_ inner: any HTTPTransport, pacer: PrismaPacer) {
        self.inner = inner
        self.pacer = pacer
    }

    public func send(_ request: TransportRequest) async throws(TransportFailure) -> TransportResponse {
        guard let credential = request.headers["Authorization"], credential.hasPrefix("Bearer ") else {
            return try await inner.send(request)
        }
        await pacer.acquire(credential, background: PrismaCallPriority.isBackground)
        let response = try await inner.send(request)
        if response.status == 429 {
            let seconds = response.headers.first { $0.key.lowercased() == "retry-after" }.flatMap { Int($0.value.trimmingCharacters(in: .whitespaces)) }
            await pacer.pause(credential, for: .seconds(max(1, min(seconds ?? 1, 300))))
        }
        return response
    }
}
