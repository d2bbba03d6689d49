import Foundation
import HTTPServer
import Timestamps

/// The emulated Management API (`/v1/...`), shaped exactly like ../shared/prisma/openapi.json.
struct ManagementRoutes {
    let state: EmulatorState
    let baseURL: @Sendable () -> String

    static let regions: [(id: String, name: String)] = [
        ("us-east-1", "US East (N. Virginia)"), ("us-west-1", "US West (N. California)"),
        ("eu-west-3", "Europe (Paris)"), ("eu-central-1", "Europe (Frankfurt)"),
        ("ap-northeast-1", "Asia Pacific (Tokyo)"), ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ]

    /// Who is calling: the partner (service token) or a user (OAuth access token).
    enum Caller {
        case service(workspaceID: String)
        case user(userID: String, workspaceID: String, grantID: String, clientID: String)

        var workspaceID: String {
            switch self {
            case .service(let id), .user(_, let id, _, _): return id
            }
        }
    }

    func caller(_ request: HTTPRequest) -> Caller? {
        guard let header = request.headers["Authorization"], header.lowercased().hasPrefix("bearer ") else { return nil }
        return caller(token: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
    }

    func caller(token: String) -> Caller? {
        if !token.isEmpty && token == state.configuration.serviceToken {
            return .service(workspaceID: state.configuration.partnerWorkspace.id)
        }
        let now = state.now
        return state.data.withLock { data -> Caller? in
            guard let access = data.accessTokens[token], access.expiresAt > now,
                  let grant = data.grants[access.grantID], !grant.revoked else { return nil }
            return .user(userID: grant.userID, workspaceID: grant.workspaceID, grantID: grant.id, clientID: grant.clientID)
        }
    }

    func register(in router: inout Router, wrap: (String, @escaping Router.Handler) -> Router.Handler) {
        // Every Management API route passes the per-workspace rate limiter (after any scripted
        // fault, which answers before the request would reach Prisma's limiter).
        func add(_ method: String, _ pattern: String, _ handler: @escaping Router.Handler) {
            router.add(method, pattern, wrap("\(method) \(pattern)", limited(handler)))
        }
        add("POST", "/v1/projects", createProject)
        add("GET", "/v1/projects", listProjects)
        add("GET", "/v1/projects/:id", getProject)
        add("DELETE", "/v1/projects/:id", deleteProject)
        add("POST", "/v1/projects/:id/transfer", transferProject)
        add("GET", "/v1/projects/:id/databases", listDatabases)
        add("GET", "/v1/databases/:id", getDatabase)
        add("GET", "/v1/databases/:id/usage", usage)
        add("POST", "/v1/databases/:id/connections", createConnection)
        add("POST", "/v1/connections/:id/rotate", rotateConnection)
        add("DELETE", "/v1/connections/:id", deleteConnection)
        add("GET", "/v1/regions/postgres", regions)
        add("GET", "/v1/me", me)
        add("GET", "/v1/workspaces", workspaces)
        add("GET", "/v1/workspaces/:id", workspace)
        add("GET", "/v1/workspaces/:id/subscription", subscription)
        add("DELETE", "/v1/workspaces/:workspaceId/integrations/:clientId", revokeIntegration)
    }

    // MARK: Rate limit

    /// Runs `handler` unless the caller's workspace is over ``EmulatorBehaviour/rateLimit``.
    func limited(_ handler: @escaping Router.Handler) -> Router.Handler {
        { [self] request in
            if let refusal = admit(request) { return refusal }
            return try await handler(request)
        }
    }

    /// Records the call and takes a token from the workspace's bucket; a `429` with `Retry-After`
    /// (whole seconds until a token is back) when there is none. Unauthenticated calls pass: they
    /// get their `401` from the handler and name no workspace.
    func admit(_ request: HTTPRequest) -> HTTPResponse? {
        guard let workspace = caller(request)?.workspaceID else { return nil }
        let now = state.now
        let wait: Int? = state.data.withLock { data in
            var record = data.rateLimitRecords[workspace] ?? RateLimitRecord()
            record.calls.append(now)
            if record.calls.count > 10_000 { record.calls.removeFirst(record.calls.count - 10_000) }
            if let until = record.retryAfterUntil, now < until { record.callsInsideRetryAfter += 1 }
            var wait: Int?
            if let limit = data.behaviour.rateLimit {
                let perSecond = Double(limit.requestsPerMinute) / 60
                var bucket = data.buckets[workspace] ?? EmulatorState.Bucket(tokens: Double(limit.burst), updated: now)
                bucket.tokens = min(Double(limit.burst), bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * perSecond)
                bucket.updated = now
                if bucket.tokens >= 1 {
                    bucket.tokens -= 1
                } else {
                    let seconds = max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
                    record.rejected += 1
                    record.retryAfterUntil = now.addingTimeInterval(Double(seconds))
                    wait = seconds
                }
                data.buckets[workspace] = bucket
            }
            data.rateLimitRecords[workspace] = record
            return wait
        }
        guard let wait else { return nil }
        var response = JSONBody.error(429, "rate-limit-exceeded", "Rate limit exceeded.")
        response.headers.set("Retry-After", String(wait))
        return response
    }

    // MARK: Handlers

    func createProject(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let body = JSONBody.object(request) else {
            return JSONBody.error(400, "validation-error", "The request body must be a JSON object.")
        }
        let name = body["name"] as? String
        if body["name"] != nil && (name == nil || name!.isEmpty) {
            return JSONBody.error(400, "validation-error", "name must be a non-empty string.")
        }
        let region = body["region"] as? String ?? "us-east-1"
        guard ManagementRoutes.regions.contains(where: { $0.id == region }) else {
            return JSONBody.error(400, "validation-error", "region must be one of the Prisma Postgres regions.")
        }
        let logicalId = body["logicalId"] as? String
        if let logicalId, !ManagementRoutes.isLogicalID(logicalId) {
            return JSONBody.error(400, "validation-error", "logicalId must match ^[a-z0-9][-_a-z0-9]*$.")
        }
        let now = state.now
        let (created, latency): (EmulatorState.Project?, Duration) = state.data.withLock { data in
            let behaviour = data.behaviour
            if let logicalId, !behaviour.acceptDuplicateLogicalIds,
               data.hasProject(workspaceID: caller.workspaceID, logicalId: logicalId) {
                return (nil, .zero)
            }
            let projectName = name ?? Timestamp.string(now)
            let connection = EmulatorState.Connection.make(name: "Default", at: now)
            let project = EmulatorState.Project(
                id: EmulatorState.newID(), name: projectName, logicalId: logicalId, createdAt: now, region: region,
                workspaceID: caller.workspaceID,
                database: .init(
                    id: EmulatorState.newID(), name: projectName, createdAt: now, connections: [connection],
                    defaultConnectionID: connection.id, readyAt: now.addingTimeInterval(behaviour.provisioningDuration.seconds)),
                visibleAt: now.addingTimeInterval(behaviour.listVisibilityDelay.seconds))
            data.add(project)
            return (project, behaviour.createLatency)
        }
        guard let created else {
            return JSONBody.error(409, "conflict", "A project with this logicalId already exists in the workspace.")
        }
        // The project exists already; only the answer waits (a client timing out meanwhile must
        // find it by logicalId rather than create another).
        if latency > .zero { try? await Task.sleep(for: latency) }
        var json = projectJSON(created)
        json["database"] = createdDatabaseJSON(created)
        return JSONBody.response(["data": json], status: 201)
    }

    func listProjects(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        let limitText = request.queryValue("limit")
        let limit = limitText.map { Double($0).map(Int.init) ?? -1 } ?? 100
        guard (1...1000).contains(limit) else {
            return JSONBody.error(400, "validation-error", "limit must be a number between 1 and 1000.")
        }
        var offset = 0
        if let cursor = request.queryValue("cursor"), !cursor.isEmpty {
            guard let decoded = Data(base64Encoded: cursor).flatMap({ Int(String(decoding: $0, as: UTF8.self)) }), decoded >= 0 else {
                return JSONBody.error(400, "validation-error", "cursor is not valid.")
            }
            offset = decoded
        }
        let logicalId = request.queryValue("logicalId")
        let now = state.now
        let visible = state.data.withLock { data in
            data.projects.filter {
                $0.workspaceID == caller.workspaceID && $0.visibleAt <= now && (logicalId == nil || $0.logicalId == logicalId)
            }
        }
        let page = visible.dropFirst(offset).prefix(limit)
        let hasMore = offset + page.count < visible.count
        let next: Any = hasMore ? Data(String(offset + page.count).utf8).base64EncodedString() : JSONBody.null
        return JSONBody.response(["data": page.map(projectJSON), "pagination": ["nextCursor": next, "hasMore": hasMore]])
    }

    func getProject(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "proj_"),
              let project = state.data.withLock({ $0.projects.first { $0.id == id && $0.workspaceID == caller.workspaceID } })
        else { return JSONBody.notFound("Project") }
        return JSONBody.response(["data": projectJSON(project)])
    }

