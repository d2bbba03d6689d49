import Foundation
import HTTPServer
import PrismaAPI

/// The partner API under `/v1`: authentication, idempotency-key checks, and the provisioning
/// operations, every error a problem document.
struct PartnerRoutes {
    let service: ProvisioningService
    let claims: ClaimService
    let accounts: AccountService
    let authenticator: PartnerAuthenticator
    let openAPIDocument: [UInt8]?

    func register(in router: inout Router) {
        router.post("/v1/databases") { request in await authenticated(request) { principal in
            let key: String?
            switch idempotencyKey(request, principal) {
            case .failure(let problem): return problem.response(requestID: request.requestID)
            case .success(let value): key = value
            }
            return reply(await service.create(body: request.body, principal: principal.id, idempotencyKey: key), request)
        } }
        router.get("/v1/databases") { request in await authenticated(request) { _ in
            for name in ["status", "reference", "limit", "cursor"] where request.queryValues(name).count > 1 {
                return ProvisionRequest.invalid(name, "must be given once.").asQuery.response(requestID: request.requestID)
            }
            return reply(await service.list(
                status: request.queryValue("status"), reference: request.queryValue("reference"),
                limit: request.queryValue("limit"), cursor: request.queryValue("cursor")), request)
        } }
        router.get("/v1/databases/:id") { request in await authenticated(request) { _ in
            reply(await service.get(request.pathParameters["id"] ?? ""), request)
        } }
        router.delete("/v1/databases/:id") { request in await authenticated(request) { _ in
            reply(await service.delete(request.pathParameters["id"] ?? ""), request)
        } }
        router.post("/v1/databases/:id/claim-url") { request in await authenticated(request) { _ in
            let id = request.pathParameters["id"] ?? ""
            guard let issued = await claims.reissue(databaseID: id) else {
                let exists = await service.get(id).status == 200
                return (exists
                    ? ProblemDetails(status: 409, code: "not-claimable", title: "Conflict",
                                     detail: "Only a ready (unclaimed, unexpired) database has a claim link.")
                    : ProvisioningService.notFound).response(requestID: request.requestID)
            }
            var response = HTTPResponse.json(JSON.encode([
                "claimUrl": issued.url, "expiresAt": Timestamp.string(milliseconds: issued.expiresAt),
            ]), status: 201)
            response.headers.set("Cache-Control", "no-store")
            return response
        } }
        router.post("/v1/databases/:id/extend") { request in await authenticated(request) { _ in
            reply(await service.extend(request.pathParameters["id"] ?? "", body: request.body), request)
        } }
        router.get("/v1/events") { request in await authenticated(request) { _ in
            reply(await service.events(after: request.queryValue("after"), limit: request.queryValue("limit")), request)
        } }
        router.get("/v1/accounts") { request in await authenticated(request) { _ in
            reply(await accounts.list(reference: request.queryValue("reference")), request)
        } }
        router.post("/v1/accounts/:id/access-token") { request in await authenticated(request) { _ in
            reply(await accounts.accessToken(request.pathParameters["id"] ?? ""), request)
        } }
        router.delete("/v1/accounts/:id") { request in await authenticated(request) { _ in
            reply(await accounts.delete(request.pathParameters["id"] ?? ""), request)
        } }
        router.get("/v1/regions") { request in await authenticated(request) { _ in
            reply(await service.regionList(), request)
        } }
        if let openAPIDocument {
            router.addImmediate("GET", "/openapi.json") { _ in .json(openAPIDocument) }
        }
    }

    func authenticated(_ request: HTTPRequest, _ body: (PartnerPrincipal) async -> HTTPResponse) async -> HTTPResponse {
        do {
            return await body(try authenticator.authenticate(request))
        } catch {
            return ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized", detail: error.detail)
                .response(requestID: request.requestID, headers: ["WWW-Authenticate": "Bearer"])
        }
    }

    /// `Idempotency-Key` (1–255 visible ASCII characters; a Structured-Field string in quotes is
    /// accepted too), or the `webhook-id` of a signed call.
    func idempotencyKey(_ request: HTTPRequest, _ principal: PartnerPrincipal) -> Result<String?, ProblemDetails> {
        let values = request.headers.values("Idempotency-Key")
        guard !values.isEmpty else { return .success(principal.webhookID) }
        var key = values[0].trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
        guard values.count == 1, (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            return .failure(ProblemDetails(
                status: 400, code: "invalid-idempotency-key", title: "Bad Request",
                detail: "Idempotency-Key must be one value of 1 to 255 visible ASCII characters."))
        }
        return .success(key)
    }

    func reply(_ reply: APIReply, _ request: HTTPRequest) -> HTTPResponse {
        if let problem = reply.problem { return problem.response(requestID: request.requestID, headers: reply.headers) }
        var headers = reply.headers
        if !headers.contains("Content-Type") { headers.set("Content-Type", "application/json") }
        headers.set("Cache-Control", "no-store")
        return HTTPResponse(status: reply.status, headers: headers, body: reply.body)
    }
}
