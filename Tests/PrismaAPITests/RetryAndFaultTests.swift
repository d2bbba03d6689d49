import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import Testing

@Suite("Retries, timeouts and fault injection")
struct RetryAndFaultTests {
    @Test("reads retry through 5xx and dropped connections, counted at the emulator")
    func readsRetry() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "GET /v1/regions/postgres", status: 503, times: 2))
        let regions = try await h.management.postgresRegions(token: h.service)
        #expect(regions.count == 6)
        #expect(h.emulator.callCount("GET /v1/regions/postgres") == 3)
        h.emulator.inject(Fault(route: "GET /v1/me", drop: true, times: 1))
        _ = try await h.management.me(token: h.service)
        #expect(h.emulator.callCount("GET /v1/me") == 2)
    }

    @Test("retries stop at the policy's limit and surface the last error")
    func retryLimit() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "GET /v1/workspaces", status: 500, times: 10))
        do {
            _ = try await h.management.workspaces(token: h.service)
            Issue.record("succeeded through 10 faults")
        } catch {
            #expect(error.kind == .server && error.status == 500 && error.isTransient)
        }
        #expect(h.emulator.callCount("GET /v1/workspaces") == 4)
    }

    @Test("create is never retried after a 5xx or a lost reply, and says it may have been applied")
    func createNotRetried() async throws {
        let h = try Harness.start(timeout: .seconds(60))
        let started = ContinuousClock.now
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "POST /v1/projects", status: 500))
        do {
            _ = try await h.management.createProject(name: "x", region: nil, logicalId: "cg-1", token: h.service)
            Issue.record("create succeeded")
        } catch {
            #expect(error.kind == .server && error.mayHaveBeenApplied)
        }
        #expect(h.emulator.callCount("POST /v1/projects") == 1)
        #expect(h.emulator.projects.isEmpty)
        // Applied, then the connection drops: the project exists, and only the logicalId finds it.
        h.emulator.inject(Fault(route: "POST /v1/projects", drop: true, afterApply: true))
        do {
            _ = try await h.management.createProject(name: "y", region: nil, logicalId: "cg-2", token: h.service)
            Issue.record("create succeeded")
        } catch {
            #expect(error.kind == .network && error.mayHaveBeenApplied)
        }
        #expect(h.emulator.callCount("POST /v1/projects") == 2)
        #expect(h.emulator.projects.count == 1)
        #expect(ContinuousClock.now - started < .seconds(30))  // a dropped answer is seen at once, not at the 60 s timeout
        #expect(try await h.management.findProject(logicalId: "cg-2", token: h.service) != nil)
    }

    @Test("a 429 is retried even for create, after Retry-After")
    func retryAfterHonoured() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "POST /v1/projects", status: 429, retryAfterSeconds: 1))
        let started = ContinuousClock.now
        let project = try await h.management.createProject(name: "later", region: nil, logicalId: nil, token: h.service)
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(project.name == "later")
        #expect(h.emulator.callCount("POST /v1/projects") == 2)
        #expect(h.emulator.projects.count == 1)
    }

    @Test("a Retry-After beyond the policy's ceiling is not waited for")
    func retryAfterTooLong() async throws {
        let h = try Harness.start(retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxRetryAfter: .seconds(2)))
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "GET /v1/me", status: 429, retryAfterSeconds: 60))
        let started = ContinuousClock.now
        do {
            _ = try await h.management.me(token: h.service)
            Issue.record("succeeded")
        } catch {
            #expect(error.kind == .rateLimited && error.retryAfter == .seconds(60))
        }
        // The 60 s wait is refused: far below it even on a loaded machine (the answer itself is immediate).
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(h.emulator.callCount("GET /v1/me") == 1)
    }

    @Test("transfer and deletes: transfer never retried on 5xx; delete retried and a lost delete reads as gone")
    func transferAndDelete() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let project = try await h.management.createProject(name: "t", region: nil, logicalId: nil, token: h.service)
        let user = try await h.userTokens()
        h.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", status: 502))
        await #expect(throws: PrismaError.self) {
            try await h.management.transferProject(id: project.id, recipientAccessToken: user.accessToken, token: h.service)
        }
        #expect(h.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
        h.emulator.inject(Fault(route: "DELETE /v1/projects/:id", status: 500, afterApply: true))
        do {
            try await h.management.deleteProject(id: project.id, token: h.service)
            Issue.record("delete reported success although the retry saw 404")
        } catch {
            #expect(error.kind == .notFound)
        }
        #expect(h.emulator.callCount("DELETE /v1/projects/:id") == 2)
        #expect(h.emulator.projects.isEmpty)
    }

    @Test("a slow answer times out; reads retry it, then give up")
    func timeouts() async throws {
        let h = try Harness.start(
            retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5)), timeout: .seconds(1))
        defer { Task { await h.emulator.stop() } }
        h.emulator.inject(Fault(route: "GET /v1/me", latencyMs: 60_000, times: 2))
        let started = ContinuousClock.now
        do {
            _ = try await h.management.me(token: h.service)
            Issue.record("no timeout")
        } catch {
            #expect(error.kind == .timeout && error.isTransient && error.mayHaveBeenApplied)
        }
        let elapsed = ContinuousClock.now - started
        // Two 1 s attempts, never the 60 s answers: the upper bound leaves a loaded machine lots of room.
        #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(30))
        #expect(h.emulator.callCount("GET /v1/me") == 2)
    }

    @Test("faults can be scripted over HTTP too")
    func controlOverHTTP() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let fault = Data(#"{"route":"GET /v1/regions/postgres","status":500,"times":1}"#.utf8)
        #expect(try await h.http.send("POST", "/__emulator/faults", body: fault).status == 204)
        _ = try await h.management.postgresRegions(token: h.service)
        let calls = try await h.http.get("/__emulator/calls").json()
        #expect(calls["GET /v1/regions/postgres"] as? Int == 2)
        #expect(try await h.http.send("POST", "/__emulator/faults", body: Data("{}".utf8)).status == 400)
    }
}
