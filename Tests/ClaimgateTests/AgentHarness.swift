import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `claimgate` executable run as a client (`db`, `regions`, `prisma`): stdout and stderr
/// kept apart, as the commands promise documents on one and problems on the other.
struct ClientRun {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Runs `claimgate <arguments>` with only `environment` set among the CLAIMGATE_/PRISMA_ variables,
    /// waiting (bounded) for it to exit.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ClientRun {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CLAIMGATE_") && !$0.key.hasPrefix("PRISMA_") }
        env.merge(environment) { _, new in new }
        let directory = TestPaths.temporaryDirectory()
        let out = directory.appendingPathComponent("stdout").path, err = directory.appendingPathComponent("stderr").path
        let process = try SpawnedProcess(path: TestPaths.claimgateBinary, arguments: arguments, environment: env,
                                         directory: TestPaths.packageRoot.path, input: -1, output: out, errors: err)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate(); Issue.record("claimgate \(arguments.joined(separator: " ")) did not exit in time") }
        process.waitUntilExit()
        return ClientRun(status: process.terminationStatus,
                         stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// An MCP client over stdio, as an agent host runs one: it spawns `claimgate mcp`, writes one
/// JSON-RPC message per line to its stdin and reads one per line from its stdout.
struct MCPStdioClient {
    let process: SpawnedProcess
    let stdout: URL
    let stderr: URL
    /// The write end of the child's stdin.
    let input: Int32

    static func launch(_ arguments: [String], environment: [String: String]) throws -> MCPStdioClient {
        signal(SIGPIPE, SIG_IGN)  // a child that died must fail a test, not kill the test process
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CLAIMGATE_") && !$0.key.hasPrefix("PRISMA_") }
        env.merge(environment) { _, new in new }
        let directory = TestPaths.temporaryDirectory()
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        defer { close(fds[0]) }  // the child has its own copy as stdin
        do {
            let process = try SpawnedProcess(path: TestPaths.claimgateBinary, arguments: arguments, environment: env,
                                             directory: TestPaths.packageRoot.path, input: fds[0], output: out.path, errors: err.path)
            return MCPStdioClient(process: process, stdout: out, stderr: err, input: fds[1])
        } catch {
            close(fds[1])
            throw error
        }
    }

    /// Writes one line to the server's stdin.
    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            guard written > 0 else { Issue.record("cannot write to claimgate mcp: errno \(errno)"); return }
            offset += written
        }
    }

    /// Every complete line the server printed so far, parsed.
    func messages() -> [[String: Any]] {
        let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? ["unparseable": String(line)]
        }
    }

    /// Waits (bounded) for the message that `matches`.
    func message(within limit: Duration = .seconds(30), where matches: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let found = messages().first(where: matches) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no matching message from claimgate mcp; stdout: \(messages()); stderr: \((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")")
        return [:]
    }

    /// Sends a request and waits for the answer with its id.
    func request(_ id: Int, _ method: String, _ params: String = "{}") async throws -> [String: Any] {
        send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        return try await message { ($0["id"] as? Int) == id }
    }

    /// Closes stdin and waits (bounded) for the exit status; a server still running is terminated.
    func finish(timeout: Duration = .seconds(20)) async throws -> Int32 {
        close(input)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate(); Issue.record("claimgate mcp did not exit at end of input") }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A nested member: `reply.at("result", "structuredContent", "id")`.
    func at(_ path: String...) -> Any? {
        var current: Any? = self
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}
