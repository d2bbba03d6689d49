import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport

/// An emulator on an ephemeral loopback port plus clients pointed at it.
struct Harness {
    let emulator: PrismaEmulator
    let management: ManagementClient
    let oauth: OAuthClient
    let service: Secret
    let redirectURI = "http://localhost:9999/oauth/callback"

    static func start(retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)),
                      timeout: Duration = .seconds(5), createTimeout: Duration = .seconds(120),
                      behaviour: EmulatorBehaviour = EmulatorBehaviour()) throws -> Harness {
        var configuration = EmulatorConfiguration()
        configuration.behaviour = behaviour
        let emulator = PrismaEmulator(configuration: configuration)
        let url = URL(string: try emulator.start())!
        let transport = AsyncHTTPClientTransport()
        let client = emulator.configuration.clients[0]
        return Harness(
            emulator: emulator,
            management: ManagementClient(baseURL: url, transport: transport, userAgent: "claimgate-tests/1", retry: retry,
                                         timeout: timeout, createTimeout: createTimeout),
            oauth: OAuthClient(authURL: url, clientID: client.id, clientSecret: Secret(client.secret), transport: transport, userAgent: "claimgate-tests/1"),
            service: Secret(emulator.configuration.serviceToken))
    }

    var http: TestClient { TestClient(baseURL: emulator.baseURL) }

    /// The partner's workspace id as the API spells it.
    var partnerWorkspace: String { "wksp_" + emulator.configuration.partnerWorkspace.id }

    /// Another client of the same emulator with other timeouts (and no retries unless given).
    func client(timeout: Duration, createTimeout: Duration, retry: RetryPolicy = .none) -> ManagementClient {
        ManagementClient(baseURL: management.baseURL, transport: AsyncHTTPClientTransport(), userAgent: "claimgate-tests/1",
                         retry: retry, timeout: timeout, createTimeout: createTimeout)
    }

    /// Runs the consent page as a browser would and returns the redirect's query items.
    func authorize(
        user: Int = 0, workspace: Int = 0, decision: String = "approve", scope: String = "workspace:admin offline_access",
        verifier: Secret = PKCE.makeVerifier(), state: String = "state-\(UUID().uuidString)"
    ) async throws -> [String: String] {
        let url = oauth.authorizationURL(redirectURI: redirectURI, scope: scope, state: Secret(state),
                                         codeChallenge: PKCE.challenge(for: verifier.value))
        let page = try await http.get(url.path + "?" + (url.query ?? ""))
        guard page.status == 200 else { return ["status": String(page.status)] }
        let person = emulator.configuration.users[user]
        var form = URLComponents(string: url.absoluteString)!.queryItems ?? []
        form.append(URLQueryItem(name: "account", value: "\(person.id)/\(person.workspaces[workspace].id)"))
        form.append(URLQueryItem(name: "decision", value: decision))
        let body = form.map { "\(FormEncoding.escape($0.name))=\(FormEncoding.escape($0.value ?? ""))" }.joined(separator: "&")
        let reply = try await http.send("POST", "/authorize", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(body.utf8))
        guard reply.status == 302, let location = reply.header("Location"), let components = URLComponents(string: location) else {
            return ["status": String(reply.status)]
        }
        var items: [String: String] = ["location": location]
        for item in components.queryItems ?? [] { items[item.name] = item.value }
        return items
    }

    /// A signed-in user's tokens (consent + code exchange).
    func userTokens(user: Int = 0, workspace: Int = 0) async throws -> OAuthTokens {
        let verifier = PKCE.makeVerifier()
        let redirect = try await authorize(user: user, workspace: workspace, verifier: verifier)
        return try await oauth.exchangeCode(Secret(redirect["code"] ?? ""), codeVerifier: verifier, redirectURI: redirectURI)
    }
}
