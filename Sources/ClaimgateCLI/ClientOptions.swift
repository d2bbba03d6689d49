import ArgumentParser
import Claimgate
import Foundation
import Secrets

/// Where the client commands (`db`, `regions`, `mcp`) find a Claimgate: `--url` / `--api-key`, or
/// `CLAIMGATE_URL` / `CLAIMGATE_API_KEY` (the key is better kept out of the command line, where
/// `ps` shows it).
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of the Claimgate service (default: $CLAIMGATE_URL, else http://localhost:8080).")
    var url: String?

    @Option(help: "Partner API key (default: $CLAIMGATE_API_KEY).")
    var apiKey: String?

    /// The partner client these options describe, or a usage error naming what is missing.
    func client(createWaitBudget: Duration = .seconds(180)) throws -> PartnerClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["CLAIMGATE_URL"] ?? "http://localhost:8080"
        guard let parsed = URL(string: base), let scheme = parsed.scheme, ["http", "https"].contains(scheme.lowercased()), parsed.host != nil else {
            throw ValidationError("--url must be an http(s) URL, got '\(base)'")
        }
        guard let key = apiKey ?? environment["CLAIMGATE_API_KEY"], !key.isEmpty else {
            throw ValidationError("no API key: pass --api-key or set CLAIMGATE_API_KEY (in sandbox mode: cg_sandbox_api_key)")
        }
        return PartnerClient(transport: HTTPPartnerTransport(baseURL: parsed, apiKey: Secret(key)), createWaitBudget: createWaitBudget)
    }
}
