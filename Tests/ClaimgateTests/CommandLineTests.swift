import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `claimgate` executable.
struct ClaimgateProcess {
    let process: SpawnedProcess
    let output: URL

    static func launch(_ arguments: [String], environment: [String: String]) throws -> ClaimgateProcess {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CLAIMGATE_") && !$0.key.hasPrefix("PRISMA_") }
        env.merge(environment) { _, new in new }
        let output = TestPaths.temporaryDirectory().appendingPathComponent("output.log")
        let process = try SpawnedProcess(
            path: TestPaths.claimgateBinary, arguments: arguments, environment: env, directory: TestPaths.packageRoot.path,
            output: output.path)
        return ClaimgateProcess(process: process, output: output)
    }

    /// Waits for exit (bounded) and returns the status and everything printed.
    func finish(timeout: Duration = .seconds(20)) async throws -> (status: Int32, output: String) {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate(); Issue.record("process did not exit in time") }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    var printed: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
}

@Suite("The claimgate command", .serialized)
struct CommandLineTests {
    func environment(database: String, port: UInt16 = 0) -> [String: String] {
        ["CLAIMGATE_DATABASE_PATH": database, "CLAIMGATE_PORT": "\(port)", "CLAIMGATE_DATABASE_SYNCHRONOUS": "NORMAL"]
    }

    @Test("serve answers over HTTP and exits 0 on SIGTERM after draining")
    func serveAndTerminate() async throws {
        let database = TestPaths.temporaryDirectory().appendingPathComponent("cli.sqlite").path
        let port = try freePort()
        let run = try ClaimgateProcess.launch(["serve"], environment: environment(database: database, port: port))
        let client = TestClient(port: port)
        var status = 0
        let deadline = ContinuousClock.now + .seconds(15)
        while status != 200 && ContinuousClock.now < deadline {
            status = (try? await client.get("/readyz"))?.status ?? 0
            if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == 200)
        kill(run.process.processIdentifier, SIGTERM)
        let (exit, output) = try await run.finish()
        #expect(exit == 0)
        #expect(output.contains(#""msg":"draining""#))
        #expect(output.contains(#""msg":"stopped""#))
        #expect(FileManager.default.fileExists(atPath: database))
    }

    @Test("migrate brings a fresh database to the latest version and is a no-op the second time")
    func migrate() async throws {
        let database = TestPaths.temporaryDirectory().appendingPathComponent("m.sqlite").path
        let first = try await ClaimgateProcess.launch(["migrate"], environment: environment(database: database)).finish()
        #expect(first.status == 0)
        let latest = try FileManager.default.contentsOfDirectory(
            atPath: TestPaths.packageRoot.appendingPathComponent("migrations").path
        ).filter { $0.hasSuffix(".sql") }.count
        #expect(first.output.contains(#""schema_version":"\#(latest)""#))
        let second = try await ClaimgateProcess.launch(["migrate"], environment: environment(database: database)).finish()
        #expect(second.status == 0)
        #expect(second.output.contains(#""migrations_applied":"""#))
        #expect(second.output.contains(#""schema_version":"\#(latest)""#))
    }

    @Test("an invalid setting stops the start with exit 78 and one line naming the key")
    func invalidConfiguration() async throws {
        var env = environment(database: "/tmp/never.sqlite")
        env["CLAIMGATE_ENCRYPTION_KEY"] = "not-base64-secret-canary"
        let (status, output) = try await ClaimgateProcess.launch(["serve"], environment: env).finish()
        #expect(status == 78)
        #expect(output.contains("CLAIMGATE_ENCRYPTION_KEY"))
        #expect(!output.contains("not-base64-secret-canary"))
        #expect(output.split(separator: "\n").count == 1)
    }

    @Test("version and --help speak to a newcomer")
    func versionAndHelp() async throws {
        let version = try await ClaimgateProcess.launch(["version"], environment: [:]).finish()
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("claimgate "))
        let help = try await ClaimgateProcess.launch(["--help"], environment: [:]).finish()
        #expect(help.status == 0)
        for word in ["serve", "migrate", "version", "sandbox"] { #expect(help.output.contains(word)) }
    }
}

