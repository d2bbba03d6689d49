import Synchronization

/// Token buckets per key (a client address): `perMinute` requests a minute, bursts up to the same.
///
/// Claim tokens and OAuth states are 256-bit, so guessing is hopeless anyway; the limit keeps one
/// client from hammering the claim pages and the callback. Behind a reverse proxy every client
/// shares the proxy's address: raise the limit or set 0 there and limit at the proxy.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let perMinute: Int
    let clock: any WallClock
    private let buckets = Mutex<[String: Bucket]>([:])
    static let maxKeys = 10_000

    public init(perMinute: Int, clock: any WallClock) {
        self.perMinute = perMinute
        self.clock = clock
    }

    /// Takes one token; returns nil when allowed, else the seconds to wait.
    public func acquire(_ key: String) -> Int? {
        guard perMinute > 0 else { return nil }
        let capacity = Double(perMinute)
        let rate = capacity / 60
        let now = clock.now().timeIntervalSince1970
        return buckets.withLock { buckets in
            if buckets.count >= RateLimiter.maxKeys {
                // Forget clients whose bucket has refilled: they lose nothing.
                buckets = buckets.filter { (now - $0.value.updated) * rate + $0.value.tokens < capacity }
            }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
