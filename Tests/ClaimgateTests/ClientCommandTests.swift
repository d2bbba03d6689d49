import Claimgate
import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

@Suite("The claimgate client commands (db, regions, prisma) against a running sandbox Claimgate", .serialized)
struct ClientCommandTests {
    func connection(_ app: RunningApp) -> [String] {
        ["--url", "http://127.0.0.1:\(app.application.server.port)"]
    }
    let keyEnvironment = ["CLAIMGATE_API_KEY": Application.sandboxAPIKey]

    @Test("db create --json prints the API's document; db get, list and regions agree with the service")
    func createJSONAndReads() async throws {
        try await withApp { app in
            let created = try await ClientRun.run(["db", "create", "--json", "--name", "cli-db", "--reference", "cli-1", "--metadata", #"{"plan":"free"}"#]
                                                  + connection(app), environment: keyEnvironment)
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stderr.isEmpty)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
            let id = try #require(document["id"] as? String)
            #expect(document["status"] as? String == "ready")
            #expect((document["claimUrl"] as? String)?.contains("/claim/") == true)
            #expect(app.emulator.acceptsConnectionString(try #require(document["connectionString"] as? String)))
            #expect(try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()["reference"] as? String == "cli-1")

            let got = try await ClientRun.run(["db", "get", id] + connection(app), environment: keyEnvironment)
            #expect(got.status == 0)
            #expect(got.stdout.contains("status") && got.stdout.contains("ready") && got.stdout.contains("cli-db"))
            #expect(!got.stdout.contains("postgres://"))  // reads never show credentials
            let listed = try await ClientRun.run(["db", "list", "--reference", "cli-1"] + connection(app), environment: keyEnvironment)
            #expect(listed.status == 0)
            #expect(listed.stdout.hasPrefix("ID"))
            #expect(listed.stdout.contains(id))

            let regions = try await ClientRun.run(["regions"] + connection(app), environment: keyEnvironment)
            #expect(regions.status == 0)
            #expect(regions.stdout.split(separator: "\n").first?.hasPrefix("ID") == true)
            #expect(regions.stdout.contains("us-east-1"))
            let regionsJSON = try await ClientRun.run(["regions", "--json"] + connection(app), environment: keyEnvironment)
            let data = try #require((try JSONSerialization.jsonObject(with: Data(regionsJSON.stdout.utf8)) as? [String: Any])?["data"] as? [[String: Any]])
            let served = try #require(try await app.client.get("/v1/regions", headers: sandboxKey).json()["data"] as? [[String: Any]])
            #expect(data.compactMap { $0["id"] as? String } == served.compactMap { $0["id"] as? String })
            #expect(!data.isEmpty)

            let extended = try await ClientRun.run(["db", "extend", id, "--ttl", "7200", "--json"] + connection(app), environment: keyEnvironment)
            #expect(extended.status == 0, "\(extended.stderr)")
            let link = try await ClientRun.run(["db", "claim-url", id] + connection(app), environment: keyEnvironment)
            #expect(link.status == 0)
            #expect(link.stdout.contains("/claim/"))
            let deleted = try await ClientRun.run(["db", "delete", id] + connection(app), environment: keyEnvironment)
            #expect(deleted.status == 0)
            #expect(try await app.status(id) == "deleted")
        }
    }

    @Test("db create --env prints DATABASE_URL, DIRECT_URL and the claim URL as comments; --env-file appends")
    func createEnv() async throws {
        try await withApp { app in
            let printed = try await ClientRun.run(["db", "create", "--env", "--name", "env-db"] + connection(app), environment: keyEnvironment)
            #expect(printed.status == 0, "\(printed.stderr)")
            let lines = printed.stdout.split(separator: "\n").map(String.init)
            let databaseURL = try #require(lines.first { $0.hasPrefix("DATABASE_URL=\"") })
            let directURL = try #require(lines.first { $0.hasPrefix("DIRECT_URL=\"") })
            #expect(lines.contains { $0.hasPrefix("# Claim it before ") && $0.contains("/claim/") })
            let pooled = String(databaseURL.dropFirst("DATABASE_URL=\"".count).dropLast())
            let direct = String(directURL.dropFirst("DIRECT_URL=\"".count).dropLast())
            #expect(pooled != direct)
            #expect(app.emulator.acceptsConnectionString(pooled) && app.emulator.acceptsConnectionString(direct))

            let file = TestPaths.temporaryDirectory().appendingPathComponent(".env")
            try Data("EXISTING=1".utf8).write(to: file)  // no final newline: the append starts a new line
            for _ in 0..<2 {
                let appended = try await ClientRun.run(["db", "create", "--env-file", file.path] + connection(app), environment: keyEnvironment)
                #expect(appended.status == 0, "\(appended.stderr)")
                #expect(appended.stdout.contains("appended DATABASE_URL and DIRECT_URL"))
                #expect(appended.stdout.contains("/claim/"))
            }
            let contents = try String(contentsOf: file, encoding: .utf8)
            #expect(contents.hasPrefix("EXISTING=1\n# Claimgate database cgdb_"))
            #expect(contents.components(separatedBy: "\nDATABASE_URL=\"postgres://").count == 3)
        }
    }

