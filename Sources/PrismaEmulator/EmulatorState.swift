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
        /// When `GET /v1/projects` starts listing it (``EmulatorBehaviour/listVisibilityDelay``).
        var visibleAt: Date
    }

    struct Database {
        var id: String
        var name: String
        var createdAt: Date
        var connections: [Connection]
        /// Nil once the default connection was deleted.
        var defaultConnectionID: String?
        /// Until then the database is `provisioning` (``EmulatorBehaviour/provisioningDuration``).
        var readyAt: Date

        func status(at now: Date) -> String { now < readyAt ? "provisioning" : "ready" }
    }

    struct Connection {
        var id: String
        var name: String
        var createdAt: Date
        var user: String
        var password: String

        static func make(name: String, at date: Date) -> Connection {
            Connection(id: EmulatorState.newID(), name: name, createdAt: date,
                       user: "u" + EmulatorState.newID().prefix(12), password: newPassword())
        }

        static func newPassword() -> String { "p" + EmulatorState.randomToken(bytes: 18) }
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
        /// Only through ``add(_:)``, ``removeProject(at:)`` and ``moveProject(at:to:)``, which keep
        /// ``logicalIDs`` in step.
        private(set) var projects: [Project] = []
        /// How many projects of a workspace carry a logicalId ("workspace NUL logicalId" → count):
        /// a create's duplicate check is a look-up, not a scan that slows every create as the
        /// emulator fills up (a benchmark makes tens of thousands).
        private var logicalIDs: [String: Int] = [:]
        var grants: [String: Grant] = [:]
        var accessTokens: [String: AccessToken] = [:]
        var codes: [String: Code] = [:]
        var calls: [String: Int] = [:]
        var faults: [Fault] = []
        var clockOffset: TimeInterval = 0
        var behaviour = EmulatorBehaviour()
        /// Rate-limit token buckets by workspace id.
        var buckets: [String: Bucket] = [:]
        var rateLimitRecords: [String: RateLimitRecord] = [:]
        var revocations: [IntegrationRevocation] = []
        /// Usage numbers set by tests, by database id.
        var usage: [String: Usage] = [:]
    }

    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    struct Usage {
        var operations: Double
        var storageGiB: Double
    }

    let data = Mutex(Data())
    let configuration: EmulatorConfiguration

    init(configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let start = Date()
        data.withLock { data in
            data.behaviour = configuration.behaviour
            var all = [configuration.partnerWorkspace]
            for user in configuration.users { all += user.workspaces }
            for workspace in all {
                data.workspaces[workspace.id] = workspace
                data.workspaceCreated[workspace.id] = start
            }
        }
    }

    /// Whether a connection string would let someone in now: it names one of the emulator's hosts
    /// and the user and password of a connection that still exists (not rotated, not deleted, its
    /// project not deleted). A transfer changes nothing here, as at Prisma.
    func acceptsConnectionString(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              ["db.sandbox.invalid", "pooled.sandbox.invalid"].contains(components.host ?? ""),
              let user = components.user, let password = components.password else { return false }
        return data.withLock { data in
            data.projects.contains { $0.database.connections.contains { $0.user == user && $0.password == password } }
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

extension EmulatorState.Data {
    func hasProject(workspaceID: String, logicalId: String) -> Bool {
        logicalIDs[Self.logicalKey(workspaceID, logicalId), default: 0] > 0
    }

    mutating func add(_ project: EmulatorState.Project) {
        projects.append(project)
        count(project, +1)
    }

    mutating func removeProject(at index: Int) {
        count(projects[index], -1)
        projects.remove(at: index)
    }

    mutating func moveProject(at index: Int, to workspaceID: String) {
        count(projects[index], -1)
        projects[index].workspaceID = workspaceID
        count(projects[index], +1)
    }

    /// Changes a project's database (connections, passwords): nothing the look-up depends on.
    mutating func changeDatabase<T>(ofProjectAt index: Int, _ change: (inout EmulatorState.Database) -> T) -> T {
        change(&projects[index].database)
    }

    private mutating func count(_ project: EmulatorState.Project, _ delta: Int) {
        guard let logicalId = project.logicalId else { return }
        let key = Self.logicalKey(project.workspaceID, logicalId)
        let count = logicalIDs[key, default: 0] + delta
        logicalIDs[key] = count > 0 ? count : nil
    }

    private static func logicalKey(_ workspaceID: String, _ logicalId: String) -> String { workspaceID + "\u{0}" + logicalId }
}
