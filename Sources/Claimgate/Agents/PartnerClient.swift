import Foundation
import Secrets
import JSONValues

/// One partner API call as the agent surfaces make it (the CLI, the MCP tools): a method, a path
/// under the service, query parameters and an optional JSON body.
public struct PartnerCall: Sendable {
    public var method: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var body: JSONValue?
    public var idempotencyKey: String?

    public init(method: String, path: String, query: [(name: String, value: String)] = [], body: JSONValue? = nil,
                idempotencyKey: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.idempotencyKey = idempotencyKey
    }
}

/// The answer to a ``PartnerCall``, fully buffered.
public struct PartnerReply: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How partner calls reach a Claimgate: over HTTP (``HTTPPartnerTransport``, for the CLI and the
/// stdio MCP server) or in-process through the service's own router (``RouterPartnerTransport``,
/// for `POST /mcp`), so that every agent surface behaves exactly as the partner API does.
public protocol PartnerTransport: Sendable {
    func send(_ call: PartnerCall) async throws(PartnerClientError) -> PartnerReply
}

/// A problem document the partner API answered (RFC 9457, with Claimgate's stable `code`).
public struct PartnerProblem: Sendable, Equatable {
    public var status: Int
    public var code: String
    public var title: String
    public var detail: String?
    public var requestId: String?

    /// `code: detail` (or the title when there is no detail): what a person or a model reads.
    public var summary: String { "\(code): \(detail ?? title)" }
}

/// Why a partner call produced no usable answer.
public enum PartnerClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API answered with a problem document.
    case problem(PartnerProblem)
    /// No answer at all (connection refused, timed out).
    case unreachable(String)
    /// An answer that is not what the partner API sends (not JSON, unexpected status).
    case invalidAnswer(String)

    public var description: String {
        switch self {
        case .problem(let problem): problem.summary
        case .unreachable(let reason): "unreachable: \(reason)"
        case .invalidAnswer(let reason): "invalid-answer: \(reason)"
        }
    }

    /// The problem's code, or a stable code of ours for the transport failures.
    public var code: String {
        switch self {
        case .problem(let problem): problem.code
        case .unreachable: "unreachable"
        case .invalidAnswer: "invalid-answer"
        }
    }

    /// The problem's detail (or title), or what went wrong on the way.
    public var detail: String {
        switch self {
        case .problem(let problem): problem.detail ?? problem.title
        case .unreachable(let reason), .invalidAnswer(let reason): reason
        }
    }
}

/// What a create came to.
public enum CreateOutcome: Sendable {
    /// `201`: the database with its connection strings and claim URL.
    case ready(JSONValue)
    /// Still provisioning once the wait budget ran out: repeat the create with `idempotencyKey`.
    case provisioning(JSONValue, idempotencyKey: String)
}

/// The partner operations the CLI and the MCP tools offer, over any ``PartnerTransport``.
///
/// Documents are returned as ``JSONValue`` exactly as the API sent them: the callers render them
/// (a table, an `.env` file, a tool result), and a field added to the API later shows up without a
/// change here.
public struct PartnerClient: Sendable {
    let transport: any PartnerTransport
    /// How long ``createDatabase(_:idempotencyKey:onWaiting:)`` keeps repeating a create answered
    /// `202` (zero: answer the `202` at once, as `POST /mcp` does: its request has a deadline).
    public let createWaitBudget: Duration

    public init(transport: any PartnerTransport, createWaitBudget: Duration = .seconds(180)) {
        self.transport = transport
        self.createWaitBudget = createWaitBudget
    }

