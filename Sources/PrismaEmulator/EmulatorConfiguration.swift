import Foundation

/// Who exists in the emulated Prisma, and how it behaves. The defaults are the sandbox that
/// `claimgate serve` uses without credentials and that `claimgate emulator` prints at start.
public struct EmulatorConfiguration: Sendable {
    /// A sandbox person who can sign in on the consent page.
    public struct User: Sendable {
        public var id: String
        public var email: String
        public var name: String
        /// Workspaces (ids without prefix) this user may pick when authorizing.
        public var workspaces: [Workspace]

        public init(id: String, email: String, name: String, workspaces: [Workspace]) {
            self.id = id
            self.email = email
            self.name = name
            self.workspaces = workspaces
        }
    }

    public struct Workspace: Sendable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// A registered OAuth application.
    public struct Client: Sendable {
        public var id: String
        public var secret: String
        public var name: String
        /// Exact redirect URIs; a loopback one (`localhost`, `127.0.0.1`, `[::1]`) matches any port,
        /// as Prisma allows for development.
        public var redirectURIs: [String]

        public init(id: String, secret: String, name: String, redirectURIs: [String]) {
            self.id = id
            self.secret = secret
            self.name = name
            self.redirectURIs = redirectURIs
        }
    }

    /// The partner's workspace and its service token.
    public var partnerWorkspace = Workspace(id: "cmsandboxpartner0000000001", name: "Sandbox Partner")
    public var serviceToken = "sandbox-service-token"
    public var clients = [
        Client(
            id: "sandbox-client", secret: "sandbox-client-secret", name: "Claimgate Sandbox",
            redirectURIs: ["http://localhost/oauth/callback", "http://127.0.0.1/oauth/callback"]),
    ]
    /// The OAuth callback URLs API clients use by default, as Prisma's API-clients guide registers
    /// them: Postman ("Authorize using browser"), Insomnia and Yaak. `claimgate emulator
    /// --api-clients` registers them, so the code flow can be tried from those tools.
    public static let apiClientRedirectURIs = [
        "https://oauth.pstmn.io/v1/callback", "https://app.insomnia.rest/oauth/redirect", "https://devnull.yaak.app/callback",
    ]
    public var users = [
        User(id: "cmsandboxada00000000000001", email: "ada@example.com", name: "Ada Lovelace",
             workspaces: [Workspace(id: "cmsandboxadaws000000000001", name: "Ada's Workspace")]),
        User(id: "cmsandboxgrace000000000001", email: "grace@example.com", name: "Grace Hopper",
             workspaces: [
                Workspace(id: "cmsandboxgracews0000000001", name: "Grace's Workspace"),
                Workspace(id: "cmsandboxgracews0000000002", name: "Hopper Labs"),
             ]),
    ]
    public var accessTokenLifetime: Duration = .seconds(3600)
    public var authorizationCodeLifetime: Duration = .seconds(60)
    /// Transfer bodies larger than this get 413.
    public var transferBodyLimit = 4096
    /// Status for a transfer whose `recipientAccessToken` is invalid or expired (401, or 400 as
    /// prisma-cli expects in some versions).
    public var invalidRecipientStatus = 401
    /// The switchable real-Prisma behaviours at start (all off by default); change them later with
    /// ``PrismaEmulator/updateBehaviour(_:)`` or `POST /__emulator/behaviour`.
    public var behaviour = EmulatorBehaviour()

    public init() {}
}
