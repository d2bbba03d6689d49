import Foundation

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
    public func validate(against spec: String) throws -> (status: Int32, output: String) {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("samples.json")
        try JSONSerialization.data(withJSONObject: samples).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", TestPaths.packageRoot.appendingPathComponent("Tests/conformance/validate_responses.py").path,
            spec, file.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