    /// `POST /v1/databases`. A `202` (Prisma still creating) is repeated with the same
    /// `Idempotency-Key` after its `Retry-After` until the `201` with the credentials, within
    /// ``createWaitBudget``; `onWaiting` hears of every wait (the CLI prints a progress line).
    public func createDatabase(
        _ body: [String: JSONValue], idempotencyKey: String,
        onWaiting: @Sendable (_ database: JSONValue, _ elapsed: Duration) -> Void = { _, _ in }
    ) async throws(PartnerClientError) -> CreateOutcome {
        let call = PartnerCall(method: "POST", path: "/v1/databases", body: .object(body), idempotencyKey: idempotencyKey)
        let started = ContinuousClock.now
        while true {
            let reply = try await transport.send(call)
            let document = try Self.document(reply, expecting: [200, 201, 202])
            guard reply.status == 202 else { return .ready(document) }
            let elapsed = ContinuousClock.now - started
            let pause = Duration.seconds(min(max(Int(reply.headers["retry-after"] ?? "") ?? 2, 1), 5))
            guard elapsed + pause <= createWaitBudget else { return .provisioning(document, idempotencyKey: idempotencyKey) }
            onWaiting(document, elapsed)
            do { try await Task.sleep(for: pause) } catch { return .provisioning(document, idempotencyKey: idempotencyKey) }
        }
    }

    /// `GET /v1/databases/{id}`.
    public func database(_ id: String) async throws(PartnerClientError) -> JSONValue {
        try await get(Self.databasePath(id))
    }

    /// `GET /v1/databases` (one page).
    public func databases(status: String? = nil, reference: String? = nil, limit: Int? = nil, cursor: String? = nil)
        async throws(PartnerClientError) -> JSONValue {
        var query: [(name: String, value: String)] = []
        if let status { query.append(("status", status)) }
        if let reference { query.append(("reference", reference)) }
        if let limit { query.append(("limit", String(limit))) }
        if let cursor { query.append(("cursor", cursor)) }
        return try await get("/v1/databases", query: query)
    }

    /// `GET /v1/regions`.
    public func regions() async throws(PartnerClientError) -> JSONValue {
        try await get("/v1/regions")
    }

    /// `POST /v1/databases/{id}/claim-url`: a new claim link, revoking the previous one.
    public func newClaimURL(_ id: String) async throws(PartnerClientError) -> JSONValue {
        try Self.document(try await transport.send(PartnerCall(method: "POST", path: Self.databasePath(id) + "/claim-url")), expecting: [201])
    }

    /// `POST /v1/databases/{id}/extend`.
    public func extend(_ id: String, ttlSeconds: Int) async throws(PartnerClientError) -> JSONValue {
        let call = PartnerCall(method: "POST", path: Self.databasePath(id) + "/extend", body: .object(["ttlSeconds": .number(String(ttlSeconds))]))
        return try Self.document(try await transport.send(call), expecting: [200])
    }

    /// `DELETE /v1/databases/{id}`.
    public func delete(_ id: String) async throws(PartnerClientError) -> JSONValue {
        try Self.document(try await transport.send(PartnerCall(method: "DELETE", path: Self.databasePath(id))), expecting: [200])
    }

    private func get(_ path: String, query: [(name: String, value: String)] = []) async throws(PartnerClientError) -> JSONValue {
        try Self.document(try await transport.send(PartnerCall(method: "GET", path: path, query: query)), expecting: [200])
    }

    /// An id goes into the path as one segment: anything that could leave it is percent-encoded,
    /// so `../regions` names a database that does not exist instead of another route.
    static func databasePath(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return "/v1/databases/" + (id.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }

    /// The reply's JSON document, or the problem it carries.
    static func document(_ reply: PartnerReply, expecting statuses: Set<Int>) throws(PartnerClientError) -> JSONValue {
        let parsed: JSONValue?
        do { parsed = try JSONParser.parse(reply.body) } catch { parsed = nil }
        if statuses.contains(reply.status), let parsed { return parsed }
        if reply.status >= 400, let object = parsed?.object, let code = object["code"]?.string {
            throw .problem(PartnerProblem(
                status: reply.status, code: code, title: object["title"]?.string ?? "HTTP \(reply.status)",
                detail: object["detail"]?.string, requestId: object["requestId"]?.string))
        }
        throw .invalidAnswer("HTTP \(reply.status) with \(parsed == nil ? "a body that is not JSON" : "an unexpected body")")
    }
}
