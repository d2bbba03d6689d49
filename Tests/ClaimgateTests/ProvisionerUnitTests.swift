import Claimgate
import Foundation
import Logging
import PrismaAPI
import Secrets
import Storage
import Synchronization
import Testing

/// A scripted Prisma for the provisioner's logic, without sockets.
final class FakeProjects: ProjectsUpstream {
    enum CreateOutcome: Sendable { case success, failure(PrismaError), appliedThenFailure(PrismaError) }
    let script = Mutex<[CreateOutcome]>([])
    let existing = Mutex<[String: Project]>([:])
    let calls = Mutex<[String]>([])

    func note(_ call: String) { calls.withLock { $0.append(call) } }

    func projects(cursor: String?) async throws(PrismaError) -> Page<Project> {
        try! JSONDecoder().decode(Page<Project>.self, from: Data(#"{"data":[],"pagination":{"nextCursor":null,"hasMore":false}}"#.utf8))
    }

    func database(id: String) async throws(PrismaError) -> ProjectDatabase {
        note("database")
        return try! JSONDecoder().decode(ProjectDatabase.self, from: Data(#"{"id":"\#(id)","name":"n","status":"ready","isDefault":true}"#.utf8))
    }

    func project(id: String) async throws(PrismaError) -> Project {
        note("project")
        guard let found = existing.withLock({ $0.values.first { $0.id == id } }) else {
            throw PrismaError(kind: .notFound, status: 404, message: "not found")
        }
        return found
    }

    func project(_ logicalId: String) -> Project {
        let json = #"{"id":"proj_cunit","name":"n","logicalId":"\#(logicalId)","createdAt":"2026-01-01T00:00:00.000Z","defaultRegion":"us-east-1","workspace":{"id":"wksp_partner","name":"Partner"}}"#
        return try! JSONDecoder().decode(Project.self, from: Data(json.utf8))
    }

    func createProject(name: String, region: String, logicalId: String) async throws(PrismaError) -> CreatedProject {
        note("create")
        let next = script.withLock { $0.isEmpty ? .success : $0.removeFirst() }
        switch next {
        case .failure(let error): throw error
        case .appliedThenFailure(let error):
            existing.withLock { $0[logicalId] = project(logicalId) }
            throw error
        case .success:
            existing.withLock { $0[logicalId] = project(logicalId) }
            let json = """
                {"id":"\(project(logicalId).id)","name":"n","logicalId":"\(logicalId)","createdAt":"2026-01-01T00:00:00.000Z",
                 "defaultRegion":"us-east-1","workspace":{"id":"wksp_partner","name":"Partner"},
                 "database":{"id":"db_c1","name":"n","status":"ready","region":{"id":"us-east-1","name":"US"},
                 "defaultConnectionId":"con_c1","connections":[{"id":"con_c1","name":"Default","kind":"postgres",
                 "endpoints":{"direct":{"host":"h","port":5432,"connectionString":"postgres://u:created@h/db"}}}]}}
                """
            return try! JSONDecoder().decode(CreatedProject.self, from: Data(json.utf8))
        }
    }

    func findProject(logicalId: String) async throws(PrismaError) -> Project? {
        note("find")
        return existing.withLock { $0[logicalId] }
    }

    func databases(projectID: String) async throws(PrismaError) -> [ProjectDatabase] {
        note("databases")
        return [try! JSONDecoder().decode(ProjectDatabase.self, from: Data(#"{"id":"db_c1","name":"n","status":"ready","isDefault":true}"#.utf8))]
    }

    func createConnection(databaseID: String, name: String) async throws(PrismaError) -> DatabaseConnection {
        note("connection")
        return try! JSONDecoder().decode(DatabaseConnection.self, from: Data(
            #"{"id":"con_c2","name":"claimgate","kind":"postgres","endpoints":{"direct":{"host":"h","port":5432,"connectionString":"postgres://u:adopted@h/db"}}}"#.utf8))
    }

    func deleteProject(id: String) async throws(PrismaError) { note("delete") }
}

@Suite("Provisioner logic (in-memory Prisma, :memory: database)")
struct ProvisionerUnitTests {
    func setup(_ fake: FakeProjects) async throws -> (Provisioner, Database, String) {
        let database = try Database(path: ":memory:")
        let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations").path
        try await database.migrate(Migrator(directory: migrations))
        let record = DatabaseRecord(id: "cgdb_unit", logicalId: "cg-unit", status: .provisioning, name: "n", region: "us-east-1",
                                    reference: nil, metadata: nil, ttlSeconds: 60, expiresAt: Int64.max / 2, createdAt: 0)
        try await database.write { try DatabasesRepository.insert(record, in: $0) }
        let provisioner = Provisioner(
            database: database, upstream: fake, box: SecretBox(keyBytes: Array(repeating: 7, count: 32)),
            clock: ManualClock(), publicURL: "https://claims.example", logger: Logger(label: "unit") { _ in SwiftLogNoOpLogHandler() })
        return (provisioner, database, record.id)
    }

    func statusOf(_ database: Database, _ id: String) async throws -> DatabaseStatus? {
        try await database.read { try DatabasesRepository.find(id, in: $0) }?.status
    }

    static let fast = Provisioner.Budget(attempts: 3, backoff: RetryPolicy(baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)))

    @Test("first attempt of a fresh intent creates without looking up")
    func freshCreate() async throws {
        let fake = FakeProjects()
        let (provisioner, database, id) = try await setup(fake)
        guard case .ready(let body) = try await provisioner.complete(id, budget: Self.fast, freshIntent: true) else {
            Issue.record("not ready"); return
        }
        #expect(String(decoding: body, as: UTF8.self).contains("postgres://u:created@h/db"))
        #expect(fake.calls.withLock { $0 } == ["create"])
        #expect(try await statusOf(database, id) == .ready)
    }

    @Test("a create applied upstream but failed locally is adopted on the next attempt, never created twice")
    func adoptAfterAmbiguousFailure() async throws {
        let fake = FakeProjects()
        fake.script.withLock { $0 = [.appliedThenFailure(PrismaError(kind: .timeout, message: "lost"))] }
        let (provisioner, _, id) = try await setup(fake)
        guard case .ready(let body) = try await provisioner.complete(id, budget: Self.fast, freshIntent: true) else {
            Issue.record("not ready"); return
        }
        #expect(String(decoding: body, as: UTF8.self).contains("postgres://u:adopted@h/db"))
        #expect(fake.calls.withLock { $0 } == ["create", "find", "databases", "connection"])
    }

    @Test("a definite refusal marks the database failed after one create")
    func refusal() async throws {
        let fake = FakeProjects()
        fake.script.withLock { $0 = [.failure(PrismaError(kind: .forbidden, status: 403, code: "planLimitReached", message: "limit"))] }
        let (provisioner, database, id) = try await setup(fake)
        guard case .failed(let reason) = try await provisioner.complete(id, budget: Self.fast, freshIntent: true) else {
            Issue.record("not failed"); return
        }
        #expect(reason.contains("planLimitReached"))
        #expect(fake.calls.withLock { $0 } == ["create"])
        #expect(try await statusOf(database, id) == .failed)
    }

    @Test("transient failures within the budget stay pending; a later run finishes, looking up first")
    func pendingThenRecovered() async throws {
        let fake = FakeProjects()
        let outage = PrismaError(kind: .server, status: 503, message: "down")
        fake.script.withLock { $0 = [.failure(outage), .failure(outage), .failure(outage)] }
        let (provisioner, database, id) = try await setup(fake)
        guard case .pending = try await provisioner.complete(id, budget: Self.fast, freshIntent: true) else {
            Issue.record("not pending"); return
        }
        #expect(try await statusOf(database, id) == .provisioning)
        guard case .ready = try await provisioner.complete(id, budget: .background) else { Issue.record("not ready"); return }
        #expect(fake.calls.withLock { $0.filter { $0 == "create" }.count } == 4)
        #expect(fake.calls.withLock { $0.last } == "create")
        #expect(fake.calls.withLock { $0.filter { $0 == "find" }.count } == 3)
    }
}

extension ProvisionerUnitTests {
    /// The give-up used to check "nothing running" and then await a read, so a create starting in
    /// that gap ran under it: the row was marked failed while its project was being created.
    @Test("give-up and create racing: never a failed row with a created project, never a ready row without one")
    func giveUpRace() async throws {
        for _ in 0..<40 {
            let fake = FakeProjects()
            let (provisioner, database, id) = try await setup(fake)
            async let gaveUp = provisioner.giveUp(id, reason: "too old")
            async let created = provisioner.complete(id, budget: Self.fast)
            _ = try await (gaveUp, created)
            let creates = fake.calls.withLock { $0.filter { $0 == "create" }.count }
            switch try await statusOf(database, id) {
            case .failed?: #expect(creates == 0, "marked failed under a running create")
            case .ready?: #expect(creates == 1)
            case let other: Issue.record("unexpected status \(String(describing: other))")
            }
        }
    }
}
