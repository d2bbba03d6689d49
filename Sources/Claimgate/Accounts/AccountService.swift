import Foundation
import HTTPServer
import PrismaAPI
import Secrets
import Storage

/// Why an operation on a connected account did not happen.
public enum AccountError: Error, Sendable, Equatable {
    case notFound
    /// The user's grant was revoked or expired: they must sign in again.
    case needsReauth
    /// Prisma could not refresh the token; the stored grant is unchanged.
    case upstreamUnavailable
}

extension AccountError: ProblemConvertible {
    var problem: ProblemDetails {
        switch self {
        case .notFound:
            return ProblemDetails(status: 404, code: "account-not-found", title: "Not Found", detail: "No account with this id.")
        case .needsReauth:
            return ProblemDetails(
                status: 409, code: "needs-reauth", title: "Conflict",
                detail: "The user's Prisma grant was revoked or expired. Ask the user to sign in again (claim or reconnect).")
        case .upstreamUnavailable:
            return ProblemDetails(
                status: 503, code: "upstream-unavailable", title: "Service Unavailable",
                detail: "Prisma could not refresh the token right now; the grant is unchanged. Retry.", headers: ["Retry-After": "5"])
        }
    }
}

/// Partner operations on connected accounts (the grants of users who claimed a database).
struct AccountService: Sendable {
    let database: Database
    let tokens: AccountTokens

    /// `GET /v1/accounts?reference=`.
    func list(reference: String?) async throws -> [(account: AccountRecord, databases: [String], created: Int64)] {
        try await database.read { try AccountsRepository.list(reference: reference, in: $0) }
            .map { (account: $0.0, databases: $0.databases, created: $0.created) }
    }

    /// `POST /v1/accounts/{id}/access-token`: a valid access token, refreshed when needed.
    func accessToken(_ id: String) async throws -> (Secret, expiresAt: Int64?) {
        switch try await tokens.accessToken(accountID: id) {
        case .token(let token, let expiresAt): return (token, expiresAt)
        case .notFound: throw AccountError.notFound
        case .needsReauth: throw AccountError.needsReauth
        case .unavailable: throw AccountError.upstreamUnavailable
        }
    }

    /// `DELETE /v1/accounts/{id}`: forgets the grant.
    func delete(_ id: String) async throws {
        guard try await database.write({ try AccountsRepository.delete(id, in: $0) }) else { throw AccountError.notFound }
    }
}
