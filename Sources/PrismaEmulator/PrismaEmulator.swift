import Crypto
import Foundation
import HTTPServer
import Synchronization
import Timestamps

/// An offline, faithful stand-in for Prisma: the Management API and the OAuth server in one HTTP
/// server, with the exact JSON shapes of Prisma's OpenAPI document, workspace isolation, and
/// scripted faults. Used by the tests, by sandbox mode, and by partners' own CI
/// (`claimgate emulator --port N`).
///
/// Control endpoints (no auth; bind it to loopback): `GET /__emulator/calls`,
/// `POST /__emulator/faults` (a ``Fault`` as JSON), `DELETE /__emulator/faults`,
/// `POST /__emulator/clock` (`{"advanceSeconds": N}`), `GET /__emulator/projects`,
/// `GET`/`POST /__emulator/behaviour` (``EmulatorBehaviour`` as JSON, partial on POST),
/// `GET /__emulator/rate-limit`, `GET /__emulator/integration-revocations`,
/// `POST /__emulator/connection-check` (`{"connectionString": …}` → `{"valid": …}`) and
/// `POST /__emulator/usage` (`{"databaseId", "operations", "storageGiB"}`).
public final class PrismaEmulator: Sendable {
    public let configuration: EmulatorConfiguration
    let state: EmulatorState
    private let server = Mutex<MicroHTTPServer?>(nil)
    private let base = Mutex<String>("http://127.0.0.1")

    public init(configuration: EmulatorConfiguration = EmulatorConfiguration()) {
        self.configuration = configuration
        self.state = EmulatorState(configuration: configuration)
    }

