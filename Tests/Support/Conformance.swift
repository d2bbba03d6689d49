import Foundation
import Synchronization

/// Records HTTP answers and checks them against an OpenAPI document with
/// `Tests/conformance/validate_responses.py` (Python `jsonschema`, Draft 2020-12).
public final class ConformanceRecorder: @unchecked Sendable {
    private var samples: [[String: Any]] = []
    public init() {}

    /// Records one answer under its OpenAPI path template.
    public func record(method: String, template: String, status: Int, body: Data) throws {
        let json: Any = body.isEmpty ? NSNull() : try JSONSerialization.jsonObject(with: body)
        samples.append(["method": method, "path": template, "status": status, "body": json])
    }

    public var statuses: Set<Int> { Set(samples.compactMap { $0["status"] as? Int }) }
    public var count: Int { samples.count }

    /// Runs the validator; returns its exit status and output.
    public func validate(against spec: String) async throws -> (status: Int32, output: String) {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("samples.json")
        try JSONSerialization.data(withJSONObject: samples).write(to: file)
        return try await TestProcess.run([
            "python3", TestPaths.packageRoot.appendingPathComponent("Tests/conformance/validate_responses.py").path,
            spec, file.path,
        ])
    }
}

/// Runs helper programs (Python checks, the browser driver) from async tests.
public enum TestProcess {
    /// Runs `arguments` through `/usr/bin/env` and returns the exit status and everything printed.
    /// Waiting happens on a thread of its own: blocking a cooperative-pool thread would starve the
    /// very servers the program talks to.
    public static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let output = TestPaths.temporaryDirectory().appendingPathComponent("output.log").path
        let process = try SpawnedProcess(path: "/usr/bin/env", arguments: arguments,
                                         environment: ProcessInfo.processInfo.environment, directory: nil, output: output)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.waitUntilExit()
                let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                continuation.resume(returning: (process.terminationStatus, printed))
            }
        }
    }
}
