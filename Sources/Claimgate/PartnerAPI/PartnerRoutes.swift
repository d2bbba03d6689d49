import Foundation
import HTTPServer
import Storage
import Timestamps
import JSONValues

/// The partner API under `/v1`: wire formats in and out. Authentication and error translation are
/// middleware around every route; the services below return domain values and throw domain errors.
struct PartnerRoutes {
    let service: ProvisioningService
    let claims: ClaimService
    let accounts: AccountService
    let authenticator: PartnerAuthenticator
    let storageFaults: StorageFaults
    let openAPIDocument: [UInt8]?
    /// How long a rendered `GET /v1/databases/{id}` may be reused while nothing is written.
    var readCacheMaxAge: Duration = .seconds(1)

    func register(in router: inout Router) {
        let chain: [any HTTPMiddleware] = [PartnerErrorMiddleware(storageFaults: storageFaults), PartnerAuthentication(authenticator: authenticator)]
        let signedChain: [any HTTPMiddleware] = [
            PartnerErrorMiddleware(storageFaults: storageFaults), PartnerAuthentication(authenticator: authenticator, acceptsSignedCalls: true),
        ]
        // Authentication and parsing then run where the create will (see `preferredExecutor`).
        router.post("/v1/databases", middleware: signedChain, executor: { [service] _ in service.preferredExecutor }) { request in
            let principal = try request.principal.orThrow()
            let key = try idempotencyKey(request, principal)
            let respondAsync = request.headers.values("Prefer").contains { value in
                value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async" }
            }
            switch try await service.create(body: request.body, principal: principal.id, idempotencyKey: key, respondAsync: respondAsync) {
            case .created(let id, let body):
                return json(body, status: 201, extra: ["Location": "/v1/databases/\(id)"])
            case .replayed(let status, let body):
                var headers: HTTPHeaders = ["Idempotent-Replayed": "true"]
                if status >= 400 { headers.set("Content-Type", "application/problem+json") }
                return json(body, status: status, extra: headers)
            case .settled(let record):
                return json(DatabaseView(record).bytes)
            case .accepted(let record, let idempotencyKey):
                var headers: HTTPHeaders = [
                    "Location": "/v1/databases/\(record.id)", "Retry-After": "5", "Idempotency-Key": idempotencyKey,
                ]
                if respondAsync { headers.set("Preference-Applied", "respond-async") }
                return json(DatabaseView(record).bytes, status: 202, extra: headers)
            }
        }
        router.get("/v1/databases", middleware: chain) { request in
            for name in ["status", "reference", "limit", "cursor"] where request.queryValues(name).count > 1 {
                throw ProvisioningError.invalidQuery(name, "must be given once.")
            }
            let page = try await service.list(
                status: request.queryValue("status"), reference: request.queryValue("reference"),
                limit: request.queryValue("limit"), cursor: request.queryValue("cursor"))
            return json(ListBody(data: page.records.map { DatabaseView($0) }, nextCursor: .some(page.nextCursor), hasMore: page.hasMore).json)
        }
        // The hottest partner call, answered on the polling thread when it is a plain success (a
        // valid API key, a row read inline or an answer still current); anything else takes the
        // full path, which reports it.
        let recent = RecentReads(database: service.database, maxAge: readCacheMaxAge)
        router.get("/v1/databases/:id", middleware: chain, inline: { [service, authenticator] request in
            guard authenticator.acceptsAPIKey(request), let id = request.pathParameters["id"] else { return nil }
            if let body = recent.body(for: id) { return json(body) }
            let changeCount = recent.changeCount
            guard let record = service.getInline(id, logger: request.logger) else { return nil }
            let body = DatabaseView(record).bytes
            recent.store(body, for: id, readAfter: changeCount)
            return json(body)
        }) { request in
            json(DatabaseView(try await service.get(request.pathParameters["id"] ?? "")).bytes)
        }
        router.delete("/v1/databases/:id", middleware: chain) { request in
            json(DatabaseView(try await service.delete(request.pathParameters["id"] ?? "")).bytes)
        }
        router.get("/v1/databases/:id/usage", middleware: chain) { request in
            json(JSON.encode(try await service.usage(request.pathParameters["id"] ?? "")))
        }
        router.post("/v1/databases/:id/claim-url", middleware: chain) { request in
            let issued = try await claims.reissue(databaseID: request.pathParameters["id"] ?? "")
            return json(JSON.encode([
                "claimUrl": issued.url, "expiresAt": Timestamp.string(milliseconds: issued.expiresAt),
            ]), status: 201)
        }
        router.post("/v1/databases/:id/extend", middleware: chain) { request in
            guard let object = JSON.parse(request.body)?.object, object.keys.allSatisfy({ $0 == "ttlSeconds" }),
                  let seconds = object["ttlSeconds"]?.integer else {
                throw ProvisioningError.invalidBody("ttlSeconds", "must be an integer of at least 60 (the only field).")
            }
            return json(DatabaseView(try await service.extend(request.pathParameters["id"] ?? "", seconds: seconds)).bytes)
        }
        router.get("/v1/events", middleware: chain) { request in
            let after = request.queryValue("after")
            let (events, hasMore) = try await service.events(after: after, limit: request.queryValue("limit"))
            // Payloads are stored as the JSON we deliver: splice them in as they are.
            let nextAfter = events.last?.id ?? after
            let tail = String(decoding: JSON.encode(["hasMore": JSONValue.bool(hasMore),
                                                     "nextAfter": nextAfter.map { .string($0) } ?? .null]), as: UTF8.self)
            return json(Array(("{\"data\":[" + events.map(\.payload).joined(separator: ",") + "]," + tail.dropFirst()).utf8))
        }
        router.get("/v1/accounts", middleware: chain) { request in
            let rows = try await accounts.list(reference: request.queryValue("reference"))
            return json(ListBody(data: rows.map { AccountView(account: $0.account, databases: $0.databases, createdAt: $0.created) }).json)
        }
        router.post("/v1/accounts/:id/access-token", middleware: chain) { request in
            let (token, expiresAt) = try await accounts.accessToken(request.pathParameters["id"] ?? "")
            let body: [String: JSONValue] = [
                "accessToken": .string(token.value), "tokenType": .string("Bearer"),
                "expiresAt": expiresAt.map { .string(Timestamp.string(milliseconds: $0)) } ?? .null,
            ]
            return json(JSON.encode(body))
        }
        router.delete("/v1/accounts/:id", middleware: chain) { request in
            try await accounts.delete(request.pathParameters["id"] ?? "")
            return HTTPResponse(status: 204, headers: ["Cache-Control": "no-store"])
        }
        router.get("/v1/regions", middleware: chain) { _ in
            json(ListBody(encoding: await service.regionList()).json)
        }
        if let openAPIDocument {
            router.addImmediate("GET", "/openapi.json") { _ in .json(openAPIDocument) }
        }
    }

    /// `Idempotency-Key` (1–255 visible ASCII characters; a Structured-Field string in quotes is
    /// accepted too), or the `webhook-id` of a signed call.
    func idempotencyKey(_ request: HTTPRequest, _ principal: PartnerPrincipal) throws(ProblemDetails) -> String? {
        let values = request.headers.values("Idempotency-Key")
        guard !values.isEmpty else { return principal.webhookID }
        var key = values[0].trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
        guard values.count == 1, (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ProblemDetails(
                status: 400, code: "invalid-idempotency-key", title: "Bad Request",
                detail: "Idempotency-Key must be one value of 1 to 255 visible ASCII characters.")
        }
        return key
    }

    /// A JSON answer that no cache keeps (every partner answer is about live state or secrets).
    func json(_ body: [UInt8], status: Int = 200, extra: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = extra
        if !headers.contains("Content-Type") { headers.set("Content-Type", "application/json") }
        headers.set("Cache-Control", "no-store")
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

extension Optional where Wrapped == PartnerPrincipal {
    /// The principal, which ``PartnerAuthentication`` always sets before a partner route runs.
    func orThrow() throws -> PartnerPrincipal {
        guard let self else { throw ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized") }
        return self
    }
}
