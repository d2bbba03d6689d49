import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

/// Three replicas on one PostgreSQL behind nginx, a partner's load (provisions with idempotency
/// keys repeated until answered, claims, extends), and one replica SIGKILLed and restarted every
/// two seconds. Nothing acknowledged may be lost or doubled. `bench/replicas.sh` runs the same
/// check longer (`CLAIMGATE_CHAOS_DATABASES`, `CLAIMGATE_CHAOS_SECONDS`) and prints its figures.
@Suite("Several replicas on PostgreSQL, one killed every two seconds", .serialized)
struct ReplicaChaosTests {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var databases: Int { Int(environment["CLAIMGATE_CHAOS_DATABASES"] ?? "") ?? 12 }
    static var minimumSeconds: Int { Int(environment["CLAIMGATE_CHAOS_SECONDS"] ?? "") ?? 8 }
    static var headers: [String: String] { ["Authorization": "Bearer \(ReplicaSet.apiKey)", "Content-Type": "application/json"] }

    /// What the partner saw acknowledged.
    struct Acknowledged: Sendable {
        let id: String
        let reference: String
        var claimed = false
    }

    @Test("every acknowledged database exists once here and upstream; no duplicate project or transfer; every ready and claimed webhook delivered with one id",
          .enabled(if: TestPostgres.adminURL != nil || TestPostgres.isRequired, "needs the PostgreSQL scripts/test starts"),
          .timeLimit(.minutes(10)))
    func chaos() async throws {
        let set = try await ReplicaSet(replicas: 3)
        do {
            for index in set.ports.indices { try await set.launch(index) }
            try set.startProxy()
            try await eventually("nginx answers") { (try? await set.proxy.get("/healthz"))?.status == 200 }

            let started = ContinuousClock.now
            let load = Task { try await Self.partnerLoad(set.proxy, emulator: set.emulator) }
            var kills = 0
            var victim = 0
            // Kill while the load runs, and for at least the minimum time.
            while !(await Self.isDone(load)) || ContinuousClock.now - started < .seconds(Self.minimumSeconds) {
                try await Task.sleep(for: .seconds(2))
                set.kill(victim)
                kills += 1
                try await set.launch(victim)
                victim = (victim + 1) % set.ports.count
                if ContinuousClock.now - started > .seconds(300) { break }
            }
            let acknowledged = try await load.value
            let claims = acknowledged.filter(\.claimed).count

            // The store: each acknowledged database once, under its own reference, in its final state.
            var stored: [String: [String: Any]] = [:]
            var byReference: [String: Int] = [:]
            var cursor: String?
            repeat {
                let page = try await set.proxy.get("/v1/databases?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                                   headers: Self.headers).json()
                for item in page["data"] as? [[String: Any]] ?? [] {
                    let id = item["id"] as? String ?? ""
                    #expect(stored[id] == nil, "listed twice: \(id)")
                    stored[id] = item
                    byReference[item["reference"] as? String ?? "", default: 0] += 1
                }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            for database in acknowledged {
                let item = stored[database.id]
                #expect(item != nil, "acknowledged but not stored: \(database.id)")
                #expect(byReference[database.reference] == 1, "\(database.reference) stored \(byReference[database.reference] ?? 0) times")
                #expect(item?["status"] as? String == (database.claimed ? "claimed" : "ready"))
            }

            // Upstream: one project per database, none without one.
            let projects = set.emulator.projects
            let logicalIds = projects.compactMap(\.logicalId)
            #expect(Set(logicalIds).count == logicalIds.count, "duplicate projects for one logicalId")
            let projectIDs = Set(projects.map(\.id))
            for item in stored.values {
                #expect(projectIDs.contains(item["projectId"] as? String ?? "-"), "stored database without its project")
            }
            #expect(projects.count == stored.count)
            let transfers = set.emulator.callCount("POST /v1/projects/:id/transfer")
            #expect(transfers == claims, "transfers \(transfers) for \(claims) claims")

            // Webhooks: each database.ready and database.claimed delivered, each under one webhook id.
            try await eventually("every ready and claimed event delivered", within: .seconds(60)) {
                let delivered = set.receiver.delivered
                return acknowledged.allSatisfy { database in
                    Self.ids(delivered, "database.ready", database.id).count == 1
                        && (!database.claimed || Self.ids(delivered, "database.claimed", database.id).count == 1)
                }
            }
            let delivered = set.receiver.delivered
            for database in acknowledged {
                #expect(Self.ids(delivered, "database.ready", database.id).count == 1, "ready webhook ids for \(database.id)")
                if database.claimed {
                    #expect(Self.ids(delivered, "database.claimed", database.id).count == 1, "claimed webhook ids for \(database.id)")
                }
            }
            let duplicates = delivered.count - Set(delivered.map(\.id)).count
            print("""
                replicas chaos: \(acknowledged.count) databases acknowledged, \(stored.count) stored, \(projects.count) projects, \
                \(kills) kills in \(ContinuousClock.now - started), claims \(claims), transfers \(transfers), \
                duplicate projects \(logicalIds.count - Set(logicalIds).count), webhooks delivered \(delivered.count) \
                (\(duplicates) repeats of an id already delivered)
                """)
        } catch {
            await set.stop()
            throw error
        }
        await set.stop()
    }

    static func isDone(_ task: Task<[Acknowledged], any Error>) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = try? await task.value; return true }
            group.addTask { try? await Task.sleep(for: .milliseconds(1)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    static func ids(_ deliveries: [WebhookReceiver.Delivery], _ type: String, _ id: String) -> Set<String> {
        Set(deliveries.filter { $0.type == type && ($0.json["data"] as? [String: Any])?["id"] as? String == id }.map(\.id))
    }

    /// The partner: every database concurrently, each call repeated until it is answered.
    static func partnerLoad(_ proxy: TestClient, emulator: PrismaEmulator) async throws -> [Acknowledged] {
        try await withThrowingTaskGroup(of: Acknowledged.self) { group in
            for index in 0..<databases {
                group.addTask {
                    let reference = "chaos-\(index)-\(UUID().uuidString.prefix(8))"
                    var headers = Self.headers
                    headers["Idempotency-Key"] = reference
                    let body = Data(#"{"name":"chaos-\#(index)","reference":"\#(reference)"}"#.utf8)
                    let created = try await repeatUntil("provision \(reference)") {
                        try await proxy.send("POST", "/v1/databases", headers: headers, body: body)
                    } answered: { $0.status == 201 }
                    var database = Acknowledged(id: try created.json()["id"] as? String ?? "", reference: reference)
                    _ = try await repeatUntil("extend \(database.id)") {
                        try await proxy.send("POST", "/v1/databases/\(database.id)/extend", headers: Self.headers,
                                             body: Data(#"{"ttlSeconds":7200}"#.utf8))
                    } answered: { $0.status == 200 }
                    if index % 3 == 0, let claimURL = try created.json()["claimUrl"] as? String {
                        try await claim(claimURL, databaseID: database.id, proxy: proxy, emulator: emulator)
                        database.claimed = true
                    }
                    return database
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// A user claiming through the proxy: each attempt from the claim page, until the API says claimed.
    static func claim(_ claimURL: String, databaseID: String, proxy: TestClient, emulator: PrismaEmulator) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let status = try? await proxy.get("/v1/databases/\(databaseID)", headers: Self.headers).json()["status"] as? String,
               status == "claimed" { return }
            do {
                let start = try await proxy.send("POST", Browser.local(claimURL))
                guard start.status == 303, let location = start.header("Location"), let authorize = URL(string: location),
                      let cookie = start.header("Set-Cookie")?.split(separator: ";").first else {
                    try await Task.sleep(for: .milliseconds(200)); continue
                }
                let callback = try await Browser.consent(at: emulator, authorize)
                _ = try await proxy.send("GET", Browser.local(callback), headers: ["Cookie": String(cookie)])
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        Issue.record("\(databaseID) was not claimed within 120 s")
    }

    /// Sends until `answered` (a partner retrying through restarts); records an issue after 120 s.
    static func repeatUntil(_ what: String, _ send: () async throws -> TestClient.Reply,
                            answered: (TestClient.Reply) -> Bool) async throws -> TestClient.Reply {
        let deadline = ContinuousClock.now + .seconds(120)
        var last: TestClient.Reply?
        while ContinuousClock.now < deadline {
            if let reply = try? await send() {
                if answered(reply) { return reply }
                last = reply
            }
            try await Task.sleep(for: .milliseconds(150))
        }
        Issue.record("\(what): never answered; last \(last?.status ?? 0) \(last?.text.prefix(300) ?? "")")
        throw ReplicaSetError(reason: "\(what) never answered")
    }
}