    func deleteProject(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "proj_") else {
            return JSONBody.notFound("Project")
        }
        enum Outcome { case deleted, refused, notFound }
        let outcome = state.data.withLock { data -> Outcome in
            guard let index = data.projects.firstIndex(where: { $0.id == id && $0.workspaceID == caller.workspaceID }) else {
                return .notFound
            }
            let project = data.projects[index]
            if data.behaviour.refusesDeletion(id: project.id, logicalId: project.logicalId, name: project.name) { return .refused }
            data.removeProject(at: index)
            return .deleted
        }
        switch outcome {
        case .deleted: return HTTPResponse(status: 204)
        case .notFound: return JSONBody.notFound("Project")
        case .refused:
            // The spec's 400: permanent, so a client must not retry it.
            return JSONBody.error(400, "client-error", "Project cannot be deleted due to existing dependencies.",
                                  hint: "Remove what depends on the project first; repeating the request will not help.")
        }
    }

    func transferProject(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard request.body.count <= state.configuration.transferBodyLimit else {
            return JSONBody.error(413, "payload-too-large", "Request body exceeds this endpoint's size cap.")
        }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "proj_"),
              state.data.withLock({ $0.projects.contains { $0.id == id && $0.workspaceID == caller.workspaceID } })
        else { return JSONBody.notFound("Project") }
        guard let token = JSONBody.object(request)?["recipientAccessToken"] as? String, !token.isEmpty else {
            return JSONBody.error(400, "validation-error", "recipientAccessToken is required.")
        }
        guard case .user(_, let recipientWorkspace, _, _)? = self.caller(token: token) else {
            let status = state.configuration.invalidRecipientStatus
            return JSONBody.error(status, status == 401 ? "authentication-failed" : "validation-error",
                                  "The recipient access token is invalid or expired.")
        }
        enum Outcome { case moved, sameWorkspace, provisioning, planLimit(EmulatorBehaviour.Plan) }
        let now = state.now
        let outcome = state.data.withLock { data -> Outcome in
            guard let index = data.projects.firstIndex(where: { $0.id == id && $0.workspaceID == caller.workspaceID }),
                  data.projects[index].workspaceID != recipientWorkspace else { return .sameWorkspace }
            if data.projects[index].database.status(at: now) == "provisioning" { return .provisioning }
            let plan = data.behaviour.plan(forWorkspace: recipientWorkspace)
            if let limit = plan.projectLimit, data.projects.count(where: { $0.workspaceID == recipientWorkspace }) >= limit {
                return .planLimit(plan)
            }
            data.moveProject(at: index, to: recipientWorkspace)
            return .moved
        }
        // Every refusal is the spec's 409 ("cannot be transferred in its current state"); the code
        // tells them apart.
        switch outcome {
        case .moved: return HTTPResponse(status: 204)
        case .sameWorkspace:
            return JSONBody.error(409, "conflict", "The project cannot be transferred in its current state.",
                                  hint: "The recipient workspace already owns this project.")
        case .provisioning:
            return JSONBody.error(409, "conflict", "The project cannot be transferred in its current state.",
                                  hint: "Its database is still provisioning; transfer it once GET /v1/databases/{id} says ready.")
        case .planLimit(let plan):
            // prisma-cli matches the code planLimitReached and then reads the subscription for its upgradeUrl.
            return JSONBody.error(409, "planLimitReached", "Workspace plan limit reached for feature \"Project\".",
                                  hint: "The recipient workspace's \(plan.name) plan allows \(plan.projectLimit ?? 0) projects. "
                                      + "Upgrade at \(upgradeURL(recipientWorkspace)).")
        }
    }

    func listDatabases(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "proj_"),
              let project = state.data.withLock({ $0.projects.first { $0.id == id && $0.workspaceID == caller.workspaceID } })
        else { return JSONBody.notFound("Project") }
        return JSONBody.response(["data": [databaseJSON(project)], "pagination": ["nextCursor": JSONBody.null, "hasMore": false]])
    }

    /// New credentials for a database: the only way to get a password after the create answer.
    func createConnection(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let name = JSONBody.object(request)?["name"] as? String, (3...65).contains(name.count) else {
            return JSONBody.error(400, "validation-error", "name must be 3 to 65 characters.")
        }
        let now = state.now
        let result: (EmulatorState.Project, EmulatorState.Connection)? = state.data.withLock { data in
            guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "db_"),
                  let index = data.projects.firstIndex(where: { $0.database.id == id && $0.workspaceID == caller.workspaceID })
            else { return nil }
            let connection = EmulatorState.Connection.make(name: name, at: now)
            data.changeDatabase(ofProjectAt: index) { $0.connections.append(connection) }
            return (data.projects[index], connection)
        }
        guard let (project, connection) = result else { return JSONBody.notFound("Database") }
        return JSONBody.response(["data": issuedConnectionJSON(project, connection)])
    }

    /// `GET /v1/databases/{id}`: the database with its `status` (no secrets).
    func getDatabase(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let project = project(ofDatabase: request.pathParameters["id"], workspaceID: caller.workspaceID) else {
            return JSONBody.notFound("Database")
        }
        return JSONBody.response(["data": databaseJSON(project)])
    }

    /// `GET /v1/databases/{id}/usage`: unwrapped (no `data` envelope), as the spec has it. Numbers
    /// are set by tests (``PrismaEmulator/setUsage(databaseID:operations:storageGiB:)``) or derived
    /// from the database's age: a few operations a minute and 8 MiB of an empty Postgres.
    func usage(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let project = project(ofDatabase: request.pathParameters["id"], workspaceID: caller.workspaceID) else {
            return JSONBody.notFound("Database")
        }
        let now = state.now
        var start = ManagementRoutes.startOfMonth(now), end = now
        for (name, target) in [("startDate", 0), ("endDate", 1)] {
            guard let text = request.queryValue(name) else { continue }
            guard let date = ManagementRoutes.parseDateTime(text) else {
                return JSONBody.error(400, "validation-error", "\(name) must be an ISO 8601 date-time.")
            }
            if target == 0 { start = date } else { end = date }
        }
        // "Will be set to end of day if a future date is provided."
        if end > now { end = ManagementRoutes.startOfDay(now).addingTimeInterval(86_400 - 0.001) }
        guard start <= end else { return JSONBody.error(400, "validation-error", "startDate must not be after endDate.") }
        let override = state.data.withLock { $0.usage[project.database.id] }
        let operations: Double, storage: Double
        if let override {
            (operations, storage) = (override.operations, override.storageGiB)
        } else {
            let alive = max(0, min(end, now).timeIntervalSince(max(start, project.database.createdAt)))
            let perMinute = Double(ManagementRoutes.fnv1a(project.database.id) % 10 + 1)
            operations = (alive / 60 * perMinute).rounded(.down)
            storage = ((0.0078125 + operations * 0.000001) * 10_000).rounded() / 10_000
        }
        return JSONBody.response([
            "period": ["start": Timestamp.string(start), "end": Timestamp.string(end)],
            "metrics": ["operations": ["used": operations, "unit": "ops"], "storage": ["used": storage, "unit": "GiB"]],
            "generatedAt": Timestamp.string(now),
        ])
    }

    /// `POST /v1/connections/{id}/rotate`: a new password for the same connection (same id and
    /// user); the old connection string stops working at once (Prisma says "best-effort").
    func rotateConnection(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        let rotated: (EmulatorState.Project, EmulatorState.Connection)? = state.data.withLock { data in
            guard let (projectIndex, connectionIndex) = ManagementRoutes.connectionIndex(
                request.pathParameters["id"], workspaceID: caller.workspaceID, in: data) else { return nil }
            data.changeDatabase(ofProjectAt: projectIndex) { $0.connections[connectionIndex].password = EmulatorState.Connection.newPassword() }
            return (data.projects[projectIndex], data.projects[projectIndex].database.connections[connectionIndex])
        }
        guard let (project, connection) = rotated else { return JSONBody.notFound("Connection") }
        return JSONBody.response(["data": issuedConnectionJSON(project, connection)])
    }

    /// `DELETE /v1/connections/{id}`: its connection string stops working.
    func deleteConnection(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        let deleted = state.data.withLock { data -> Bool in
            guard let (projectIndex, connectionIndex) = ManagementRoutes.connectionIndex(
                request.pathParameters["id"], workspaceID: caller.workspaceID, in: data) else { return false }
            data.changeDatabase(ofProjectAt: projectIndex) { database in
                let removed = database.connections.remove(at: connectionIndex)
                if database.defaultConnectionID == removed.id { database.defaultConnectionID = nil }
            }
            return true
        }
        return deleted ? HTTPResponse(status: 204) : JSONBody.notFound("Connection")
    }

    func regions(_ request: HTTPRequest) async -> HTTPResponse {
        guard caller(request) != nil else { return JSONBody.unauthorized }
        return JSONBody.response(["data": ManagementRoutes.regions.map {
            ["id": $0.id, "type": "region", "name": $0.name, "status": "available"]
        }])
    }

    func me(_ request: HTTPRequest) async -> HTTPResponse {
        // Snapshots of the live spec up to 2026-03 had no /v1/me: then it is 404 whoever asks.
        if state.data.withLock({ $0.behaviour.meAbsent }) {
            return JSONBody.error(404, "resource-not-found", "Route GET /v1/me was not found.")
        }
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        let workspace = workspaceSummary(caller.workspaceID)
        switch caller {
        case .service:
            return JSONBody.response(["data": [
                "user": JSONBody.null, "workspace": workspace,
                "credential": ["type": "service_token", "id": "itgr_cmsandboxservicetoken01", "name": "Sandbox service token"],
            ]])
        case .user(let userID, _, let grantID, let clientID):
            let user = state.configuration.users.first { $0.id == userID }
            let client = state.configuration.clients.first { $0.id == clientID }
            return JSONBody.response(["data": [
                "user": ["id": "usr_" + userID, "email": user?.email ?? "", "name": user?.name ?? JSONBody.null],
                "workspace": workspace,
                "credential": ["type": "oauth", "id": "itgr_" + grantID, "name": client?.name ?? JSONBody.null],
            ]])
        }
    }

    func workspaces(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        let items: [[String: Any]] = workspaceJSON(caller.workspaceID).map { [$0] } ?? []
        return JSONBody.response(["data": items, "pagination": ["nextCursor": JSONBody.null, "hasMore": false]])
    }

    /// `GET /v1/workspaces/{id}`: a token sees only its own workspace.
    func workspace(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "wksp_"), id == caller.workspaceID,
              let json = workspaceJSON(id) else { return JSONBody.notFound("Workspace") }
        return JSONBody.response(["data": json])
    }

    /// `GET /v1/workspaces/{id}/subscription`: the plan of ``EmulatorBehaviour/plans``.
    func subscription(_ request: HTTPRequest) async -> HTTPResponse {
        guard let caller = caller(request) else { return JSONBody.unauthorized }
        guard let id = ManagementRoutes.bareID(request.pathParameters["id"], prefix: "wksp_"), id == caller.workspaceID
        else { return JSONBody.notFound("Workspace") }
        let plan = state.data.withLock { $0.behaviour.plan(forWorkspace: id) }
        return JSONBody.response(["data": [
            "planName": plan.name, "usageBlocked": plan.usageBlocked, "upgradeUrl": upgradeURL(id),
        ]])
    }

    /// `DELETE /v1/workspaces/{workspaceId}/integrations/{clientId}`: revokes every grant of that
    /// OAuth client in that workspace (their access and refresh tokens stop working). The caller
    /// must see the workspace: in practice a token of that workspace, e.g. the user's own grant
    /// (the partner's service token sees only the partner's workspace). Every call is recorded.
    ///
    /// The client id is taken as given (an `itgr_` prefix dropped): Prisma's client ids are cuids,
    /// but the sandbox client's (`sandbox-client`) is not, and the emulator accepts it anyway.
    func revokeIntegration(_ request: HTTPRequest) async -> HTTPResponse {
        let now = state.now
        var clientID = request.pathParameters["clientId"] ?? ""
        if clientID.hasPrefix("itgr_") { clientID.removeFirst(5) }
        let rawWorkspace = request.pathParameters["workspaceId"] ?? ""
        let workspaceID = ManagementRoutes.bareID(rawWorkspace, prefix: "wksp_")
        let caller = caller(request)
        let (status, _) = state.data.withLock { data -> (Int, Int) in
            let outcome: (Int, Int)
            if caller == nil {
                outcome = (401, 0)
            } else if let workspaceID, workspaceID == caller?.workspaceID {
                var count = 0
                for (id, grant) in data.grants where grant.clientID == clientID && grant.workspaceID == workspaceID && !grant.revoked {
                    data.grants[id]?.revoked = true
                    count += 1
                }
                outcome = (count > 0 ? 204 : 404, count)
            } else {
                outcome = (404, 0)
            }
            data.revocations.append(IntegrationRevocation(
                workspaceID: workspaceID.map { "wksp_" + $0 } ?? rawWorkspace, clientID: clientID, status: outcome.0,
                revokedGrants: outcome.1, at: now))
            return outcome
        }
        switch status {
        case 204: return HTTPResponse(status: 204)
        case 401: return JSONBody.unauthorized
        default:
            return JSONBody.error(404, "resource-not-found", "Integration with the given client ID was not found.",
                                  hint: "Use GET /v1/workspaces/{workspaceId}/integrations to list them.")
        }
    }

    // MARK: Lookups

    /// The project owning a database (id with or without `db_`) in a workspace.
    func project(ofDatabase raw: String?, workspaceID: String) -> EmulatorState.Project? {
        guard let id = ManagementRoutes.bareID(raw, prefix: "db_") else { return nil }
        return state.data.withLock { $0.projects.first { $0.database.id == id && $0.workspaceID == workspaceID } }
    }

    /// Where a connection (id with or without `con_`) sits in a workspace's projects.
    static func connectionIndex(_ raw: String?, workspaceID: String, in data: EmulatorState.Data) -> (Int, Int)? {
        guard let id = bareID(raw, prefix: "con_") else { return nil }
        for (projectIndex, project) in data.projects.enumerated() where project.workspaceID == workspaceID {
            if let connectionIndex = project.database.connections.firstIndex(where: { $0.id == id }) {
                return (projectIndex, connectionIndex)
            }
        }
        return nil
    }

    // MARK: Shapes

    /// Where a workspace's plan would be upgraded: a page of the emulator (the real one is Prisma's Console).
    func upgradeURL(_ workspaceID: String) -> String {
        "\(baseURL())/upgrade/wksp_\(workspaceID)"
    }

    func workspaceJSON(_ id: String) -> [String: Any]? {
        let (workspace, created) = state.data.withLock { ($0.workspaces[id], $0.workspaceCreated[id]) }
        return workspace.map {
            [
                "id": "wksp_" + $0.id, "type": "workspace", "url": baseURL() + "/v1/workspaces/wksp_" + $0.id,
                "name": $0.name, "createdAt": Timestamp.string(created ?? state.now),
            ]
        }
    }

    func workspaceSummary(_ id: String) -> [String: Any] {
        let name = state.data.withLock { $0.workspaces[id]?.name } ?? "Workspace"
        return ["id": "wksp_" + id, "name": name]
    }

    func projectJSON(_ project: EmulatorState.Project) -> [String: Any] {
        let base = baseURL()
        let workspaceName = state.data.withLock { $0.workspaces[project.workspaceID]?.name } ?? "Workspace"
        return [
            "id": "proj_" + project.id, "type": "project", "url": "\(base)/v1/projects/proj_\(project.id)",
            "name": project.name, "logicalId": project.logicalId ?? JSONBody.null,
            "createdAt": Timestamp.string(project.createdAt), "defaultRegion": project.region,
            "workspace": [
                "id": "wksp_" + project.workspaceID, "url": "\(base)/v1/workspaces/wksp_\(project.workspaceID)",
                "name": workspaceName,
            ],
        ]
    }

    func databaseRef(_ project: EmulatorState.Project) -> [String: Any] {
        let database = project.database
        return ["id": "db_" + database.id, "url": "\(baseURL())/v1/databases/db_\(database.id)", "name": database.name]
    }

    /// A connection; its credentials appear only in create answers (`withSecrets`).
    func connectionJSON(_ project: EmulatorState.Project, _ connection: EmulatorState.Connection, withSecrets: Bool) -> [String: Any] {
        func endpoint(_ host: String) -> [String: Any] {
            var json: [String: Any] = ["host": host, "port": 5432]
            if withSecrets {
                json["connectionString"] = "postgres://\(connection.user):\(connection.password)@\(host):5432/postgres?sslmode=require"
            }
            return json
        }
        var json: [String: Any] = [
            "id": "con_" + connection.id, "type": "connection",
            "url": "\(baseURL())/v1/connections/con_\(connection.id)", "name": connection.name,
            "createdAt": Timestamp.string(connection.createdAt), "kind": "postgres",
            "endpoints": ["direct": endpoint("db.sandbox.invalid"), "pooled": endpoint("pooled.sandbox.invalid")],
            "database": databaseRef(project),
        ]
        json["directConnection"] = withSecrets
            ? ["host": "db.sandbox.invalid:5432", "user": connection.user, "pass": connection.password] as [String: Any]
            : JSONBody.null
        return json
    }

    /// A connection as the answers that issue credentials give it (create connection, rotate):
    /// with secrets and the deprecated top-level `connectionString`, `host`, `user`, `pass`.
    func issuedConnectionJSON(_ project: EmulatorState.Project, _ connection: EmulatorState.Connection) -> [String: Any] {
        var json = connectionJSON(project, connection, withSecrets: true)
        let direct = (json["endpoints"] as? [String: Any])?["direct"] as? [String: Any]
        json["connectionString"] = direct?["connectionString"] ?? ""
        json["host"] = "db.sandbox.invalid"
        json["user"] = connection.user
        json["pass"] = connection.password
        return json
    }

    /// The database as listed (no secrets).
    func databaseJSON(_ project: EmulatorState.Project) -> [String: Any] {
        let database = project.database
        let regionName = ManagementRoutes.regions.first { $0.id == project.region }?.name ?? project.region
        return [
            "id": "db_" + database.id, "type": "database", "url": "\(baseURL())/v1/databases/db_\(database.id)",
            "name": database.name, "status": database.status(at: state.now), "createdAt": Timestamp.string(database.createdAt),
            "isDefault": true, "defaultConnectionId": database.defaultConnectionID.map { "con_" + $0 } ?? JSONBody.null,
            "connections": database.connections.map { connectionJSON(project, $0, withSecrets: false) },
            "project": ["id": "proj_" + project.id, "url": "\(baseURL())/v1/projects/proj_\(project.id)", "name": project.name],
            "region": ["id": project.region, "name": regionName], "source": ["type": "empty"], "branchId": JSONBody.null,
        ]
    }

    /// The database of a create response, the only place its password appears.
    func createdDatabaseJSON(_ project: EmulatorState.Project) -> [String: Any] {
        var json = databaseJSON(project)
        json["connections"] = [connectionJSON(project, project.database.connections[0], withSecrets: true)]
        json.removeValue(forKey: "project")
        json["source"] = JSONBody.null
        json["apiKeys"] = []
        json["connectionString"] = JSONBody.null
        json["directConnection"] = JSONBody.null
        return json
    }

    static func parseDateTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func startOfDay(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }

    static func startOfMonth(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? startOfDay(date)
    }

    /// A hash that is the same in every process (Swift's `Hasher` is seeded per process), so a
    /// database's made-up usage does not change between runs.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// Prisma's `^[a-z0-9][-_a-z0-9]*$` for a logicalId, checked by bytes (a regular expression
    /// cost every create tens of microseconds).
    static func isLogicalID(_ text: String) -> Bool {
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard let first = text.utf8.first, alphanumeric(first) else { return false }
        return text.utf8.allSatisfy { alphanumeric($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Accepts an id with or without its prefix (as Prisma does); nil when it cannot be one.
    static func bareID(_ raw: String?, prefix: String) -> String? {
        guard var id = raw, !id.isEmpty else { return nil }
        if id.hasPrefix(prefix) { id.removeFirst(prefix.count) }
        guard id.range(of: "^([cC][^\\s-]{8,}|[a-z0-9]+)$", options: .regularExpression) != nil else { return nil }
        return id
    }
}
