import Foundation
import Logging
import PrismaAPI
import PrismaEmulator
import Secrets

/// The Prisma the service talks to: the real one (with the partner's service token), or — in
/// sandbox mode, when no service token is configured — the built-in emulator on a loopback port.
public struct PrismaConnection: Sendable {
    public let management: ManagementClient
    /// Nil when no OAuth client is configured (claims are then unavailable).
    public let oauth: OAuthClient?
    public let serviceToken: Secret
    /// The running emulator in sandbox mode.
    public let sandbox: PrismaEmulator?

    public static var userAgent: String { "claimgate/\(ClaimgateVersion.current)" }

    /// Connects to what `settings` describe, starting the emulator in sandbox mode.
    public static func make(settings: Settings, logger: Logger, transport: any HTTPTransport = AsyncHTTPClientTransport()) throws -> PrismaConnection {
        let prisma = settings.prisma
        guard prisma.isSandbox else {
            let management = ManagementClient(baseURL: URL(string: prisma.apiURL)!, transport: transport, userAgent: userAgent)
            var oauth: OAuthClient?
            if let clientID = prisma.clientID, let secret = prisma.clientSecret {
                oauth = OAuthClient(authURL: URL(string: prisma.authURL)!, clientID: clientID, clientSecret: secret,
                                    transport: transport, userAgent: userAgent)
            } else {
                logger.warning("PRISMA_CLIENT_ID / PRISMA_CLIENT_SECRET not set: claim links cannot be completed")
            }
            return PrismaConnection(management: management, oauth: oauth, serviceToken: prisma.serviceToken!, sandbox: nil)
        }
        var configuration = EmulatorConfiguration()
        let callback = settings.publicURL + "/oauth/callback"
        if !configuration.clients[0].redirectURIs.contains(callback) { configuration.clients[0].redirectURIs.append(callback) }
        let emulator = PrismaEmulator(configuration: configuration)
        let url = try emulator.start(host: "127.0.0.1", port: UInt16(settings.sandboxPort))
        logger.notice("sandbox mode: no PRISMA_SERVICE_TOKEN is set, so Claimgate uses its built-in Prisma emulator", metadata: [
            "emulator_url": "\(url)",
        ])
        let base = URL(string: url)!
        let client = configuration.clients[0]
        return PrismaConnection(
            management: ManagementClient(baseURL: base, transport: transport, userAgent: userAgent),
            oauth: OAuthClient(authURL: base, clientID: client.id, clientSecret: Secret(client.secret),
                               transport: transport, userAgent: userAgent),
            serviceToken: Secret(configuration.serviceToken), sandbox: emulator)
    }
}
