import Foundation
import Secrets

/// A typed client of the Prisma Management API operations Claimgate uses.
///
/// Hand-written rather than generated: ten operations with Codable values read more plainly than
/// a facade over swift-openapi-generator output, and build in seconds instead of the ~40 s a
/// filtered generated client costs on every cold CI build. The shapes are checked against
/// `openapi.json` by the emulator conformance test.
///
/// Retries: reads and deletes are retried on transient failures (5xx, 429, timeouts, dropped
/// connections) with full-jitter backoff, honouring `Retry-After`. `createProject` and
/// `transferProject` are never retried blindly — Prisma has no idempotency key — except after a
/// 429, which means the request was not processed. Callers recover a create whose answer was lost
/// through ``findProject(logicalId:token:)``.

public struct ManagementClient: Sendable {
    public let baseURL: URL
    let transport: any HTTPTransport
    let userAgent: String
    let retry: RetryPolicy
    let timeout: Duration

    /// - Parameters:
    ///   - baseURL: `https://api.prisma.io` (paths are under `/v1`).
    ///   - userAgent: e.g. `claimgate/0.1.0`.
    ///   - timeout: Per attempt.
    public init(baseURL: URL, transport: any HTTPTransport, userAgent: String,
                retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(10)) {
        self.baseURL = baseURL
        self.transport = transport
        self.userAgent = userAgent
        self.retry = retry
        self.timeout = timeout
    }

    // MARK: Projects

    /// `POST /v1/projects`: creates a project and its default database. Not retried (see type docs).
    public func createProject(name: String?, region: String?, logicalId: String?, token: Secret) async throws(PrismaError) -> CreatedProject {
        var body: [String: String] = [:]
        if let name { body["name"] = name }
        if let region { body["region"] = region }
        if let logicalId { body["logicalId"] = logicalId }
        let response = try await call("POST", "/v1/projects", json: body, token: token, expect: [201, 200], retryOn: .notProcessedOnly)
        return try PrismaResponses.decode(Envelope<CreatedProject>.self, response).data
    }

    /// `GET /v1/projects` (one page).
    public func listProjects(logicalId: String? = nil, cursor: String? = nil, limit: Int? = nil, token: Secret) async throws(PrismaError) -> Page<Project> {
        var query: [URLQueryItem] = []
        if let logicalId { query.append(URLQueryItem(name: "logicalId", value: logicalId)) }
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        if let limit { query.append(URLQueryItem(name: "limit", value: String(limit))) }
        let response = try await call("GET", "/v1/projects", query: query, token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Page<Project>.self, response)
    }

    /// The project with this `logicalId` in the token's workspace, if any (follows pagination).
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
    /// lost answer) surfaces as ``PrismaError/Kind/notFound``, which callers treat as "gone".
    public func deleteProject(id: String, token: Secret) async throws(PrismaError) {
        _ = try await call("DELETE", "/v1/projects/\(pathSegment(id))", token: token, expect: [204, 200], retryOn: .transient)
    }

    /// `POST /v1/projects/{id}/transfer`: moves the project to the workspace of
    /// `recipientAccessToken`. Called with the partner's service token. Not retried: after an
    /// ambiguous failure the caller checks ownership instead.
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

    // MARK: Other reads

    /// `GET /v1/regions/postgres`.
    public func postgresRegions(token: Secret) async throws(PrismaError) -> [Region] {
        let response = try await call("GET", "/v1/regions/postgres", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<[Region]>.self, response).data
    }

    /// `GET /v1/me`.
    public func me(token: Secret) async throws(PrismaError) -> Principal {
        let response = try await call("GET", "/v1/me", token: token, expect: [200], retryOn: .transient)
        return try PrismaResponses.decode(Envelope<Principal>.self, response).data
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

    private func call(
        _ method: String, _ path: String, query: [URLQueryItem] = [], json: [String: String]? = nil,
        token: Secret, expect: Set<Int>, retryOn: RetryClass
    ) async throws(PrismaError) -> TransportResponse {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query }
        var headers = [
            "Authorization": "Bearer \(token.value)", "Accept": "application/json", "User-Agent": userAgent,
        ]
        var body: Data?
        if let json {
            headers["Content-Type"] = "application/json"
            body = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        }
        let request = TransportRequest(method: method, url: components.url!, headers: headers, body: body, timeout: timeout)
        var attempt = 0
        while true {
            let error: PrismaError
            do {
                let response = try await transport.send(request)
                if expect.contains(response.status) { return response }
                error = PrismaResponses.apiError(response)
            } catch let failure {
                error = PrismaResponses.error(from: failure)
            }
            let retryable = retryOn == .transient ? error.isTransient : error.kind == .rateLimited
            guard retryable, let delay = retry.delay(afterAttempt: attempt, error: error) else { throw error }
            attempt += 1
            try? await Task.sleep(for: delay)
            if Task.isCancelled { throw error }
        }
    }
}
