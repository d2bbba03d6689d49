/// A scripted misbehaviour of one emulated route, for testing retries and crash safety.
///
/// A fault matches calls of `route` (`"POST /v1/projects"`, `"POST /token"`, …: the method and the
/// route pattern) and applies to the next `times` of them. It can delay the call, answer an error
/// status instead of the real answer, or drop the connection — and with `afterApply` the real
/// operation happens first, so the change is made but its answer is lost.
public struct Fault: Sendable, Codable, Equatable {
    public var route: String
    /// Error status to answer (with Prisma's error envelope), e.g. 500 or 429.
    public var status: Int?
    /// Close the connection without answering.
    public var drop: Bool
    /// Apply the real operation first, then fail (the "lost reply").
    public var afterApply: Bool
    /// Delay before handling, in milliseconds.
    public var latencyMs: Int?
    /// `Retry-After` seconds to send with `status`.
    public var retryAfterSeconds: Int?
    /// How many matching calls this fault affects.
    public var times: Int

    public init(route: String, status: Int? = nil, drop: Bool = false, afterApply: Bool = false,
                latencyMs: Int? = nil, retryAfterSeconds: Int? = nil, times: Int = 1) {
        self.route = route
        self.status = status
        self.drop = drop
        self.afterApply = afterApply
        self.latencyMs = latencyMs
        self.retryAfterSeconds = retryAfterSeconds
        self.times = times
    }

    enum CodingKeys: String, CodingKey {
        case route, status, drop, afterApply, latencyMs, retryAfterSeconds, times
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        route = try container.decode(String.self, forKey: .route)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        drop = try container.decodeIfPresent(Bool.self, forKey: .drop) ?? false
        afterApply = try container.decodeIfPresent(Bool.self, forKey: .afterApply) ?? false
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs)
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds)
        times = try container.decodeIfPresent(Int.self, forKey: .times) ?? 1
    }
}
