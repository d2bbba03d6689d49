import Foundation
import PrismaAPI
import Secrets

/// What the claim flow needs from Prisma, as a protocol so the domain logic can be tested without
/// sockets.
public protocol ClaimUpstream: Sendable {
    func authorizationURL(redirectURI: String, state: Secret, codeChallenge: String) -> URL
    func exchange(code: Secret, verifier: Secret, redirectURI: String) async throws(PrismaError) -> OAuthTokens
    /// Who signed in and which workspace they chose. Must not depend on one endpoint alone:
    /// `GET /v1/me` was absent from the live API until recently.
    func identity(token: Secret) async throws(PrismaError) -> ClaimIdentity
    /// Transfers with the partner's service token to the workspace of `recipient`.
    func transfer(projectID: String, recipient: Secret) async throws(PrismaError)
    /// The workspace's plan and where to upgrade it, with the user's token.
    func subscription(workspaceID: String, token: Secret) async throws(PrismaError) -> WorkspaceSubscription
    /// Rotates a connection's password, with the (new) owner's token.
    func rotateConnection(id: String, token: Secret) async throws(PrismaError)
    /// Deletes a connection, with the (new) owner's token.
    func deleteConnection(id: String, token: Secret) async throws(PrismaError)
    /// The project as the user sees it (visible once it moved into their workspace).
    func project(id: String, token: Secret) async throws(PrismaError) -> Project
}

/// ``ClaimUpstream`` over the Prisma clients.
public struct PrismaClaimUpstream: ClaimUpstream {
    let management: ManagementClient
    let oauth: OAuthClient
    let serviceToken: Secret
    /// `offline_access` (a refresh token) only when the grant is kept (connected accounts): a
    /// service that throws the tokens away after the transfer should not ask for a lasting grant.
    let scope: String

    public init(management: ManagementClient, oauth: OAuthClient, serviceToken: Secret, offlineAccess: Bool = true) {
        self.management = management
        self.oauth = oauth
        self.serviceToken = serviceToken
        self.scope = offlineAccess ? "workspace:admin offline_access" : "workspace:admin"
    }

    public func authorizationURL(redirectURI: String, state: Secret, codeChallenge: String) -> URL {
        oauth.authorizationURL(redirectURI: redirectURI, scope: scope, state: state, codeChallenge: codeChallenge)
    }
    public func exchange(code: Secret, verifier: Secret, redirectURI: String) async throws(PrismaError) -> OAuthTokens {
        try await oauth.exchangeCode(code, codeVerifier: verifier, redirectURI: redirectURI)
    }
    public func identity(token: Secret) async throws(PrismaError) -> ClaimIdentity {
        do throws(PrismaError) {
            let principal = try await management.me(token: token)
            return ClaimIdentity(userID: principal.user?.id, email: principal.user?.email, workspace: principal.workspace)
        } catch where error.kind == .notFound {
            // No /v1/me: the workspace the user's token lists is the one they chose at sign-in
            // (user-scoped tokens see exactly one); the user's id and email stay unknown.
            return ClaimIdentity(userID: nil, email: nil, workspace: try await management.currentWorkspace(token: token))
        }
    }
    public func transfer(projectID: String, recipient: Secret) async throws(PrismaError) {
        try await management.transferProject(id: projectID, recipientAccessToken: recipient, token: serviceToken)
    }
    public func subscription(workspaceID: String, token: Secret) async throws(PrismaError) -> WorkspaceSubscription {
        try await management.subscription(workspaceID: workspaceID, token: token)
    }
    public func rotateConnection(id: String, token: Secret) async throws(PrismaError) {
        _ = try await management.rotateConnection(id: id, token: token)
    }
    public func deleteConnection(id: String, token: Secret) async throws(PrismaError) {
        try await management.deleteConnection(id: id, token: token)
    }
    public func project(id: String, token: Secret) async throws(PrismaError) -> Project {
        try await management.getProject(id: id, token: token)
    }
}

/// The person behind a claim, as far as Prisma tells.
public struct ClaimIdentity: Sendable, Equatable {
    public var userID: String?
    public var email: String?
    public var workspace: Principal.WorkspaceSummary?

    public init(userID: String?, email: String?, workspace: Principal.WorkspaceSummary?) {
        self.userID = userID
        self.email = email
        self.workspace = workspace
    }
}