    /// Starts serving on `host:port` (port 0 picks one); returns the base URL.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws -> String {
        try configuration.behaviour.validate()
        let router = makeRouter()
        let server = MicroHTTPServer(
            configuration: ServerConfiguration(host: host, port: port, threadPoolSize: 1, connectionLimit: 2048,
                                               maxBodyBytes: 1 << 20, handlerTimeout: .seconds(120)),
            handler: router)
        try server.start()
        let printableHost = host.contains(":") ? "[\(host)]" : (host.isEmpty || host == "0.0.0.0" ? "127.0.0.1" : host)
        let url = "http://\(printableHost):\(server.port)"
        base.withLock { $0 = url }
        self.server.withLock { $0 = server }
        return url
    }

    public func stop() async {
        let running = server.withLock { server -> MicroHTTPServer? in
            defer { server = nil }
            return server
        }
        await running?.stop()
    }

    /// The base URL (for both the API and the OAuth endpoints).
    public var baseURL: String { base.withLock { $0 } }
    public var port: UInt16 { server.withLock { $0?.port ?? 0 } }

    // MARK: Test controls

    /// Calls received for a route key such as `"POST /v1/projects"` (faulted calls included).
    public func callCount(_ route: String) -> Int { state.data.withLock { $0.calls[route] ?? 0 } }

    /// Every route key with its call count.
    public var calls: [String: Int] { state.data.withLock { $0.calls } }

    public func inject(_ fault: Fault) { state.data.withLock { $0.faults.append(fault) } }

    public func clearFaults() { state.data.withLock { $0.faults.removeAll() } }

    /// Moves the emulator's clock forward (codes and access tokens expire by it).
    public func advanceClock(by duration: Duration) { state.data.withLock { $0.clockOffset += duration.seconds } }

    /// Every project as (prefixed id, prefixed owning workspace id, logicalId).
    public var projects: [(id: String, workspaceID: String, logicalId: String?)] {
        state.data.withLock { $0.projects.map { ("proj_" + $0.id, "wksp_" + $0.workspaceID, $0.logicalId) } }
    }

    // MARK: Behaviours (see EmulatorBehaviour)

    /// The switches in force now.
    public var behaviour: EmulatorBehaviour { state.data.withLock { $0.behaviour } }

    /// Changes switches at run time, e.g. `try emulator.updateBehaviour { $0.meAbsent = true }`.
    /// Nothing changes when the result is invalid.
    public func updateBehaviour(_ change: (inout EmulatorBehaviour) -> Void) throws(InvalidBehaviour) {
        // Read, change and write under one lock, so concurrent updates of different switches
        // (tests running in parallel against one emulator) do not undo each other.
        try state.data.withLock { (data) throws(InvalidBehaviour) in
            var updated = data.behaviour
            change(&updated)
            try updated.validate()
            // A changed rate limit starts every workspace with a full bucket.
            if data.behaviour.rateLimit != updated.rateLimit { data.buckets.removeAll() }
            data.behaviour = updated
        }
    }

    /// Replaces every switch (see ``updateBehaviour(_:)``).
    public func setBehaviour(_ behaviour: EmulatorBehaviour) throws(InvalidBehaviour) {
        try updateBehaviour { $0 = behaviour }
    }

    /// Whether `connectionString` would currently let someone in: false once its connection was
    /// rotated or deleted or its project deleted (a transfer keeps it working, as at Prisma).
    public func acceptsConnectionString(_ connectionString: String) -> Bool {
        state.acceptsConnectionString(connectionString)
    }

    /// What the rate limiter saw from a workspace (id with or without `wksp_`), whether or not a
    /// limit is switched on.
    public func rateLimitRecord(workspaceID: String) -> RateLimitRecord {
        let id = workspaceID.hasPrefix("wksp_") ? String(workspaceID.dropFirst(5)) : workspaceID
        return state.data.withLock { $0.rateLimitRecords[id] } ?? RateLimitRecord()
    }

    /// Every integration revocation received, oldest first.
    public var integrationRevocations: [IntegrationRevocation] { state.data.withLock { $0.revocations } }

    /// Fixes what `GET /v1/databases/{id}/usage` reports for a database (id with or without `db_`).
    public func setUsage(databaseID: String, operations: Double, storageGiB: Double) {
        let id = databaseID.hasPrefix("db_") ? String(databaseID.dropFirst(3)) : databaseID
        state.data.withLock { $0.usage[id] = .init(operations: operations, storageGiB: storageGiB) }
    }

    /// A database's status now (`provisioning` or `ready`), or nil when no project has it.
    public func databaseStatus(_ databaseID: String) -> String? {
        let id = databaseID.hasPrefix("db_") ? String(databaseID.dropFirst(3)) : databaseID
        let now = state.now
        return state.data.withLock { $0.projects.first { $0.database.id == id }?.database.status(at: now) }
    }

    /// Every access and refresh token issued so far (for tests that search logs for them).
    public var issuedTokens: [String] {
        state.data.withLock { data in Array(data.accessTokens.keys) + data.grants.values.flatMap { grant in
            Array(grant.retiredRefreshTokens) + (grant.refreshToken.map { [$0] } ?? [])
        } }
    }

    // MARK: Assembly

    func makeRouter() -> Router {
        var router = Router(problemTypePrefix: "urn:prisma-emulator:problem:")
        let wrap: (String, @escaping Router.Handler) -> Router.Handler = { [state] key, handler in
            { request in try await PrismaEmulator.run(key, request, state: state, handler) }
        }
        ManagementRoutes(state: state, baseURL: { [unowned self] in self.baseURL }).register(in: &router, wrap: wrap)
        OAuthRoutes(state: state, signingKey: SymmetricKey(size: .bits256)).register(in: &router, wrap: wrap)
        ControlRoutes(emulator: self).register(in: &router)
        router.get("/upgrade/:workspaceId") { request in
            // The upgradeUrl of subscriptions and plan-limit errors; the real one is Prisma's Console.
            let workspace = ConsentPage.escape(request.pathParameters["workspaceId"] ?? "")
            return .html(ConsentPage.page(title: "Upgrade plan", body: """
                <p class="badge">Prisma emulator · sandbox</p><h1>Upgrade plan</h1>
                <p>Workspace <code>\(workspace)</code>. Plans are not sold in the sandbox: at Prisma this
                link opens the Console's billing page.</p>
                """))
        }
        router.get("/.well-known/oauth-authorization-server") { [unowned self] _ in
            let url = self.baseURL
            return JSONBody.response([
                "issuer": url, "authorization_endpoint": url + "/authorize", "token_endpoint": url + "/token",
                "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["workspace:admin", "offline_access"],
            ])
        }
        return router
    }

    /// Counts the call, applies any scripted fault, and runs the real handler when the fault allows.
    static func run(_ key: String, _ request: HTTPRequest, state: EmulatorState, _ handler: Router.Handler) async throws -> HTTPResponse {
        let fault: Fault? = state.data.withLock { data in
            data.calls[key, default: 0] += 1
            guard let index = data.faults.firstIndex(where: { $0.route == key && $0.times > 0 }) else { return nil }
            data.faults[index].times -= 1
            let fault = data.faults[index]
            if fault.times == 0 { data.faults.remove(at: index) }
            return fault
        }
        guard let fault else { return try await handler(request) }
        // With afterApply the change happens first; the delay and the failure hit only the answer.
        let applied = fault.afterApply ? try await handler(request) : nil
        if let latency = fault.latencyMs, latency > 0 { try? await Task.sleep(for: .milliseconds(latency)) }
        guard fault.status != nil || fault.drop else {
            if let applied { return applied }
            return try await handler(request)
        }
        if fault.drop { throw AbortConnection() }
        let status = fault.status ?? 500
        var response = JSONBody.error(
            status, status == 429 ? "rate-limit-exceeded" : (status >= 500 ? "internal-server-error" : "injected-fault"),
            "Injected fault (\(status)) from the Prisma emulator.")
        if let retryAfter = fault.retryAfterSeconds { response.headers.set("Retry-After", String(retryAfter)) }
        return response
    }
}

