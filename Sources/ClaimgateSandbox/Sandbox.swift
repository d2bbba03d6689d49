import Claimgate
import Foundation
import Logging
import PrismaEmulator
import Secrets

/// Sandbox mode, assembled outside the product: the built-in Prisma emulator on a loopback port,
/// and settings pointed at it. Used by `claimgate serve` when no service token is set, and by
/// tests; the product module never imports the emulator.
public enum Sandbox {
    /// Starts the emulator for `settings` (whose `prisma.isSandbox` must be true) and fills in its
    /// address and credentials. The caller owns the emulator: it stops it when the service stops,
    /// or when building the service fails. Async only so that an emulator whose address cannot be
    /// used is stopped here before the error is thrown (nothing started may outlive a failed start).
    public static func start(for settings: inout Settings, logger: Logger) async throws -> PrismaEmulator {
        var configuration = EmulatorConfiguration()
        let callback = settings.publicURL + "/oauth/callback"
        if !configuration.clients[0].redirectURIs.contains(callback) { configuration.clients[0].redirectURIs.append(callback) }
        let emulator = PrismaEmulator(configuration: configuration)
        let address = try emulator.start(host: "127.0.0.1", port: UInt16(settings.sandboxPort))
        guard let url = URL(string: address) else {
            await emulator.stop()
            throw SandboxError(reason: "the built-in Prisma emulator's address is not a URL: \(address)")
        }
        logger.notice("sandbox mode: no PRISMA_SERVICE_TOKEN is set, so Claimgate uses its built-in Prisma emulator", metadata: [
            "emulator_url": "\(address)",
        ])
        let client = configuration.clients[0]
        settings.prisma.apiURL = url
        settings.prisma.authURL = url
        settings.prisma.serviceToken = Secret(configuration.serviceToken)
        settings.prisma.clientID = client.id
        settings.prisma.clientSecret = Secret(client.secret)
        return emulator
    }
}

/// Sandbox mode could not be set up.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "sandbox mode: \(reason)" }
}
