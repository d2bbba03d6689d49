import Foundation
import HTTPServer
import PrismaAPI
import Secrets
import Storage

/// `/admin`: the fleet dashboard, and each database's timeline. Registered only when
/// `CLAIMGATE_ADMIN_PASSWORD` is set (otherwise the paths are unknown: 404).
struct AdminRoutes {
    let database: Database
    let password: Secret
    let clock: any WallClock
    let health: UpstreamHealth
    let pacer: PrismaPacer
    let webhooksConfigured: Bool
    let storageFaults: StorageFaults
    /// `scheme://host[:port]` of the public URL, lower-cased, as browsers send it in `Origin`.
    let publicOrigin: String
    let sessions: AdminSessions
    let pages = AdminPages()

    init(database: Database, password: Secret, clock: any WallClock, health: UpstreamHealth, pacer: PrismaPacer,
         webhooksConfigured: Bool, storageFaults: StorageFaults, publicURL: String, box: SecretBox) {
        self.database = database
        self.password = password
        self.clock = clock
        self.health = health
        self.pacer = pacer
        self.webhooksConfigured = webhooksConfigured
        self.storageFaults = storageFaults
        let components = URLComponents(string: publicURL)
        publicOrigin = ("\(components?.scheme ?? "http")://\(components?.host ?? "")" + (components?.port.map { ":\($0)" } ?? "")).lowercased()
        sessions = AdminSessions(box: box, password: password, clock: clock, secure: publicURL.lowercased().hasPrefix("https://"))
    }

    func register(in router: inout Router) {
        var headers = HTTPHeaders()
        headers.set("Content-Security-Policy", pages.frame.contentSecurityPolicy(formAction: "'self'"))
        headers.set("Referrer-Policy", "no-referrer")
        headers.set("X-Content-Type-Options", "nosniff")
        headers.set("X-Frame-Options", "DENY")
        headers.set("Cache-Control", "no-store")
        let authentication = AdminAuthentication(
            password: password, limiter: RateLimiter(perMinute: AdminAuthentication.attemptsPerMinute, clock: clock),
            sessions: sessions, pages: pages)
        let open: [any HTTPMiddleware] = [PageSecurityHeaders(headers: headers), StorageFailurePage(
            storageFaults: storageFaults, retryAfterSeconds: 5, html: pages.message(
                title: "The database is not answering", "Claimgate could not read its database. Try again in a moment."))]
        let chain = open + [authentication]
        registerSignIn(in: &router, middleware: open, authentication: authentication)
        router.get("/admin", middleware: chain) { request in
            let now = clock.milliseconds()
            let fleet = try await database.read { try FleetSnapshot.load(now: now, in: $0) }
            let prisma = AdminPages.PrismaHealth(
                status: health.status, consecutiveFailures: health.consecutiveFailures,
                rateLimited: await pacer.rateLimited, pacedCalls: await pacer.delayed)
            return .html(pages.dashboard(fleet, now: now, prisma: prisma, webhooksConfigured: webhooksConfigured,
                                         signedIn: sessions.isSignedIn(request.headers.values("Cookie"))))
        }
        router.get("/admin/databases", middleware: chain) { request in
            // The dashboard's "find" form: on to the timeline.
            guard let id = request.queryValue("id")?.trimmingCharacters(in: .whitespaces), AdminRoutes.isDatabaseID(id) else {
                return .html(pages.message(title: "No such database", "Enter a database id such as cgdb_…"), status: 404)
            }
            return .seeOther("/admin/databases/\(id)")
        }
        router.get("/admin/databases/:id", middleware: chain) { request in
            let id = request.pathParameters["id"] ?? ""
            guard AdminRoutes.isDatabaseID(id) else {
                return .html(pages.message(title: "No such database", "There is no database with this id."), status: 404)
            }
            let found = try await database.read { db -> (DatabaseRecord, [EventRecord])? in
                guard let record = try DatabasesRepository.find(id, in: db) else { return nil }
                return (record, try AdminQueries.timeline(databaseId: id, limit: 500, in: db))
            }
            guard let (record, events) = found else {
                return .html(pages.message(title: "No such database", "There is no database with this id."), status: 404)
            }
            return .html(pages.timeline(record, events: events, webhooksConfigured: webhooksConfigured))
        }
    }

    /// `GET`/`POST /admin/login` (the form) and `POST /admin/logout`.
    func registerSignIn(in router: inout Router, middleware: [any HTTPMiddleware], authentication: AdminAuthentication) {
        router.get("/admin/login", middleware: middleware) { _ in
            authentication.signInPage(status: 200, problem: nil, challenge: false)
        }
        router.post("/admin/login", middleware: middleware) { request in
            if let refused = authentication.throttle(request) { return refused }
            // Only our own form signs in (no login CSRF): the same rule as the claim pages' forms.
            guard isFromOwnPage(request) else {
                return .html(pages.message(title: "Sign in from the dashboard", "This request came from another site."), status: 403)
            }
            let form = FormEncoding.decode(String(decoding: request.body, as: UTF8.self)).filter { $0.name == "password" }
            guard form.count == 1, authentication.matches("admin:" + form[0].value) else {
                request.logger.notice("admin sign-in refused", metadata: ["remote": "\(request.remoteAddress ?? "unknown")"])
                return authentication.signInPage(status: 401, problem: "That password is not right.", challenge: false)
            }
            return .seeOther("/admin", headers: ["Set-Cookie": sessions.start()])
        }
        router.post("/admin/logout", middleware: middleware) { request in
            guard isFromOwnPage(request) else {
                return .html(pages.message(title: "Sign out from the dashboard", "This request came from another site."), status: 403)
            }
            var response = HTTPResponse.html(pages.message(title: "Signed out", "You are signed out of the fleet dashboard."))
            response.headers.set("Set-Cookie", sessions.end())
            return response
        }
    }

    /// `Sec-Fetch-Site` same-origin (or none), else an `Origin` equal to the public URL's; requests
    /// with neither (older browsers, tools) pass — the password is what protects the dashboard.
    func isFromOwnPage(_ request: HTTPRequest) -> Bool {
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased() { return site == "same-origin" || site == "none" }
        if let origin = request.headers["Origin"]?.lowercased(), origin != "null" { return origin == publicOrigin }
        return true
    }

    static func isDatabaseID(_ id: String) -> Bool {
        id.hasPrefix("cgdb_") && id.count <= 64 && id.dropFirst(5).allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }
}

