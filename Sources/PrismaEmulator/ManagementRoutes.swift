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
        router.post("/v1/projects", wrap("POST /v1/projects", createProject))
        router.get("/v1/projects", wrap("GET /v1/projects", listProjects))
        router.get("/v1/projects/:id", wrap("GET /v1/projects/:id", getProject))
        router.delete("/v1/projects/:id", wrap("DELETE /v1/projects/:id", deleteProject))
        router.post("/v1/projects/:id/transfer", wrap("POST /v1/projects/:id/transfer", transferProject))
        router.get("/v1/projects/:id/databases", wrap("GET /v1/projects/:id/databases", listDatabases))
        router.post("/v1/databases/:id/connections", wrap("POST /v1/databases/:id/connections", createConnection))
        router.get("/v1/regions/postgres", wrap("GET /v1/regions/postgres", regions))
        router.get("/v1/me", wrap("GET /v1/me", me))
        router.get("/v1/workspaces", wrap("GET /v1/workspaces", workspaces))
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
        if let logicalId, logicalId.range(of: "^[a-z0-9][-_a-z0-9]*$", options: .regularExpression) == nil {
            return JSONBody.error(400, "validation-error", "logicalId must match ^[a-z0-9][-_a-z0-9]*$.")
        }
        let now = state.now
        let created: EmulatorState.Project? = state.data.withLock { data in
            if let logicalId, data.projects.contains(where: { $0.workspaceID == caller.workspaceID && $0.logicalId == logicalId }) {
                return nil
            }
            let projectName = name ?? Timestamp.string(now)
            let project = EmulatorState.Project(
                id: EmulatorState.newID(), name: projectName, logicalId: logicalId, createdAt: now, region: region,
                workspaceID: caller.workspaceID,
                database: .init(
                    id: EmulatorState.newID(), name: projectName, createdAt: now,
                    connections: [.make(name: "Default", at: now)]))
            data.projects.append(project)
            return project
        }
        guard let created else {
            return JSONBody.error(409, "conflict", "A project with this logicalId already exists in the workspace.")
        }
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
        let visible = state.data.withLock { data in
            data.projects.filter { $0.workspaceID == caller.workspaceID && (logicalId == nil || $0.logicalId == logicalId) }
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
        let removed = state.data.withLock { data -> Bool in
            guard let index = data.projects.firstIndex(where: { $0.id == id && $0.workspaceID == caller.workspaceID }) else {
                return false
            }
            data.projects.remove(at: index)
            return true
        }
        return removed ? HTTPResponse(status: 204) : JSONBody.notFound("Project")
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
        let moved = state.data.withLock { data -> Bool in
            guard let index = data.projects.firstIndex(where: { $0.id == id && $0.workspaceID == caller.workspaceID }),
                  data.projects[index].workspaceID != recipientWorkspace else { return false }
            data.projects[index].workspaceID = recipientWorkspace
            return true
        }
        guard moved else {
            return JSONBody.error(409, "conflict", "The project cannot be transferred in its current state.",
                                  hint: "The recipient workspace already owns this project.")
        }
        return HTTPResponse(status: 204)
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
            data.projects[index].database.connections.append(connection)
            return (data.projects[index], connection)
        }
        guard let (project, connection) = result else { return JSONBody.notFound("Database") }
        var json = connectionJSON(project, connection, withSecrets: true)
        let direct = (json["endpoints"] as? [String: Any])?["direct"] as? [String: Any]
        json["connectionString"] = direct?["connectionString"] ?? ""
        json["host"] = "db.sandbox.invalid"
        json["user"] = connection.user
        json["pass"] = connection.password
        return JSONBody.response(["data": json])
    }

    func regions(_ request: HTTPRequest) async -> HTTPResponse {
        guard caller(request) != nil else { return JSONBody.unauthorized }
        return JSONBody.response(["data": ManagementRoutes.regions.map {
            ["id": $0.id, "type": "region", "name": $0.name, "status": "available"]
        }])
    }

    func me(_ request: HTTPRequest) async -> HTTPResponse {
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
        let (workspace, created) = state.data.withLock { ($0.workspaces[caller.workspaceID], $0.workspaceCreated[caller.workspaceID]) }
        let items: [[String: Any]] = workspace.map { [[
            "id": "wksp_" + $0.id, "type": "workspace", "url": baseURL() + "/v1/workspaces/wksp_" + $0.id,
            "name": $0.name, "createdAt": Timestamp.string(created ?? state.now),
        ]] } ?? []
        return JSONBody.response(["data": items, "pagination": ["nextCursor": JSONBody.null, "hasMore": false]])
    }

    // MARK: Shapes

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

    /// The database as listed (no secrets).
    func databaseJSON(_ project: EmulatorState.Project) -> [String: Any] {
        let database = project.database
        let regionName = ManagementRoutes.regions.first { $0.id == project.region }?.name ?? project.region
        return [
            "id": "db_" + database.id, "type": "database", "url": "\(baseURL())/v1/databases/db_\(database.id)",
            "name": database.name, "status": "ready", "createdAt": Timestamp.string(database.createdAt),
            "isDefault": true, "defaultConnectionId": "con_" + database.connections[0].id,
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

    /// Accepts an id with or without its prefix (as Prisma does); nil when it cannot be one.
    static func bareID(_ raw: String?, prefix: String) -> String? {
        guard var id = raw, !id.isEmpty else { return nil }
        if id.hasPrefix(prefix) { id.removeFirst(prefix.count) }
        guard id.range(of: "^([cC][^\\s-]{8,}|[a-z0-9]+)$", options: .regularExpression) != nil else { return nil }
        return id
    }
}
