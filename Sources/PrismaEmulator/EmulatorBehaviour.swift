import Foundation

/// Switchable ways the emulator behaves like the real Prisma where its published document is silent
/// or where real clients found it does more than the document says (`real-world.md` in the research
/// notes). Every switch is off by default, so the emulator keeps answering as it always has; a test,
/// sandbox run or partner CI turns on the ones it wants to survive.
///
/// Durations run on the emulator's clock (``PrismaEmulator/advanceClock(by:)`` moves them on, so
/// tests need not sleep), except ``createLatency``, which really holds the answer back.
///
/// Settable in ``EmulatorConfiguration/behaviour`` (at start), through
/// ``PrismaEmulator/updateBehaviour(_:)`` (at run time), over HTTP (`POST /__emulator/behaviour`
/// with any subset of the JSON keys below) and as flags of `claimgate emulator`.
public struct EmulatorBehaviour: Sendable, Equatable {
    /// A token bucket per workspace: `requestsPerMinute` refill, `burst` capacity.
    public struct RateLimit: Sendable, Equatable, Codable {
        public var requestsPerMinute: Int
        public var burst: Int

        /// `burst` defaults to one minute's worth, as a plain "N per minute" limit reads.
        public init(requestsPerMinute: Int, burst: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.burst = burst ?? requestsPerMinute
        }

        enum CodingKeys: String, CodingKey { case requestsPerMinute, burst }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(requestsPerMinute: try container.decode(Int.self, forKey: .requestsPerMinute),
                      burst: try container.decodeIfPresent(Int.self, forKey: .burst))
        }
    }

    /// A workspace's subscription as `GET /v1/workspaces/{id}/subscription` reports it.
    public struct Plan: Sendable, Equatable, Codable {
        /// `Free`, `Starter`, `Pro`, `Business` on the real service.
        public var name: String
        /// Most projects the workspace may hold; a transfer into a workspace already holding this
        /// many is refused with `409 planLimitReached`. `nil`: no limit.
        public var projectLimit: Int?
        /// Reported as `usageBlocked` (the emulator does not otherwise act on it).
        public var usageBlocked: Bool

        public init(name: String, projectLimit: Int? = nil, usageBlocked: Bool = false) {
            self.name = name
            self.projectLimit = projectLimit
            self.usageBlocked = usageBlocked
        }

        enum CodingKeys: String, CodingKey { case name, projectLimit, usageBlocked }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(name: try container.decode(String.self, forKey: .name),
                      projectLimit: try container.decodeIfPresent(Int.self, forKey: .projectLimit),
                      usageBlocked: try container.decodeIfPresent(Bool.self, forKey: .usageBlocked) ?? false)
        }
    }

    /// `POST /v1/projects` answers only after this; the project exists from the moment the request
    /// arrives (so a client that times out meanwhile finds it by `logicalId`). Real creates take
    /// seconds (alchemy allows them 2 minutes). JSON `createLatencyMs`.
    public var createLatency: Duration = .zero
    /// A new project appears in `GET /v1/projects` (and so in `?logicalId=` lookups) only this long
    /// after its creation: listings may be eventually consistent. JSON `listVisibilityDelayMs`.
    public var listVisibilityDelay: Duration = .zero
    /// Accept a second project with a `logicalId` the workspace already uses, instead of `409`.
    /// Prisma documents neither uniqueness nor a 409. JSON `acceptDuplicateLogicalIds`.
    public var acceptDuplicateLogicalIds = false
    /// A new project's database reports `status: "provisioning"` for this long, then `ready`; a
    /// transfer meanwhile is refused with `409` (the spec's "cannot be transferred in its current
    /// state"). JSON `provisioningMs`.
    public var provisioningDuration: Duration = .zero
    /// Requests per workspace of the calling credential; over it: `429` with `Retry-After`. `nil`:
    /// unlimited. JSON `rateLimit` (`null` turns it off).
    public var rateLimit: RateLimit?
    /// `DELETE /v1/projects/{id}` answers `400` ("dependencies prevent deletion") for these. Each
    /// entry matches a project's id (with or without `proj_`), its `logicalId` or its name, so a
    /// partner's CI can choose a project before it exists. JSON `undeletableProjects`.
    public var undeletableProjects: Set<String> = []
    /// `GET /v1/me` answers `404` for every token, as Prisma did before the endpoint existed.
    /// JSON `meAbsent`.
    public var meAbsent = false
    /// The plan of every workspace not in ``plans``. JSON `defaultPlan`.
    public var defaultPlan = Plan(name: "Free")
    /// Plans by workspace id (with or without `wksp_`). JSON `plans`.
    public var plans: [String: Plan] = [:]

    public init() {}

    /// The plan of a workspace (id without prefix).
    func plan(forWorkspace id: String) -> Plan {
        plans[id] ?? plans["wksp_" + id] ?? defaultPlan
    }

    /// Whether a project's deletion is refused.
    func refusesDeletion(id: String, logicalId: String?, name: String) -> Bool {
        undeletableProjects.contains(id) || undeletableProjects.contains("proj_" + id) || undeletableProjects.contains(name)
            || logicalId.map(undeletableProjects.contains) == true
    }

    /// Longest create latency accepted: the emulator's HTTP server gives a handler 120 s.
    public static let maxCreateLatency: Duration = .seconds(110)

    /// Checks values that would make the emulator misbehave rather than imitate Prisma.
    public func validate() throws(InvalidBehaviour) {
        for (name, value) in [("createLatencyMs", createLatency), ("listVisibilityDelayMs", listVisibilityDelay),
                              ("provisioningMs", provisioningDuration)] where value < .zero {
            throw InvalidBehaviour(reason: "\(name) must not be negative")
        }
        if createLatency > EmulatorBehaviour.maxCreateLatency {
            throw InvalidBehaviour(reason: "createLatencyMs must be at most 110000 (the emulator answers within 120 s)")
        }
        if let rateLimit, rateLimit.requestsPerMinute < 1 || rateLimit.burst < 1 {
            throw InvalidBehaviour(reason: "rateLimit.requestsPerMinute and rateLimit.burst must be at least 1")
        }
        for plan in plans.values + [defaultPlan] where plan.name.isEmpty || (plan.projectLimit ?? 0) < 0 {
            throw InvalidBehaviour(reason: "a plan needs a name and a projectLimit of 0 or more")
        }
    }
}

