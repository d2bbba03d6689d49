/// A failed call to Prisma, typed so callers can decide what to do without parsing strings.
///
/// Built from the Management API's `{"error":{"code","message","hint"}}` envelope, the OAuth
/// server's `{"error","error_description"}`, or a transport failure. Never carries a token or a
/// request body.
public struct PrismaError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// 400 / 422: the request itself is wrong; retrying will not help.
        case invalidRequest
        /// 401: the bearer token (or the OAuth client) was rejected.
        case unauthorized
        /// 403.
        case forbidden
        /// 404: absent, or not visible to this token's workspace.
        case notFound
        /// 409: not possible in the resource's current state.
        case conflict
        /// 413.
        case payloadTooLarge
        /// 429: not processed; `retryAfter` says when to come back.
        case rateLimited
        /// 5xx.
        case server
        /// No answer within the timeout.
        case timeout
        /// The connection failed or dropped.
        case network
        /// A 2xx whose body is not what the API documents.
        case invalidResponse
        /// An OAuth error from the token endpoint (`oauthError` holds e.g. `invalid_grant`).
        case oauth
        /// Any other status.
        case unexpectedStatus
    }

    public let kind: Kind
    public let status: Int?
    /// Prisma's error `code` (e.g. `resource-not-found`), or the OAuth `error`.
    public let code: String?
    /// A message safe to log (Prisma's own message, or ours).
    public let message: String
    public let hint: String?
    /// From `Retry-After` on 429 / 503.
    public let retryAfter: Duration?

    public init(
        kind: Kind, status: Int? = nil, code: String? = nil, message: String, hint: String? = nil,
        retryAfter: Duration? = nil
    ) {
        self.kind = kind
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.retryAfter = retryAfter
    }

    /// The failure may pass if the same request is sent again later (5xx, 429, timeout, network).
    public var isTransient: Bool {
        switch kind {
        case .rateLimited, .server, .timeout, .network: return true
        default: return status == 503
        }
    }

    /// Prisma may have applied the request even though we saw a failure (a timeout, a dropped
    /// connection or a 5xx after the request was sent). Never true for 4xx answers.
    public var mayHaveBeenApplied: Bool {
        switch kind {
        case .server, .timeout, .network, .invalidResponse: return true
        default: return false
        }
    }

    /// The workspace's plan does not allow this (Prisma's code `planLimitReached`, e.g. a `409` on
    /// a transfer into a full workspace). Not transient: the workspace's owner must upgrade
    /// (``ManagementClient/subscription(workspaceID:token:)`` gives the link) or make room.
    public var isPlanLimit: Bool { code == "planLimitReached" }

    /// The OAuth `error` value, when ``kind`` is ``Kind/oauth``.
    public var oauthError: String? { kind == .oauth ? code : nil }

    public var description: String {
        var text = "Prisma \(kind.rawValue)"
        if let status { text += " (HTTP \(status))" }
        if let code { text += " \(code)" }
        text += ": \(message)"
        return text
    }
}