@Suite("The claimgate emulator command", .serialized)
struct EmulatorCommandTests {
    @Test("runs the Prisma emulator alone, prints its credentials, and stops on SIGTERM")
    func emulator() async throws {
        let port = try freePort()
        let run = try ClaimgateProcess.launch(["emulator", "--port", "\(port)"], environment: [:])
        let client = TestClient(port: port)
        var reply: TestClient.Reply?
        let deadline = ContinuousClock.now + .seconds(15)
        while reply?.status != 200 && ContinuousClock.now < deadline {
            reply = try? await client.get("/v1/regions/postgres", headers: ["Authorization": "Bearer sandbox-service-token"])
            if reply?.status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reply?.status == 200)
        #expect(try reply?.json()["data"] as? [Any] != nil)
        #expect(try await client.get("/v1/me").status == 401)
        kill(run.process.processIdentifier, SIGTERM)
        let (status, output) = try await run.finish()
        #expect(status == 0)
        #expect(output.contains("PRISMA_API_URL=http://127.0.0.1:\(port)"))
        #expect(output.contains("PRISMA_SERVICE_TOKEN=sandbox-service-token"))
    }

    @Test("behaviour flags switch the real-Prisma behaviours on; a bad one stops the start with a usage error")
    func behaviourFlags() async throws {
        let port = try freePort()
        let run = try ClaimgateProcess.launch([
            "emulator", "--port", "\(port)", "--create-latency-ms", "250", "--list-visibility-delay-ms", "1000",
            "--accept-duplicate-logical-ids", "--provisioning-ms", "3000", "--rate-limit-per-minute", "30",
            "--rate-limit-burst", "5", "--undeletable-project", "keep-me", "--undeletable-project", "cg-keep", "--me-absent",
            "--default-plan", "Pro", "--plan", "cmsandboxgracews0000000002=Free:0", "--plan", "cmsandboxadaws000000000001=Starter",
        ], environment: [:])
        let client = TestClient(port: port)
        var reply: TestClient.Reply?
        let deadline = ContinuousClock.now + .seconds(15)
        while reply?.status != 200 && ContinuousClock.now < deadline {
            reply = try? await client.get("/__emulator/behaviour")
            if reply?.status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let behaviour = try #require(try reply?.json())
        #expect(behaviour["createLatencyMs"] as? Int == 250 && behaviour["listVisibilityDelayMs"] as? Int == 1000)
        #expect(behaviour["acceptDuplicateLogicalIds"] as? Bool == true && behaviour["provisioningMs"] as? Int == 3000)
        #expect(behaviour["rateLimit"] as? [String: Int] == ["requestsPerMinute": 30, "burst": 5])
        #expect(behaviour["undeletableProjects"] as? [String] == ["cg-keep", "keep-me"])
        #expect(behaviour["meAbsent"] as? Bool == true)
        #expect((behaviour["defaultPlan"] as? [String: Any])?["name"] as? String == "Pro")
        let plans = behaviour["plans"] as? [String: [String: Any]]
        #expect(plans?["cmsandboxgracews0000000002"]?["projectLimit"] as? Int == 0)
        #expect(plans?["cmsandboxadaws000000000001"]?["name"] as? String == "Starter")
        #expect(try await client.get("/v1/me", headers: ["Authorization": "Bearer sandbox-service-token"]).status == 404)
        kill(run.process.processIdentifier, SIGTERM)
        let (status, output) = try await run.finish()
        #expect(status == 0)
        #expect(output.contains(#""meAbsent":true"#))

        for bad in [["--rate-limit-burst", "5"], ["--plan", "nameless"], ["--create-latency-ms", "-1"], ["--rate-limit-per-minute", "0"]] {
            let (code, message) = try await ClaimgateProcess.launch(["emulator", "--port", "0"] + bad, environment: [:]).finish()
            #expect(code == 64, "\(bad): \(message)")
            #expect(message.contains("Error:"), "\(bad): \(message)")
        }
    }
}
