import Foundation
import Secrets
import Synchronization
import Timestamps

/// Everything the emulated Prisma holds, behind one lock. Ids are stored without their prefix.
final class EmulatorState: Sendable {
    struct Project {
        var id: String
        var name: String
        var logicalId: String?
        var createdAt: Date
        var region: String
        var workspaceID: String
        var database: Database
    }

    struct Database {
        var id: String
        var name: String
        var createdAt: Date
        /// The first is the default connection.
        var connections: [Connection]
    }

    struct Connection {
        var id: String
        var name: String
        var createdAt: Date
        var user: String
        var password: String

        static func make(name: String, at date: Date) -> Connection {
            Connection(id: EmulatorState.newID(), name: name, createdAt: date,
                       user: "u" + EmulatorState.newID().prefix(12), password: "p" + EmulatorState.randomToken(bytes: 18))
        }
    }

    struct Grant {
        var id: String
        var clientID: String
        var userID: String
        var workspaceID: String
        var scope: String
        var revoked = false
        var refreshToken: String?
        var retiredRefreshTokens: Set<String> = []
    }

    struct AccessToken {
        var grantID: String
        var expiresAt: Date
    }

    struct Code {
        var clientID: String
        var redirectURI: String
        var challenge: String
        var userID: String
        var workspaceID: String
        var scope: String
        var expiresAt: Date
        var used = false
        var grantID: String?
    }

    struct Data {
        var workspaces: [String: EmulatorConfiguration.Workspace] = [:]
        var workspaceCreated: [String: Date] = [:]
        var projects: [Project] = []
        var grants: [String: Grant] = [:]
        var accessTokens: [String: AccessToken] = [:]
        var codes: [String: Code] = [:]
        var calls: [String: Int] = [:]
        var faults: [Fault] = []
        var clockOffset: TimeInterval = 0
    }

    let data = Mutex(Data())
    let configuration: EmulatorConfiguration

    init(configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let start = Date()
        data.withLock { data in
            var all = [configuration.partnerWorkspace]
            for user in configuration.users { all += user.workspaces }
            for workspace in all {
                data.workspaces[workspace.id] = workspace
                data.workspaceCreated[workspace.id] = start
            }
        }
    }

    /// The emulator's clock (tests move it forward instead of sleeping).
    var now: Date { Date().addingTimeInterval(data.withLock { $0.clockOffset }) }

    /// A cuid-shaped id body: `c` and 24 lowercase letters and digits.
    static func newID() -> String { "c" + SecureRandom.idBody() }

    /// A random URL-safe token of `bytes` random bytes.
    static func randomToken(bytes: Int = 32) -> String { SecureRandom.token(bytes: bytes) }
}

extension Timestamp {
    static func string(_ date: Date) -> String { string(secondsSince1970: date.timeIntervalSince1970) }
}
