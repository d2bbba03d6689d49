import Foundation
import JSONValues
import Secrets

/// A typed client of the Prisma Management API operations Claimgate uses.
///
/// Hand-written rather than generated: ten operations with Codable values read more plainly than
/// a facade over swift-openapi-generator output, and build in seconds instead of the ~40 s a
/// filtered generated client costs on every cold CI build. The shapes are checked against
/// `openapi.json` by the emulator conformance test.
///
/// Retries: reads and deletes are retried on transient failures (5xx, 429, timeouts, dropped
/// connections) with full-jitter backoff, honouring `Retry-After`. Creates and state changes
/// (`createProject`, `transferProject`, `createConnection`, `rotateConnection`) are never retried
/// blindly — Prisma has no idempotency key — except after a 429, which means the request was not
/// processed. Callers recover a create whose answer was lost through
/// ``findProject(logicalId:token:)``.
///
/// Timeouts: creating a project gets ``createTimeout`` (2 minutes by default), every other call
/// ``timeout`` (10 s). Provisioning a database takes Prisma seconds and sometimes much longer
/// (alchemy's client allows 2 minutes); a create cut off at 10 s is an ambiguous failure the
/// caller must then resolve by `logicalId`, while a read that slow is better retried.
public struct ManagementClient: Sendable {
    public let baseURL: URL
    let transport: any HTTPTransport
    let userAgent: String
    let retry: RetryPolicy
    /// Per attempt, for every call but ``createProject(name:region:logicalId:token:)``.
    public let timeout: Duration
    /// Per attempt, for ``createProject(name:region:logicalId:token:)``.
    public let createTimeout: Duration

    /// - Parameters:
    ///   - baseURL: `https://api.prisma.io` (paths are under `/v1`).
    ///   - userAgent: e.g. `claimgate/0.1.0`.
    ///   - timeout: Per attempt, for every call but a project create.
    ///   - createTimeout: Per attempt, for a project create.
    public init(baseURL: URL, transport: any HTTPTransport, userAgent: String,
                retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(10), createTimeout: Duration = .seconds(120)) {
        self.baseURL = baseURL
        self.transport = transport
        self.userAgent = userAgent
        self.retry = retry
        self.timeout = timeout
        self.createTimeout = createTimeout
    }

    // MARK: Projects

    /// `POST /v1/projects`: creates a project and its default database, with ``createTimeout``.
    /// Not retried (see type docs). The database may still be `provisioning`: poll
    /// ``getDatabase(id:token:)`` until it is ready before handing it out or transferring it.
    public func createProject(name: String?, region: String?, logicalId: String?, token: Secret) async throws(PrismaError) -> CreatedProject {
        var body: [String: String] = [:]
        if let name { body["name"] = name }
        if let region { body["region"] = region }
        if let logicalId { body["logicalId"] = logicalId }
        let response = try await call(
            "POST", "/v1/projects", json: body, token: token, expect: [201, 200], retryOn: .notProcessedOnly, timeout: createTimeout)
        return try PrismaResponses.read(CreatedProject.self, response, with: CreatedProject.fromEnvelope)
    }

    /// `GET /v1/projects` (one page). To walk the whole workspace, pass each page's
    /// `pagination.nextCursor` back as `cursor` while `pagination.hasMore`. A project may appear
    /// here only some time after its create answered (listings can lag).
    public func listProjects(logicalId: String? = nil, cursor: String? = nil, limit: Int? = nil, token: Secret) async throws(PrismaError) -> Page<Project> {
        var query: [URLQueryItem] = []
        if let logicalId { query.append(URLQueryItem(name: "logicalId", value: logicalId)) }
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        if let limit { query.append(URLQueryItem(name: "limit", value: String(limit))) }
        let response = try await call("GET", "/v1/projects", query: query, token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Page<Project>.self, response)
    }

