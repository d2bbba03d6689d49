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
                detail: "Prisma could not be reached right now; the grant is unchanged. Retry.", headers: ["Retry-After": "5"])
        }
    }
}

/// Partner operations on connected accounts (the grants of users who claimed a database).
struct AccountService: Sendable {
    let database: Database
    let tokens: AccountTokens
    /// Revokes users' grants at Prisma; nil when no OAuth client is configured.
    var revoker: GrantRevoker?

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

    /// `DELETE /v1/accounts/{id}`: revokes the grant at Prisma, then forgets it.
    ///
    /// Forgetting alone would leave a `workspace:admin` grant valid at Prisma for its lifetime (90
    /// days). If Prisma cannot be reached, nothing is forgotten (503, retry); a grant that no longer
    /// works there (revoked, expired) is simply forgotten.
    func delete(_ id: String) async throws {
        guard let account = try await database.read({ try AccountsRepository.find(id, in: $0) }) else { throw AccountError.notFound }
        if let revoker, account.status == "active" {
            switch try await tokens.accessToken(accountID: id) {
            case .token(let token, _):
                do {
                    try await revoker.revoke(workspaceID: account.workspaceId, token: token)
                } catch where error.kind == .notFound || error.kind == .unauthorized {
                    // Already gone at Prisma.
                } catch {
                    throw AccountError.upstreamUnavailable
                }
            case .needsReauth, .notFound:
                break  // the grant no longer works at Prisma: nothing to revoke
            case .unavailable:
                throw AccountError.upstreamUnavailable
            }
        }
        guard try await database.write({ try AccountsRepository.delete(id, in: $0) }) else { throw AccountError.notFound }
    }
}

/// Revokes a user's grant to our OAuth client at Prisma, with the user's own token
/// (`DELETE /v1/workspaces/{workspaceId}/integrations/{clientId}`).
struct GrantRevoker: Sendable {
    let management: ManagementClient
    let clientID: String

    func revoke(workspaceID: String, token: Secret) async throws(PrismaError) {
        try await management.revokeIntegration(workspaceID: workspaceID, clientID: clientID, token: token)
    }
}
