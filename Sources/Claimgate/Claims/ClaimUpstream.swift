import Foundation
import PrismaAPI
import Secrets

/// What the claim flow needs from Prisma, as a protocol so the domain logic can be tested without
/// sockets.
public protocol ClaimUpstream: Sendable {
    func authorizationURL(redirectURI: String, state: Secret, codeChallenge: String) -> URL
    func exchange(code: Secret, verifier: Secret, redirectURI: String) async throws(PrismaError) -> OAuthTokens
    func me(token: Secret) async throws(PrismaError) -> Principal
    /// Transfers with the partner's service token to the workspace of `recipient`.
    func transfer(projectID: String, recipient: Secret) async throws(PrismaError)
    /// The project as the user sees it (visible once it moved into their workspace).
    func project(id: String, token: Secret) async throws(PrismaError) -> Project
}

/// ``ClaimUpstream`` over the Prisma clients.
public struct PrismaClaimUpstream: ClaimUpstream {
    let management: ManagementClient
    let oauth: OAuthClient
    let serviceToken: Secret
    static let scope = "workspace:admin offline_access"

    public init(management: ManagementClient, oauth: OAuthClient, serviceToken: Secret) {
        self.management = management
        self.oauth = oauth
        self.serviceToken = serviceToken
    }

    public func authorizationURL(redirectURI: String, state: Secret, codeChallenge: String) -> URL {
        oauth.authorizationURL(redirectURI: redirectURI, scope: PrismaClaimUpstream.scope, state: state, codeChallenge: codeChallenge)
    }
    public func exchange(code: Secret, verifier: Secret, redirectURI: String) async throws(PrismaError) -> OAuthTokens {
        try await oauth.exchangeCode(code, codeVerifier: verifier, redirectURI: redirectURI)
    }
    public func me(token: Secret) async throws(PrismaError) -> Principal { try await management.me(token: token) }
    public func transfer(projectID: String, recipient: Secret) async throws(PrismaError) {
        try await management.transferProject(id: projectID, recipientAccessToken: recipient, token: serviceToken)
    }
    public func project(id: String, token: Secret) async throws(PrismaError) -> Project {
        try await management.getProject(id: id, token: token)
    }
}
