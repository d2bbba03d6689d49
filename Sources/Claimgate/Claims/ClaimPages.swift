import Foundation
import HTTPServer
import Timestamps

/// The server-rendered pages of the claim flow, in the partner's frame (``PageFrame``): plain
/// HTML and one inline stylesheet, no JavaScript, no third-party resources but the logo.
struct ClaimPages: Sendable {
    let frame: PageFrame

    init(brand: Settings.BrandSettings) {
        frame = PageFrame(brand: brand)
    }

    var brand: Settings.BrandSettings { frame.brand }

    static func escape(_ text: String) -> String { PageFrame.escape(text) }

    /// `Content-Security-Policy` of the claim pages: forms go to us (and the redirect that follows
    /// to Prisma's sign-in).
    func contentSecurityPolicy(authOrigin: String) -> String {
        frame.contentSecurityPolicy(formAction: "'self' \(authOrigin)")
    }

    func page(title: String, _ body: String) -> String { frame.document(title: title, body) }

    /// "23 h 12 min", "5 min", "less than a minute".
    static func timeLeft(milliseconds: Int64) -> String {
        let minutes = milliseconds / 60_000
        if minutes < 1 { return "less than a minute" }
        let days = minutes / 1440, hours = (minutes % 1440) / 60, rest = minutes % 60
        if days > 0 { return "\(days) d \(hours) h" }
        if hours > 0 { return "\(hours) h \(rest) min" }
        return "\(rest) min"
    }

    /// "Back to <name>", when a return URL is configured.
    var returnLink: String? {
        brand.returnURL.map {
            "<a class=\"button secondary\" href=\"\(ClaimPages.escape($0))\" rel=\"noreferrer\">Back to \(ClaimPages.escape(brand.name ?? "the app"))</a>"
        }
    }

    func claim(name: String, region: String, expiresAt: Int64, now: Int64, action: String, deleteLink: String) -> String {
        let maker = brand.name.map { "Created for you by <strong>\(ClaimPages.escape($0))</strong>." } ?? "Created for you."
        return page(title: "Claim your database", """
            <span class="badge">Prisma Postgres</span>
            <h1>Claim your database</h1>
            <p class="lead">\(maker)</p>
            <p>Claim it to move it into your own Prisma workspace; it keeps its data and connection strings.</p>
            <div class="card"><dl>
            <dt>Name</dt><dd>\(ClaimPages.escape(name))</dd>
            <dt>Region</dt><dd>\(ClaimPages.escape(RegionNames.displayName(region))) <small>\(ClaimPages.escape(region))</small></dd>
            <dt>Time left</dt><dd><time datetime="\(Timestamp.string(milliseconds: expiresAt))">\(ClaimPages.timeLeft(milliseconds: expiresAt - now))</time><span class="then">, then it is deleted unless claimed</span></dd>
            </dl></div>
            <form method="post" action="\(ClaimPages.escape(action))">
            <button type="submit">Sign in to Prisma and claim</button>
            </form>
            <p class="note">You will sign in at Prisma and choose the workspace that receives the database.</p>
            <div class="aside">
            <p class="note">Don't want it? You can delete it now instead of waiting for it to expire.</p>
            <a class="button secondary" href="\(ClaimPages.escape(deleteLink))">Delete this database</a>
            </div>
            """)
    }

    /// The confirmation step of a delete: nothing happens until this form is sent.
    func confirmDelete(name: String, action: String, confirmation: String, back: String) -> String {
        page(title: "Delete this database?", """
            <h1>Delete this database?</h1>
            <p class="lead"><strong>\(ClaimPages.escape(name))</strong> and all of its data will be deleted for good. Nobody can claim it afterwards, and this cannot be undone.</p>
            <div class="actions">
            <form method="post" action="\(ClaimPages.escape(action))">
            <input type="hidden" name="confirmation" value="\(ClaimPages.escape(confirmation))">
            <button type="submit" class="danger">Yes, delete it</button>
            </form>
            <a class="button secondary" href="\(ClaimPages.escape(back))">No, keep it</a>
            </div>
            """)
    }

    func deleted(name: String) -> String {
        var body = """
            <h1>The database was deleted</h1>
            <p class="lead"><strong>\(ClaimPages.escape(name))</strong> and its data are gone.</p>
            <p>\(brand.name.map { ClaimPages.escape($0) + " has been told." } ?? "The service that created it has been told.") You can close this page.</p>
            """
        if let returnLink { body += "\n<div class=\"actions\">\(returnLink)</div>" }
        return page(title: "Database deleted", body)
    }

    /// A page that explains one situation, optionally with one action, and the way back when
    /// `offerReturn` is set and a return URL is configured.
    func message(title: String, _ text: String, action: (label: String, href: String)? = nil, offerReturn: Bool = false) -> String {
        var body = "<h1>\(ClaimPages.escape(title))</h1>\n<p>\(ClaimPages.escape(text))</p>"
        var actions: [String] = []
        if let action {
            actions.append("<a class=\"button\" href=\"\(ClaimPages.escape(action.href))\" rel=\"noreferrer\">\(ClaimPages.escape(action.label))</a>")
        }
        if offerReturn, let returnLink { actions.append(returnLink) }
        if !actions.isEmpty { body += "\n<div class=\"actions\">\(actions.joined(separator: "\n"))</div>" }
        return page(title: title, body)
    }

    func success(name: String, consoleURL: String) -> String {
        page(title: "Database claimed", """
            <span class="badge">Prisma Postgres</span>
            <h1>Your database is yours</h1>
            <p class="lead"><strong>\(ClaimPages.escape(name))</strong> is now in your Prisma workspace. Its connection strings keep working.</p>
            <div class="actions">
            <a class="button" href="\(ClaimPages.escape(consoleURL))" rel="noreferrer">Open it in the Prisma Console</a>
            \(returnLink ?? "")
            </div>
            <p class="note">You can close this page.</p>
            """)
    }
}