    @Test("a missing database, a wrong key and an unreachable service: code and detail on stderr, nothing on stdout, non-zero exit")
    func problems() async throws {
        try await withApp { app in
            let missing = try await ClientRun.run(["db", "get", "cgdb_nothere000000000000000000"] + connection(app), environment: keyEnvironment)
            #expect(missing.status == 1)
            #expect(missing.stdout.isEmpty)
            #expect(missing.stderr == "claimgate: database-not-found: No database with this id.\n")
            let wrongKey = try await ClientRun.run(["db", "list", "--api-key", "not-the-key-000000000"] + connection(app), environment: [:])
            #expect(wrongKey.status == 1)
            #expect(wrongKey.stderr.hasPrefix("claimgate: unauthorized: "))
            #expect(!wrongKey.stderr.contains("not-the-key"))
            let noKey = try await ClientRun.run(["db", "list"] + connection(app), environment: [:])
            #expect(noKey.status == 64)
            #expect(noKey.stderr.contains("CLAIMGATE_API_KEY"))
            let unreachable = try await ClientRun.run(["regions", "--url", "http://127.0.0.1:\(try freePort())"], environment: keyEnvironment)
            #expect(unreachable.status == 69)
            #expect(unreachable.stderr.hasPrefix("claimgate: unreachable: "))
        }
    }

    @Test("a slow create prints a progress line on stderr while it waits, then the 201's document")
    func slowCreateProgress() async throws {
        try await withApp(["CLAIMGATE_PROVISIONING_WAIT_SECONDS": "1"]) { app in
            try app.emulator.updateBehaviour { $0.createLatency = .milliseconds(2500) }
            let run = try await ClientRun.run(["db", "create", "--json", "--name", "slow"] + connection(app), environment: keyEnvironment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("waiting for Prisma to finish creating cgdb_"))
            let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(document["status"] as? String == "ready")
            #expect(document["connectionString"] as? String != nil)
            #expect(app.emulator.projects.count == 1)
        }
    }
}

@Suite("claimgate prisma: the Management API getting-started guide in one command")
struct PrismaCommandTests {
    @Test("without PRISMA_SERVICE_TOKEN it runs against the built-in emulator: regions, and a project with its connection details")
    func sandbox() async throws {
        let regions = try await ClientRun.run(["prisma", "regions"])
        #expect(regions.status == 0, "\(regions.stderr)")
        #expect(regions.stdout.contains("us-east-1"))
        #expect(regions.stderr.contains("sandbox"))
        let project = try await ClientRun.run(["prisma", "create-project", "--name", "guide-demo", "--region", "eu-central-1"])
        #expect(project.status == 0, "\(project.stderr)")
        #expect(project.stdout.hasPrefix("Created project guide-demo"))
        for part in ["id:", "Database ", "region:     eu-central-1", "direct connection string: postgres://", "pooled host:", "DATABASE_URL=\"postgres://"] {
            #expect(project.stdout.contains(part), "\(part)")
        }
    }

    @Test("with PRISMA_SERVICE_TOKEN and PRISMA_API_URL it talks to that Prisma")
    func configured() async throws {
        let emulator = PrismaEmulator(configuration: EmulatorConfiguration())
        let url = try emulator.start()
        let environment = ["PRISMA_API_URL": url, "PRISMA_AUTH_URL": url, "PRISMA_SERVICE_TOKEN": emulator.configuration.serviceToken]
        let project = try await ClientRun.run(["prisma", "create-project", "--name", "configured"], environment: environment)
        #expect(project.status == 0, "\(project.stderr)")
        #expect(!project.stderr.contains("sandbox"))
        #expect(emulator.projects.count == 1)
        let refused = try await ClientRun.run(["prisma", "regions"], environment: environment.merging(["PRISMA_SERVICE_TOKEN": "wrong-token"]) { $1 })
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("claimgate prisma: "))
        #expect(!refused.stderr.contains("wrong-token"))
        await emulator.stop()
    }
}