    /// The project with this `logicalId` in the token's workspace, if any (follows pagination).
    /// Prisma does not promise `logicalId` is unique, nor that a just-created project is listed
    /// yet: `nil` right after a create means "not listed now", not "never created".
    public func findProject(logicalId: String, token: Secret) async throws(PrismaError) -> Project? {
        var cursor: String?
        repeat {
            let page = try await listProjects(logicalId: logicalId, cursor: cursor, token: token)
            if let match = page.data.first(where: { $0.logicalId == logicalId }) { return match }
            cursor = page.pagination.hasMore ? page.pagination.nextCursor : nil
        } while cursor != nil
        return nil
    }

    /// `GET /v1/projects/{id}`. Throws ``PrismaError/Kind/notFound`` when the project is gone or
    /// belongs to another workspace (e.g. after a transfer).
    public func getProject(id: String, token: Secret) async throws(PrismaError) -> Project {
        let response = try await call("GET", "/v1/projects/\(pathSegment(id))", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<Project>.self, response).data
    }

    /// `DELETE /v1/projects/{id}`. Retried on transient failures; a 404 (also on a retry after a
    /// lost answer) surfaces as ``PrismaError/Kind/notFound``, which callers treat as "gone". A 400
    /// ("dependencies prevent deletion") surfaces as ``PrismaError/Kind/invalidRequest``: permanent,
    /// never retried.
    public func deleteProject(id: String, token: Secret) async throws(PrismaError) {
        _ = try await call("DELETE", "/v1/projects/\(pathSegment(id))", token: token, expect: [204, 200], retryOn: .transient)
    }

    /// `POST /v1/projects/{id}/transfer`: moves the project to the workspace of
    /// `recipientAccessToken`. Called with the partner's service token. Not retried: after an
    /// ambiguous failure the caller checks ownership instead. A `409` means the project cannot move
    /// now: ``PrismaError/isPlanLimit`` when the recipient workspace's plan is full (its
    /// ``subscription(workspaceID:token:)`` has the upgrade link), otherwise e.g. a database still
    /// provisioning or a recipient that already owns it.
    public func transferProject(id: String, recipientAccessToken: Secret, token: Secret) async throws(PrismaError) {
        _ = try await call(
            "POST", "/v1/projects/\(pathSegment(id))/transfer", json: ["recipientAccessToken": recipientAccessToken.value],
            token: token, expect: [204, 200], retryOn: .notProcessedOnly)
    }

    // MARK: Databases

    /// `GET /v1/projects/{projectId}/databases` (first page; a project created by Claimgate has one).
    public func listDatabases(projectID: String, token: Secret) async throws(PrismaError) -> [ProjectDatabase] {
        let response = try await call("GET", "/v1/projects/\(pathSegment(projectID))/databases", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Page<ProjectDatabase>.self, response).data
    }

    /// `POST /v1/databases/{databaseId}/connections`: new credentials (returned once). Used to
    /// recover credentials of a project whose create answer was lost. Retried only after a 429.
    public func createConnection(databaseID: String, name: String, token: Secret) async throws(PrismaError) -> DatabaseConnection {
        let response = try await call(
            "POST", "/v1/databases/\(pathSegment(databaseID))/connections", json: ["name": name], token: token,
            expect: [200, 201], retryOn: .notProcessedOnly)
        return try PrismaResponses.decode(Envelope<DatabaseConnection>.self, response).data
    }

    /// `GET /v1/databases/{databaseId}`: the database with its `status` (`provisioning`, `ready`,
    /// `failure`, `recovering`), without credentials.
    public func getDatabase(id: String, token: Secret) async throws(PrismaError) -> ProjectDatabase {
        let response = try await call("GET", "/v1/databases/\(pathSegment(id))", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<ProjectDatabase>.self, response).data
    }

