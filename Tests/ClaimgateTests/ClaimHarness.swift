import Claimgate
import Foundation
import PrismaAPI
import PrismaEmulator
import TestSupport
import Testing

/// A browser, as far as the claim flow cares: it keeps the claim cookie and follows the steps.
struct Browser {
    let app: RunningApp
    var cookie: String?

    init(_ app: RunningApp) { self.app = app }

    /// The path and query of a URL, sent to the app (the public URL's port may be a placeholder).
    static func local(_ url: String) -> String {
        let components = URLComponents(string: url)!
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    var cookieHeader: [String: String] { cookie.map { ["Cookie": "claimgate_oauth=\($0)"] } ?? [:] }

    /// POST /claim/<token>: returns the authorize URL and keeps the cookie.
    mutating func start(_ claimURL: String, headers: [String: String] = [:]) async throws -> URL? {
        let reply = try await app.client.send("POST", Browser.local(claimURL), headers: headers.merging(cookieHeader) { $1 })
        guard reply.status == 303, let location = reply.header("Location") else { return nil }
        if let set = reply.header("Set-Cookie"), let value = set.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last {
            cookie = String(value)
        }
        return URL(string: location)
    }

    /// The emulator's consent page, answered; returns the callback URL Prisma sends the browser to.
    func consent(_ authorize: URL, user: Int = 0, workspace: Int = 0, decision: String = "approve") async throws -> String {
        try await Browser.consent(at: app.emulator, authorize, user: user, workspace: workspace, decision: decision)
    }

    /// The same, at any emulator (a Claimgate running as its own process, too).
    static func consent(at prisma: PrismaEmulator, _ authorize: URL, user: Int = 0, workspace: Int = 0,
                        decision: String = "approve") async throws -> String {
        let emulator = TestClient(baseURL: prisma.baseURL)
        let page = try await emulator.get(Browser.local(authorize.absoluteString))
        #expect(page.status == 200)
        let person = prisma.configuration.users[user]
        var form = URLComponents(url: authorize, resolvingAgainstBaseURL: false)!.queryItems ?? []
        form.append(URLQueryItem(name: "account", value: "\(person.id)/\(person.workspaces[workspace].id)"))
        form.append(URLQueryItem(name: "decision", value: decision))
        let body = form.map { "\(FormEncoding.escape($0.name))=\(FormEncoding.escape($0.value ?? ""))" }.joined(separator: "&")
        let reply = try await emulator.send("POST", "/authorize", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(body.utf8))
        #expect(reply.status == 302)
        return reply.header("Location") ?? ""
    }

    /// Follows Prisma's redirect back to Claimgate.
    func callback(_ url: String, cookie override: String? = nil) async throws -> TestClient.Reply {
        var headers = cookieHeader
        if let override { headers = ["Cookie": "claimgate_oauth=\(override)"] }
        return try await app.client.send("GET", Browser.local(url), headers: headers)
    }

    /// Provision → claim page → sign-in → callback URL (not yet followed).
    mutating func upToCallback(name: String = "to-claim") async throws -> (claimURL: String, callback: String, databaseID: String) {
        let json = try await app.provision(#"{"name":"\#(name)"}"#).json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let authorize = try #require(try await start(claimURL))
        return (claimURL, try await consent(authorize), json["id"] as? String ?? "")
    }
}

extension RunningApp {
    /// Token exchanges and transfers Prisma has seen.
    var upstreamClaimCalls: Int {
        emulator.callCount("POST /token") + emulator.callCount("POST /v1/projects/:id/transfer")
    }

    func status(_ id: String) async throws -> String? {
        try await client.get("/v1/databases/\(id)", headers: sandboxKey).json()["status"] as? String
    }
}

func title(_ reply: TestClient.Reply) -> String {
    guard let start = reply.text.range(of: "<h1>"), let end = reply.text.range(of: "</h1>") else { return "" }
    return String(reply.text[start.upperBound..<end.lowerBound])
}
