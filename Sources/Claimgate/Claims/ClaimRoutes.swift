import Foundation
import Secrets
import HTTPServer

/// The browser side of claims: `GET/POST /claim/<token>` and `GET /oauth/callback`.
struct ClaimRoutes {
    let service: ClaimService
    /// Deletes a database when its end user asks (the partner's delete, recorded as the user's).
    let provisioning: ProvisioningService
    let pages: ClaimPages
    let confirmation: DeleteConfirmation
    let limiter: RateLimiter
    let storageFaults: StorageFaults
    let securePublicURL: Bool
    /// `scheme://host[:port]` of the public URL, lower-cased, as browsers send it in `Origin`.
    let publicOrigin: String
    let securityHeaders: HTTPHeaders

    init(service: ClaimService, provisioning: ProvisioningService, pages: ClaimPages, confirmation: DeleteConfirmation,
         limiter: RateLimiter, storageFaults: StorageFaults, publicURL: String, authURL: String) {
        self.service = service
        self.provisioning = provisioning
        self.pages = pages
        self.confirmation = confirmation
        self.limiter = limiter
        self.storageFaults = storageFaults
        securePublicURL = publicURL.lowercased().hasPrefix("https://")
        let pub = URLComponents(string: publicURL)
        publicOrigin = ("\(pub?.scheme ?? "http")://\(pub?.host ?? "")" + (pub?.port.map { ":\($0)" } ?? "")).lowercased()
        var headers = HTTPHeaders()
        let auth = URLComponents(string: authURL)
        let origin = "\(auth?.scheme ?? "https")://\(auth?.host ?? "")" + (auth?.port.map { ":\($0)" } ?? "")
        headers.set("Content-Security-Policy", pages.contentSecurityPolicy(authOrigin: origin))
        headers.set("Referrer-Policy", "no-referrer")
        headers.set("X-Content-Type-Options", "nosniff")
        headers.set("X-Frame-Options", "DENY")
        headers.set("Cache-Control", "no-store")
        securityHeaders = headers
    }

    /// `__Host-` cookies must be Secure; plain-HTTP loopback development gets an unprefixed name.
    var cookieName: String { securePublicURL ? "__Host-claimgate_oauth" : "claimgate_oauth" }

    func register(in router: inout Router) {
        let chain: [any HTTPMiddleware] = [
            PageSecurityHeaders(headers: securityHeaders),
            StorageFailurePage(storageFaults: storageFaults, retryAfterSeconds: 30, html: pages.message(
                title: "Claimgate is having trouble",
                "Claimgate could not read or record this step. Nothing was lost: if you just approved the claim at Prisma, it is finished as soon as Claimgate recovers. Please open your claim link again in a minute.")),
            ClientRateLimit(limiter: limiter, pages: pages),
        ]
        router.get("/claim/:token", middleware: chain) { request in
            let token = request.pathParameters["token"] ?? ""
            let state = try await service.inspect(token: token)
            if case .claimable(let record) = state {
                // HEAD (served by this route) is not someone looking at the page.
                if request.method == "GET" { try await service.noteOpened(token: token, record: record) }
                return .html(pages.claim(
                    name: record.name, region: record.region, expiresAt: record.expiresAt,
                    now: service.clock.milliseconds(), action: "/claim/\(token)", deleteLink: "/claim/\(token)/delete"))
            }
            return linkPage(state)
        }
        registerDelete(in: &router, chain: chain)
        router.post("/claim/:token", middleware: chain) { request in
            guard isFromOwnPage(request) else {
                return page(403, pages.message(
                    title: "Start the claim from its own page",
                    "This request came from another site. Open your claim link directly and press the button there."))
            }
            let token = request.pathParameters["token"] ?? ""
            let nonce = cookie(request).flatMap { SecureRandom.isToken($0) ? $0 : nil } ?? SecureRandom.token()
            switch try await service.start(token: token, browserNonce: nonce) {
            case .redirect(let url):
                var flags = "HttpOnly; SameSite=Lax; Path=/; Max-Age=600"
                if securePublicURL { flags += "; Secure" }
                return .seeOther(url.absoluteString, headers: ["Set-Cookie": "\(cookieName)=\(nonce); \(flags)"])
            case .notClaimable(let state):
                return linkPage(state)
            case .unavailable:
                return .html(pages.message(
                    title: "Claiming is unavailable", "Claimgate cannot start a Prisma sign-in right now. Please try again later."), status: 503)
            }
        }
        router.get("/oauth/callback", middleware: chain) { request in
            // HEAD (which the router serves with GET) must not consume a sign-in.
            guard request.method == "GET" else { return page(405, pages.message(title: "Not allowed", "Use the link Prisma sent you back with.")) }
            guard let parameters = callbackParameters(request) else {
                return result(.rejected("The sign-in answer is malformed."))
            }
            return result(try await service.callback(parameters, browserNonce: cookie(request)))
        }
    }