    /// `GET /v1/databases/{databaseId}/usage` for a period (Prisma's defaults: the start of the
    /// current month until now). The body is not in the `data` envelope.
    public func databaseUsage(databaseID: String, startDate: Date? = nil, endDate: Date? = nil, token: Secret) async throws(PrismaError) -> DatabaseUsage {
        var query: [URLQueryItem] = []
        if let startDate { query.append(URLQueryItem(name: "startDate", value: startDate.formatted(.iso8601))) }
        if let endDate { query.append(URLQueryItem(name: "endDate", value: endDate.formatted(.iso8601))) }
        let response = try await call(
            "GET", "/v1/databases/\(pathSegment(databaseID))/usage", query: query, token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(DatabaseUsage.self, response)
    }

    // MARK: Connections

    /// `POST /v1/connections/{id}/rotate`: new credentials for the connection; the answer is the
    /// only place the new password appears, and the old connection string stops working. Like a
    /// create, retried only after a 429: after an ambiguous failure the old password may already
    /// be dead and the new one unknown, so the caller rotates again deliberately.
    public func rotateConnection(id: String, token: Secret) async throws(PrismaError) -> DatabaseConnection {
        let response = try await call(
            "POST", "/v1/connections/\(pathSegment(id))/rotate", token: token, expect: [200, 201], retryOn: .notProcessedOnly)
        return try PrismaResponses.decode(Envelope<DatabaseConnection>.self, response).data
    }

    /// `DELETE /v1/connections/{id}`: revokes the connection's credentials. Retried on transient
    /// failures; a 404 (also on a retry after a lost answer) surfaces as
    /// ``PrismaError/Kind/notFound``, which callers treat as "gone".
    public func deleteConnection(id: String, token: Secret) async throws(PrismaError) {
        _ = try await call("DELETE", "/v1/connections/\(pathSegment(id))", token: token, expect: [204, 200], retryOn: .transient)
    }

    // MARK: Workspaces and integrations

    /// `GET /v1/workspaces/{id}`: a token sees its own workspace only (others are `notFound`).
    public func workspace(id: String, token: Secret) async throws(PrismaError) -> Workspace {
        let response = try await call("GET", "/v1/workspaces/\(pathSegment(id))", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<Workspace>.self, response).data
    }

    /// `GET /v1/workspaces/{id}/subscription`: the plan, whether usage is blocked, and where to
    /// upgrade (what to show a user whose transfer failed with ``PrismaError/isPlanLimit``).
    public func subscription(workspaceID: String, token: Secret) async throws(PrismaError) -> WorkspaceSubscription {
        let response = try await call(
            "GET", "/v1/workspaces/\(pathSegment(workspaceID))/subscription", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<WorkspaceSubscription>.self, response).data
    }

    /// `DELETE /v1/workspaces/{workspaceId}/integrations/{clientId}`: revokes every token of the
    /// OAuth application `clientID` in the workspace (a user's grant to us). Call it with a token
    /// of that workspace — typically the user's own access token, since the partner's service
    /// token sees only the partner's workspace.
    ///
    /// Retried on transient failures like a delete; a 404 surfaces as
    /// ``PrismaError/Kind/notFound`` (nothing left to revoke). When the call uses a token of the
    /// grant being revoked, a retry after a lost answer is refused `401` because the first attempt
    /// worked: a 401 after an attempt that may have been applied therefore counts as done.
    public func revokeIntegration(workspaceID: String, clientID: String, token: Secret) async throws(PrismaError) {
        _ = try await call(
            "DELETE", "/v1/workspaces/\(pathSegment(workspaceID))/integrations/\(pathSegment(clientID))", token: token,
            expect: [204, 200], retryOn: .transient, doneAfterAmbiguousFailure: [401])
    }

    // MARK: Other reads

    /// `GET /v1/regions/postgres`.
    public func postgresRegions(token: Secret) async throws(PrismaError) -> [Region] {
        let response = try await call("GET", "/v1/regions/postgres", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<[Region]>.self, response).data
    }

    /// `GET /v1/me`. Missing (`notFound`) on deployments older than the endpoint; see
    /// ``currentWorkspace(token:)``.
    public func me(token: Secret) async throws(PrismaError) -> Principal {
        let response = try await call("GET", "/v1/me", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<Principal>.self, response).data
    }

    /// The workspace a token acts in: `GET /v1/me`'s, or — where Prisma answers that with 404, as
    /// it did before the endpoint existed — the single workspace `GET /v1/workspaces` lists for
    /// the token. Throws ``PrismaError/Kind/invalidResponse`` when neither names exactly one.
    public func currentWorkspace(token: Secret) async throws(PrismaError) -> Principal.WorkspaceSummary {
        do throws(PrismaError) {
            if let workspace = try await me(token: token).workspace { return workspace }
        } catch where error.kind == .notFound {
            // Fall through to the listing.
        }
        let page = try await workspaces(token: token)
        guard page.data.count == 1, !page.pagination.hasMore else {
            throw PrismaError(kind: .invalidResponse, status: 200,
                              message: "the token's workspace is not unique (\(page.data.count) listed)")
        }
        return Principal.WorkspaceSummary(id: page.data[0].id, name: page.data[0].name)
    }

    /// `GET /v1/workspaces` (one page).
    public func workspaces(cursor: String? = nil, token: Secret) async throws(PrismaError) -> Page<Workspace> {
        let query = cursor.map { [URLQueryItem(name: "cursor", value: $0)] } ?? []
        let response = try await call("GET", "/v1/workspaces", query: query, token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Page<Workspace>.self, response)
    }

    // MARK: Plumbing

    enum RetryClass {
        /// Idempotent: retry any transient failure.
        case transient
        /// Not idempotent: retry only a 429 (Prisma did not process the request).
        case notProcessedOnly
    }

    private func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? id
    }