/// `/__emulator/...`: counters, faults and the clock over HTTP, for tests that run Claimgate as a
/// separate process and for partners' CI.
struct ControlRoutes {
    let emulator: PrismaEmulator

    func register(in router: inout Router) {
        router.get("/__emulator/calls") { [emulator] _ in JSONBody.response(emulator.calls) }
        router.post("/__emulator/faults") { [emulator] request in
            guard let fault = try? JSONDecoder().decode(Fault.self, from: Data(request.body)) else {
                return JSONBody.error(400, "validation-error", "Body must be a fault: {\"route\":\"POST /v1/projects\",\"status\":500,\"times\":1}.")
            }
            emulator.inject(fault)
            return HTTPResponse(status: 204)
        }
        router.delete("/__emulator/faults") { [emulator] _ in
            emulator.clearFaults()
            return HTTPResponse(status: 204)
        }
        router.post("/__emulator/clock") { [emulator] request in
            guard let seconds = JSONBody.object(request)?["advanceSeconds"] as? Double, seconds >= 0 else {
                return JSONBody.error(400, "validation-error", "Body must be {\"advanceSeconds\": N}.")
            }
            emulator.advanceClock(by: .milliseconds(Int64(seconds * 1000)))
            return HTTPResponse(status: 204)
        }
        router.get("/__emulator/projects") { [emulator] _ in
            JSONBody.response(["data": emulator.projects.map {
                ["id": $0.id, "workspaceId": $0.workspaceID, "logicalId": $0.logicalId ?? JSONBody.null] as [String: Any]
            }])
        }
        router.get("/__emulator/behaviour") { [emulator] _ in ControlRoutes.behaviourResponse(emulator.behaviour) }
        router.post("/__emulator/behaviour") { [emulator] request in
            let body = request.body.isEmpty ? Data("{}".utf8) : Data(request.body)
            guard (try? EmulatorBehaviour.decode(body, over: EmulatorBehaviour())) != nil else {
                return JSONBody.error(400, "validation-error", "Body must be a JSON object of behaviour keys (see GET /__emulator/behaviour).")
            }
            do throws(InvalidBehaviour) {
                // Decoded over the current switches inside the update, so keys not given stay as they are.
                try emulator.updateBehaviour { behaviour in
                    behaviour = (try? EmulatorBehaviour.decode(body, over: behaviour)) ?? behaviour
                }
            } catch {
                return JSONBody.error(400, "validation-error", error.reason)
            }
            return ControlRoutes.behaviourResponse(emulator.behaviour)
        }
        router.get("/__emulator/rate-limit") { [emulator] _ in
            let records = emulator.state.data.withLock { $0.rateLimitRecords }
            var json: [String: Any] = [:]
            for (workspace, record) in records {
                json["wksp_" + workspace] = [
                    "calls": record.calls.map { Timestamp.string($0) }, "rejected": record.rejected,
                    "callsInsideRetryAfter": record.callsInsideRetryAfter,
                    "retryAfterUntil": record.retryAfterUntil.map { Timestamp.string($0) } ?? JSONBody.null,
                ] as [String: Any]
            }
            return JSONBody.response(json)
        }
        router.get("/__emulator/integration-revocations") { [emulator] _ in
            JSONBody.response(["data": emulator.integrationRevocations.map {
                [
                    "workspaceId": $0.workspaceID, "clientId": $0.clientID, "status": $0.status,
                    "revokedGrants": $0.revokedGrants, "at": Timestamp.string($0.at),
                ] as [String: Any]
            }])
        }
        // POST, not GET with a query: a connection string carries a password, which belongs in no URL.
        router.post("/__emulator/connection-check") { [emulator] request in
            guard let text = JSONBody.object(request)?["connectionString"] as? String else {
                return JSONBody.error(400, "validation-error", "Body must be {\"connectionString\": \"postgres://…\"}.")
            }
            return JSONBody.response(["valid": emulator.acceptsConnectionString(text)])
        }
        router.post("/__emulator/usage") { [emulator] request in
            let body = JSONBody.object(request)
            guard let database = body?["databaseId"] as? String, let operations = (body?["operations"] as? NSNumber)?.doubleValue,
                  let storage = (body?["storageGiB"] as? NSNumber)?.doubleValue, operations >= 0, storage >= 0 else {
                return JSONBody.error(400, "validation-error", "Body must be {\"databaseId\": \"db_…\", \"operations\": N, \"storageGiB\": N}.")
            }
            emulator.setUsage(databaseID: database, operations: operations, storageGiB: storage)
            return HTTPResponse(status: 204)
        }
    }

    static func behaviourResponse(_ behaviour: EmulatorBehaviour) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(behaviour.json.utf8))
    }
}
