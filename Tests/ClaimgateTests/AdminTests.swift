import Claimgate
import Foundation
import PrismaAPI
import TestSupport
import Testing

/// The fleet dashboard at `/admin`, over the real server.
@Suite("Fleet dashboard")
struct AdminTests {
    static let password = "a-long-admin-password"
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("off without a password: /admin is unknown")
    func offByDefault() async throws {
        try await withApp { app in
            let plain = try await app.admin("/admin")
            let withCredentials = try await app.admin("/admin", AdminTests.basic("admin", ""))
            #expect(plain.status == 404)
            #expect(withCredentials.status == 404)
        }
    }

    @Test("401 without or with wrong credentials; with them: counts, the funnel chart, failures, and a timeline; never the password")
    func dashboard() async throws {
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password]) { app in
            let missing = try await app.admin("/admin")
            #expect(missing.status == 401)
            #expect(missing.text.lowercased().contains(#"www-authenticate: basic realm="claimgate admin", charset="utf-8""#))
            #expect(try await app.admin("/admin", AdminTests.basic("admin", "wrong-password-here")).status == 401)
            #expect(try await app.admin("/admin", AdminTests.basic("root", AdminTests.password)).status == 401)
            #expect(try await app.admin("/admin", "Basic !!!").status == 401)
            #expect(try await app.admin("/admin/databases/cgdb_x").status == 401)
            // A funnel: three provisioned, two opened, one started, none claimed; one deleted by its user.
            var urls: [String] = []
            var ids: [String] = []
            for name in ["alpha", "beta", "gamma"] {
                let json = try await app.provision(#"{"name":"\#(name)","region":"eu-west-3"}"#).json()
                urls.append(try #require(json["claimUrl"] as? String))
                ids.append(try #require(json["id"] as? String))
            }
            _ = try await app.client.get(Browser.local(urls[0]))
            _ = try await app.client.get(Browser.local(urls[1]))
            var browser = Browser(app)
            _ = try await browser.start(urls[1])
            #expect(try await app.client.send("DELETE", "/v1/databases/\(ids[2])", headers: sandboxKey).status == 200)
            let page = try await app.admin("/admin", AdminTests.basic("admin", AdminTests.password))
            #expect(page.status == 200)
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.hasPrefix("default-src 'none'; style-src 'sha256-"))
            #expect(!policy.contains("script"))
            #expect(page.text.contains("<dt>Ready</dt><dd>2</dd>"))
            #expect(page.text.contains("<dt>Deleted</dt><dd>1</dd>"))
            #expect(page.text.components(separatedBy: "<svg class=\"chart\"").count == 3)
            #expect(page.text.contains("<tr><th scope=\"row\">Provisioned</th><td>3</td><td>100%</td></tr>"))
            #expect(page.text.contains("<tr><th scope=\"row\">Link opened</th><td>2</td><td>67%</td></tr>"))
            #expect(page.text.contains("<tr><th scope=\"row\">Claim started</th><td>1</td><td>33%</td></tr>"))
            #expect(page.text.contains("<tr><th scope=\"row\">Claimed</th><td>0</td><td>0%</td></tr>"))
            #expect(page.text.contains("Europe (Paris)"))
            #expect(page.text.contains("<script") == false)
            for secret in [AdminTests.password, Application.sandboxAPIKey, "postgres://"] { #expect(!page.text.contains(secret)) }
            #expect(!urls.contains { page.text.contains(String($0.split(separator: "/").last ?? "")) })
            // A database's timeline.
            let timeline = try await app.admin("/admin/databases/\(ids[1])", AdminTests.basic("admin", AdminTests.password))
            #expect(timeline.status == 200)
            for type in ["database.ready", "database.claim_link_opened", "database.claim_started"] { #expect(timeline.text.contains(type)) }
            let find = try await app.admin("/admin/databases?id=\(ids[2])", AdminTests.basic("admin", AdminTests.password))
            #expect(find.status == 303)
            #expect(find.header("Location") == "/admin/databases/\(ids[2])")
            let deleted = try await app.admin("/admin/databases/\(ids[2])", AdminTests.basic("admin", AdminTests.password))
            #expect(deleted.text.contains("Deleted by</dt><dd>partner"))
            #expect(try await app.admin("/admin/databases/cgdb_nothing", AdminTests.basic("admin", AdminTests.password)).status == 404)
            #expect(!app.logs.lines.joined().contains(AdminTests.password))
        }
    }

    @Test("the login form: a session cookie (HttpOnly, SameSite=Strict) after the right password, none after a wrong one or from another site; sign-out clears it; it lasts 12 h")
    func loginForm() async throws {
        let clock = ManualClock()
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password], clock: clock) { app in
            let challenge = try await app.admin("/admin")
            #expect(challenge.status == 401 && challenge.text.contains(#"<form class="find" method="post" action="/admin/login">"#))
            let form = ["Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"]
            let wrong = try await app.admin("/admin/login", method: "POST", headers: form, body: "password=nope-nope-nope")
            #expect(wrong.status == 401 && wrong.text.contains("That password is not right."))
            #expect(wrong.header("Set-Cookie") == nil && wrong.header("WWW-Authenticate") == nil)
            let formPage = try await app.admin("/admin/login")
            #expect(formPage.status == 200 && formPage.header("WWW-Authenticate") == nil && formPage.text.contains(#"type="password""#))
            let body = "password=" + FormEncoding.escape(AdminTests.password)
            let foreign = try await app.admin("/admin/login", method: "POST", headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"], body: body)
            #expect(foreign.status == 403 && foreign.header("Set-Cookie") == nil)
            let signedIn = try await app.admin("/admin/login", method: "POST", headers: form, body: body)
            #expect(signedIn.status == 303 && signedIn.header("Location") == "/admin")
            let setCookie = try #require(signedIn.header("Set-Cookie"))
            #expect(setCookie.contains("; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"))
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
            #expect(cookie.wholeMatch(of: /claimgate_admin=[0-9]{13}\.[A-Za-z0-9_-]{43}/) != nil, "\(cookie)")
            let page = try await app.admin("/admin", headers: ["Cookie": cookie])
            #expect(page.status == 200 && page.text.contains("Sign out"))
            #expect(try await app.admin("/admin", headers: ["Cookie": cookie + "x"]).status == 401)
            let out = try await app.admin("/admin/logout", method: "POST", headers: ["Cookie": cookie, "Sec-Fetch-Site": "same-origin"])
            #expect(out.status == 200 && out.header("Set-Cookie") == "claimgate_admin=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
            // The cookie is checked, not looked up: any replica accepts it until it expires (12 h).
            clock.advance(by: 43_199)
            #expect(try await app.admin("/admin", headers: ["Cookie": cookie]).status == 200)
            clock.advance(by: 2)
            #expect(try await app.admin("/admin", headers: ["Cookie": cookie]).status == 401)
        }
    }

    @Test("one address gets 30 tries a minute, then 429 even with the right password")
    func rateLimited() async throws {
        // A clock that stands still: the bucket refills only when the test says so, however slow the machine.
        let clock = ManualClock()
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password], clock: clock) { app in
            var statuses: [Int] = []
            for attempt in 0..<31 {
                statuses.append(try await app.admin("/admin", AdminTests.basic("admin", "guess-\(attempt)-xxxxx")).status)
            }
            #expect(statuses.filter { $0 == 401 }.count == 30)
            #expect(statuses.last == 429)
            let right = try await app.admin("/admin", AdminTests.basic("admin", AdminTests.password))
            #expect(right.status == 429)
            #expect(right.header("Retry-After") != nil)
            clock.advance(by: 2)  // one try back
            #expect(try await app.admin("/admin", AdminTests.basic("admin", AdminTests.password)).status == 200)
        }
    }
}