    /// A request body: a flat object of strings, keys sorted (stable bytes for logs and tests),
    /// written here: `JSONSerialization` bridged every value through Foundation's object graph (70 µs of
    /// CPU per create on Linux) and `JSONEncoder` still took ~25 µs for three short strings.
    static func jsonObject(_ fields: [String: String]) -> Data {
        var bytes: [UInt8] = [0x7B]
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { bytes.append(0x2C) }
            JSONText.append(key, to: &bytes)
            bytes.append(0x3A)
            JSONText.append(fields[key]!, to: &bytes)
        }
        bytes.append(0x7D)
        return Data(bytes)
    }

    /// One operation: sends, retries as `retryOn` allows, and returns the answer whose status is
    /// in `expect`. `doneAfterAmbiguousFailure` lists statuses that mean success on an attempt that
    /// follows one which may have been applied (see ``revokeIntegration(workspaceID:clientID:token:)``).
    private func call(
        _ method: String, _ path: String, query: [URLQueryItem] = [], json: [String: String]? = nil,
        token: Secret, expect: Set<Int>, retryOn: RetryClass, timeout: Duration? = nil,
        doneAfterAmbiguousFailure: Set<Int> = []
    ) async throws(PrismaError) -> TransportResponse {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query }
        var headers = [
            "Authorization": "Bearer \(token.value)", "Accept": "application/json", "User-Agent": userAgent,
        ]
        var body: Data?
        if let json {
            headers["Content-Type"] = "application/json"
            body = Self.jsonObject(json)
        }
        let request = TransportRequest(
            method: method, url: components.url!, headers: headers, body: body, timeout: timeout ?? self.timeout)
        var attempt = 0
        var mayHaveBeenApplied = false
        while true {
            let error: PrismaError
            do {
                let response = try await transport.send(request)
                if expect.contains(response.status) { return response }
                if mayHaveBeenApplied && doneAfterAmbiguousFailure.contains(response.status) { return response }
                error = PrismaResponses.apiError(response)
            } catch let failure {
                error = PrismaResponses.error(from: failure)
            }
            mayHaveBeenApplied = mayHaveBeenApplied || error.mayHaveBeenApplied
            let retryable = retryOn == .transient ? error.isTransient : error.kind == .rateLimited
            guard retryable, let delay = retry.delay(afterAttempt: attempt, error: error) else { throw error }
            attempt += 1
            try? await Task.sleep(for: delay)
            if Task.isCancelled { throw error }
        }
    }
}
