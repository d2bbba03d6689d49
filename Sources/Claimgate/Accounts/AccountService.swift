import Foundation
import HTTPServer
import PrismaAPI
import Storage

/// Partner operations on connected accounts (the grants of users who claimed a database).
struct AccountService: Sendable {
    let database: Database
    let tokens: AccountTokens

    static let notFound = ProblemDetails(status: 404, code: "account-not-found", title: "Not Found", detail: "No account with this id.")

    /// `GET /v1/accounts?reference=`.
    func list(reference: String?) async -> APIReply {
        guard let rows = try? await database.read({ try AccountsRepository.list(reference: reference, in: $0) }) else {
            return .problem(ProblemDetails(status: 503, code: "storage-unavailable", title: "Service Unavailable"))
        }
        let data = rows.map { AccountView(account: $0.0, databases: $0.databases, createdAt: $0.created) }
        return APIReply(status: 200, body: JSON.encode(ListBody(data: data)))
    }

    /// `POST /v1/accounts/{id}/access-token`: a valid access token, refreshed when needed.
    func accessToken(_ id: String) async -> APIReply {
        switch await tokens.accessToken(accountID: id) {
        case .token(let token, let expiresAt):
            let body: [String: JSONValue] = [
                "accessToken": .string(token.value), "tokenType": .string("Bearer"),
                "expiresAt": expiresAt.map { .string(Timestamp.string(milliseconds: $0)) } ?? .null,
            ]
            return APIReply(status: 200, body: JSON.encode(body), headers: ["Cache-Control": "no-store"])
        case .notFound:
            return .problem(AccountService.notFound)
        case .needsReauth:
            return .problem(ProblemDetails(
                status: 409, code: "needs-reauth", title: "Conflict",
                detail: "The user's Prisma grant was revoked or expired. Ask the user to sign in again (claim or reconnect)."))
        case .unavailable:
            return .problem(ProblemDetails(
                status: 503, code: "upstream-unavailable", title: "Service Unavailable",
                detail: "Prisma could not refresh the token right now; the grant is unchanged. Retry."), headers: ["Retry-After": "5"])
        }
    }

    /// `DELETE /v1/accounts/{id}`: forgets the grant.
    func delete(_ id: String) async -> APIReply {
        guard let deleted = try? await database.write({ try AccountsRepository.delete(id, in: $0) }) else {
            return .problem(ProblemDetails(status: 503, code: "storage-unavailable", title: "Service Unavailable"))
        }
        return deleted ? APIReply(status: 204, body: []) : .problem(AccountService.notFound)
    }
}