extension RunningApp {
    /// One request over a raw socket: URLSession on Linux stalls on a `401` that asks for Basic credentials.
    func admin(_ path: String, _ authorization: String? = nil, method: String = "GET", headers: [String: String] = [:],
               body: String = "") async throws -> AdminReply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if method == "POST" { head += "Content-Length: \(body.utf8.count)\r\n" }
        let result = try await RawHTTP.exchange(port: application.server.port, head + "\r\n" + body, timeout: 10)
        return AdminReply(status: result.statuses.first ?? 0, text: result.text)
    }
}

struct AdminReply {
    let status: Int
    /// The whole answer, head and body.
    let text: String

    func header(_ name: String) -> String? {
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        for line in head.components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

extension AdminTests {
    @Test("a session cookie from another key or for another password is refused: replicas share the encryption key, and a new password signs everyone out")
    func sessionBoundToKeyAndPassword() async throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let form = ["Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"]
        func cookie(_ app: RunningApp, _ password: String) async throws -> String {
            let reply = try await app.admin("/admin/login", method: "POST", headers: form, body: "password=" + FormEncoding.escape(password))
            return try #require(reply.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        }
        let issued = try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password, "CLAIMGATE_ENCRYPTION_KEY": key]) { app in
            try await cookie(app, AdminTests.password)
        }
        // Another replica (another process, same key and password) accepts it.
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password, "CLAIMGATE_ENCRYPTION_KEY": key]) { app in
            let reply = try await app.admin("/admin", headers: ["Cookie": issued])
            #expect(reply.status == 200)
        }
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password + "-new", "CLAIMGATE_ENCRYPTION_KEY": key]) { app in
            let reply = try await app.admin("/admin", headers: ["Cookie": issued])
            #expect(reply.status == 401)
        }
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password,
                           "CLAIMGATE_ENCRYPTION_KEY": Data(repeating: 8, count: 32).base64EncodedString()]) { app in
            let reply = try await app.admin("/admin", headers: ["Cookie": issued])
            #expect(reply.status == 401)
        }
    }
}
