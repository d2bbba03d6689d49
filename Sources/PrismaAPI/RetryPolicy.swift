/// Exponential backoff with full jitter (`sleep = random(0, min(cap, base · 2^attempt))`),
/// bounded in attempts, honouring `Retry-After` up to a ceiling.
public struct RetryPolicy: Sendable {
    /// Total tries, the first included (1 = never retry).
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(5),
                maxRetryAfter: Duration = .seconds(30)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// How long to wait before retry number `attempt + 1`, or nil to give up.
    public func delay(afterAttempt attempt: Int, error: PrismaError) -> Duration? {
        guard attempt + 1 < maxAttempts else { return nil }
        if let retryAfter = error.retryAfter {
            return retryAfter <= maxRetryAfter ? retryAfter : nil
        }
        let exponent = min(attempt, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds)))
    }
}
