import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several `claimgate serve` processes on one PostgreSQL database, one Prisma emulator, one
/// webhook receiver, and nginx in front of them (round robin), as a partner would deploy them.
final class ReplicaSet: @unchecked Sendable {
    // @unchecked: `processes` is only touched from the test's own task (the killer and the
    // final stop run one after the other).
    let emulator: PrismaEmulator
    let receiver: WebhookReceiver
    let databaseURL: String
    let ports: [UInt16]
    let proxyPort: UInt16
    let directory: URL
    var processes: [ClaimgateProcess?]
    var nginx: SpawnedProcess?
    static let apiKey = "replica-test-key-0123456789"

    var proxy: TestClient { TestClient(port: proxyPort) }
    var publicURL: String { "http://127.0.0.1:\(proxyPort)" }

    init(replicas: Int, leaseSeconds: Int = 3) async throws {
        directory = TestPaths.temporaryDirectory().appendingPathComponent("replicas")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        proxyPort = try freePort()
        var configuration = EmulatorConfiguration()
        configuration.clients[0].redirectURIs.append("http://127.0.0.1:\(proxyPort)/oauth/callback")
        emulator = PrismaEmulator(configuration: configuration)
        _ = try emulator.start(host: "127.0.0.1", port: 0)
        receiver = try WebhookReceiver()
        databaseURL = try await TestPostgres.databaseURL(for: directory.path)
        ports = try (0..<replicas).map { _ in try freePort() }
        processes = Array(repeating: nil, count: replicas)
        self.leaseSeconds = leaseSeconds
    }

    let leaseSeconds: Int

    func environment(port: UInt16) -> [String: String] {
        let client = emulator.configuration.clients[0]
        return [
            "CLAIMGATE_PORT": "\(port)", "CLAIMGATE_DATABASE_URL": databaseURL, "CLAIMGATE_PUBLIC_URL": publicURL,
            "CLAIMGATE_API_KEYS": ReplicaSet.apiKey,
            "CLAIMGATE_ENCRYPTION_KEY": Data(repeating: 7, count: 32).base64EncodedString(),
            "CLAIMGATE_PROVISIONING_RECOVERY_INTERVAL_SECONDS": "1",
            "CLAIMGATE_PROVISIONING_SETTLE_SECONDS": "2",
            "CLAIMGATE_PROVISIONING_LEASE_SECONDS": "\(leaseSeconds)",
            "CLAIMGATE_LIFECYCLE_WEBHOOK_INTERVAL_SECONDS": "1",
            "CLAIMGATE_WEBHOOK_URL": receiver.url, "CLAIMGATE_WEBHOOK_SIGNING_SECRET": WebhookReceiver.secret,
            "CLAIMGATE_CLAIMS_RATE_LIMIT_PER_MINUTE": "100000",
            "PRISMA_RATE_LIMIT_PER_MINUTE": "100000", "PRISMA_RATE_LIMIT_BURST": "10000",
            "PRISMA_API_URL": emulator.baseURL, "PRISMA_AUTH_URL": emulator.baseURL,
            "PRISMA_SERVICE_TOKEN": emulator.configuration.serviceToken,
            "PRISMA_CLIENT_ID": client.id, "PRISMA_CLIENT_SECRET": client.secret,
            "CLAIMGATE_LOG_LEVEL": "warning",
        ]
    }

    /// Starts replica `index` and waits (bounded) until it is ready.
    func launch(_ index: Int) async throws {
        let process = try ClaimgateProcess.launch(["serve"], environment: environment(port: ports[index]))
        processes[index] = process
        let client = TestClient(port: ports[index])
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await client.get("/readyz"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("replica \(index) did not become ready: \(process.printed)")
    }

    /// SIGKILL: no drain, no flush, nothing finished — what a crashed node does.
    func kill(_ index: Int) {
        guard let process = processes[index] else { return }
        Glibc.kill(process.process.processIdentifier, SIGKILL)
        process.process.waitUntilExit()
        processes[index] = nil
    }

    /// nginx, round robin over the replicas; a refused connection tries the next one.
    func startProxy() throws {
        let servers = ports.map { "    server 127.0.0.1:\($0) max_fails=0;" }.joined(separator: "\n")
        let path = directory.path
        let config = """
            worker_processes 1;
            daemon off;
            pid \(path)/nginx.pid;
            error_log \(path)/nginx-error.log warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path \(path)/body; proxy_temp_path \(path)/proxy;
              fastcgi_temp_path \(path)/fastcgi; uwsgi_temp_path \(path)/uwsgi; scgi_temp_path \(path)/scgi;
              upstream claimgate {
            \(servers)
                keepalive 16;
              }
              server {
                listen 127.0.0.1:\(proxyPort);
                location / {
                  proxy_pass http://claimgate;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host $http_host;
                  proxy_connect_timeout 1s;
                  proxy_read_timeout 60s;
                  proxy_next_upstream error timeout http_502 non_idempotent;
                }
              }
            }
            """
        try config.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw ReplicaSetError(reason: "nginx is not installed (scripts/install-deps --test)") }
        nginx = try SpawnedProcess(path: binary, arguments: ["-p", path, "-c", "\(path)/nginx.conf"], environment: [:],
                                   directory: path, output: "\(path)/nginx.out")
    }

    func stop() async {
        for index in processes.indices { kill(index) }
        nginx?.terminate()
        nginx?.waitUntilExit()
        await emulator.stop()
        await receiver.server.stop()
    }
}

struct ReplicaSetError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