/// A behaviour the emulator refuses (negative durations, a zero rate limit, …).
public struct InvalidBehaviour: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

// MARK: JSON (the control API)

extension EmulatorBehaviour: Codable {
    enum CodingKeys: String, CodingKey {
        case createLatencyMs, listVisibilityDelayMs, acceptDuplicateLogicalIds, provisioningMs, rateLimit,
             undeletableProjects, meAbsent, defaultPlan, plans
    }

    static let baseKey = CodingUserInfoKey(rawValue: "claimgate.emulator.behaviour.base")!

    /// A behaviour from JSON: absent keys keep their defaults, or the values of the base behaviour
    /// the decoder carries (see ``decode(_:over:)``).
    public init(from decoder: any Decoder) throws {
        self = decoder.userInfo[EmulatorBehaviour.baseKey] as? EmulatorBehaviour ?? EmulatorBehaviour()
        try update(from: decoder)
    }

    /// `base` with the keys present in `json` changed, so `POST /__emulator/behaviour` can turn one
    /// switch without restating the others. `"rateLimit": null` turns the limit off.
    public static func decode(_ json: Data, over base: EmulatorBehaviour) throws -> EmulatorBehaviour {
        let decoder = JSONDecoder()
        decoder.userInfo[baseKey] = base
        return try decoder.decode(EmulatorBehaviour.self, from: json)
    }

    mutating func update(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func milliseconds(_ key: CodingKeys) throws -> Duration? {
            try container.decodeIfPresent(Int64.self, forKey: key).map { .milliseconds($0) }
        }
        if let value = try milliseconds(.createLatencyMs) { createLatency = value }
        if let value = try milliseconds(.listVisibilityDelayMs) { listVisibilityDelay = value }
        if let value = try milliseconds(.provisioningMs) { provisioningDuration = value }
        if let value = try container.decodeIfPresent(Bool.self, forKey: .acceptDuplicateLogicalIds) { acceptDuplicateLogicalIds = value }
        if container.contains(.rateLimit) {
            rateLimit = try container.decodeNil(forKey: .rateLimit) ? nil : try container.decode(RateLimit.self, forKey: .rateLimit)
        }
        if let value = try container.decodeIfPresent([String].self, forKey: .undeletableProjects) { undeletableProjects = Set(value) }
        if let value = try container.decodeIfPresent(Bool.self, forKey: .meAbsent) { meAbsent = value }
        if let value = try container.decodeIfPresent(Plan.self, forKey: .defaultPlan) { defaultPlan = value }
        if let value = try container.decodeIfPresent([String: Plan].self, forKey: .plans) { plans = value }
    }

    /// The control API's JSON (sorted keys), as `GET /__emulator/behaviour` answers it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func milliseconds(_ duration: Duration) -> Int64 {
            duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        try container.encode(milliseconds(createLatency), forKey: .createLatencyMs)
        try container.encode(milliseconds(listVisibilityDelay), forKey: .listVisibilityDelayMs)
        try container.encode(milliseconds(provisioningDuration), forKey: .provisioningMs)
        try container.encode(acceptDuplicateLogicalIds, forKey: .acceptDuplicateLogicalIds)
        if let rateLimit { try container.encode(rateLimit, forKey: .rateLimit) } else { try container.encodeNil(forKey: .rateLimit) }
        try container.encode(undeletableProjects.sorted(), forKey: .undeletableProjects)
        try container.encode(meAbsent, forKey: .meAbsent)
        try container.encode(defaultPlan, forKey: .defaultPlan)
        try container.encode(plans, forKey: .plans)
    }
}

/// What the per-workspace rate limiter saw, for tests that check a client keeps to `Retry-After`.
public struct RateLimitRecord: Sendable, Equatable {
    /// When each authenticated Management API call of the workspace arrived (emulator clock),
    /// answered or refused; the latest 10,000.
    public var calls: [Date] = []
    /// Calls answered `429` by the limiter.
    public var rejected = 0
    /// Calls that arrived while a `Retry-After` the limiter had announced to this workspace was
    /// still running: a client that honours `Retry-After` (across all its tasks) makes none.
    public var callsInsideRetryAfter = 0
    /// When the latest announced `Retry-After` window ends.
    public var retryAfterUntil: Date?

    public init() {}

    /// No call arrived inside an announced `Retry-After` window.
    public var retryAfterRespected: Bool { callsInsideRetryAfter == 0 }
}

/// One `DELETE /v1/workspaces/{workspaceId}/integrations/{clientId}` the emulator received.
public struct IntegrationRevocation: Sendable, Equatable {
    /// As given in the path, prefixed (`wksp_…`).
    public var workspaceID: String
    /// As given in the path, without an `itgr_` prefix.
    public var clientID: String
    /// The answer: 204 (revoked), 404 (nothing to revoke, or a workspace the caller cannot see), 401.
    public var status: Int
    /// Grants revoked by this call (their access and refresh tokens stop working).
    public var revokedGrants: Int
    /// Emulator clock.
    public var at: Date
}