    /// A claim starts only from our own page (a third-party page must not push a user into Prisma's
    /// consent screen). Browsers that send `Sec-Fetch-Site` are trusted on it: `same-origin` (and
    /// `none`, a user's own navigation) pass, `cross-site` and `same-site` are refused. Otherwise an
    /// `Origin` must be the public URL's — except `null`, which our own pages make browsers send
    /// (they are `Referrer-Policy: no-referrer`). Requests with neither header (older browsers)
    /// are allowed.
    func isFromOwnPage(_ request: HTTPRequest) -> Bool {
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased() {
            return site == "same-origin" || site == "none"
        }
        if let origin = request.headers["Origin"]?.lowercased(), origin != "null" {
            return origin == publicOrigin
        }
        return true
    }

    /// One value each of `state`, `code`, `error`, `iss`, within sane lengths; nil otherwise.
    func callbackParameters(_ request: HTTPRequest) -> ClaimService.CallbackParameters? {
        var values: [String: String] = [:]
        for (name, limit) in [("state", 64), ("code", 2048), ("error", 64), ("iss", 512)] {
            let given = request.queryValues(name)
            guard given.count <= 1 else { return nil }
            if let value = given.first {
                guard value.utf8.count <= limit else { return nil }
                values[name] = value
            }
        }
        return ClaimService.CallbackParameters(state: values["state"], code: values["code"], error: values["error"], issuer: values["iss"])
    }

    func cookie(_ request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    func page(_ status: Int, _ html: String) -> HTTPResponse {
        .html(html, status: status)
    }

    func linkPage(_ state: ClaimService.LinkState) -> HTTPResponse {
        switch state {
        case .claimable: return page(200, pages.message(title: "Claim your database", "Open the claim link again."))
        case .unknown:
            return page(404, pages.message(
                title: "This claim link is not valid", "Check that you opened the whole link, or ask for a new one."))
        case .revoked:
            return page(410, pages.message(
                title: "This claim link was replaced", "A newer link was issued for this database. Use the latest link you received."))
        case .expired:
            return page(410, pages.message(
                title: "This database has expired", "It was not claimed in time and has been deleted. Its data is gone.",
                offerReturn: true))
        case .claimed:
            return page(409, pages.message(
                title: "This database was already claimed", "It now lives in a Prisma workspace. Look for it in the Prisma Console.",
                action: ("Open the Prisma Console", "https://console.prisma.io"), offerReturn: true))
        case .deleted:
            return page(410, pages.message(title: "This database was deleted", "It was deleted, and its data is gone.", offerReturn: true))
        case .unavailable:
            return page(409, pages.message(
                title: "This database is not ready", "It is still being created, or its creation failed. Try again in a minute."))
        }
    }

    func result(_ outcome: ClaimService.Callback) -> HTTPResponse {
        switch outcome {
        case .claimed(let name, let consoleURL):
            return page(200, pages.success(name: name, consoleURL: consoleURL))
        case .rejected(let reason):
            return page(400, pages.message(
                title: "We could not verify this sign-in", reason + " Open your claim link again to start over."))
        case .denied:
            return page(200, pages.message(
                title: "Claim not authorized",
                "You chose not to authorize the claim at Prisma. The database is still waiting for you: open your claim link again to try once more.",
                offerReturn: true))
        case .alreadyClaimed:
            return linkPage(.claimed)
        case .inProgress:
            return page(409, pages.message(
                title: "A claim is already in progress", "This database is being claimed in another tab or window. Open your claim link again in a moment to see the result."))
        case .linkGone(let state):
            return linkPage(state)
        case .failed(let reason):
            return page(502, pages.message(title: "The claim did not complete", reason + " Open your claim link to try again."))
        case .linkReplaced:
            return page(410, pages.message(
                title: "This claim link was replaced",
                "A newer link was issued for this database while you were signing in, so this sign-in cannot claim it. Ask the service that gave you the link for the current one."))
        case .planLimit(let plan, let upgradeURL):
            let text = "The workspace you picked" + (plan.map { " (plan: \($0))" } ?? "")
                + " has reached its plan's project limit, so Prisma could not move the database into it. Nothing was lost: upgrade the workspace, or open your claim link again and pick another workspace."
            let action = upgradeURL.flatMap { $0.lowercased().hasPrefix("https://") || $0.lowercased().hasPrefix("http://") ? ("Upgrade the workspace at Prisma", $0) : nil }
            return page(409, pages.message(title: "That workspace is at its plan limit", text, action: action))
        case .unconfirmed:
            return page(202, pages.message(
                title: "Your claim is being confirmed",
                "Prisma did not confirm the move of the project yet. Claimgate checks with Prisma and finishes the claim if it happened; open your claim link again in a few minutes to see the result."))
        }
    }
}
