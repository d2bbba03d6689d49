import Foundation
import Logging
import PrismaAPI
import Secrets

/// The Prisma the service talks to, as configured. In sandbox mode the assembler (the CLI's
/// `ClaimgateSandbox`, or a test) has already started the built-in emulator and pointed the
/// settings at it: the product itself knows no emulator.
public struct PrismaConnection: Sendable {
    public let management: ManagementClient
    /// Nil when no OAuth client is configured (claims are then unavailable).
    public let oauth: OAuthClient?
    public let serviceToken: Secret

    public static var userAgent: String { "claimgate/\(ClaimgateVersion.current)" }

    /// Connects to what `settings` describe.
    public static func make(settings: Settings, logger: Logger, transport: any HTTPTransport = AsyncHTTPClientTransport()) throws -> PrismaConnection {
        let prisma = settings.prisma
        guard let serviceToken = prisma.serviceToken else {
            throw ConfigurationError(
                key: "prisma.serviceToken",
                reason: "is not set: set it, or run in sandbox mode through `claimgate serve`, which starts the built-in emulator")
        }
        let management = ManagementClient(baseURL: prisma.apiURL, transport: transport, userAgent: userAgent,
                                          createTimeout: .seconds(prisma.createTimeoutSeconds))
        var oauth: OAuthClient?
        if let clientID = prisma.clientID, let secret = prisma.clientSecret {
            oauth = OAuthClient(authURL: prisma.authURL, clientID: clientID, clientSecret: secret, transport: transport, userAgent: userAgent)
        } else {
            logger.warning("PRISMA_CLIENT_ID / PRISMA_CLIENT_SECRET not set: claim links cannot be completed")
        }
        return PrismaConnection(management: management, oauth: oauth, serviceToken: serviceToken)
    }
}
