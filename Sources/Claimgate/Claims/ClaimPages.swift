import Crypto
import Foundation
import HTTPServer
import Timestamps

/// The server-rendered pages of the claim flow: plain HTML and one inline stylesheet, no
/// JavaScript, no third-party resources, allowed by a strict Content-Security-Policy.
enum ClaimPages {
    static let style = """
        :root{color-scheme:light dark;--ink:#1a202c;--muted:#4a5568;--line:#cbd5e0;--accent:#2d3748;--bg:#fff;--card:#f7fafc}
        @media (prefers-color-scheme:dark){:root{--ink:#edf2f7;--muted:#a0aec0;--line:#4a5568;--accent:#90cdf4;--bg:#1a202c;--card:#2d3748}}
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
        main{max-width:34rem;margin:4rem auto;padding:0 1.25rem}h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
        .card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1.25rem 1.5rem;margin:1.25rem 0}
        dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        p{color:var(--muted)}button,.button{display:inline-block;font:inherit;font-weight:600;padding:.7rem 1.4rem;border:0;border-radius:.5rem;
        background:var(--accent);color:var(--bg);cursor:pointer;text-decoration:none}button:focus-visible,.button:focus-visible{outline:3px solid #63b3ed;outline-offset:2px}
        .note{font-size:.9rem}.badge{display:inline-block;font-size:.8rem;border:1px solid var(--line);border-radius:1rem;padding:.1rem .6rem;color:var(--muted)}
        """

    /// `Content-Security-Policy`: nothing but this stylesheet, forms only to us (and the redirect
    /// that follows to Prisma's sign-in), never framed.
    static func contentSecurityPolicy(authOrigin: String) -> String {
        let hash = Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
        return "default-src 'none'; style-src 'sha256-\(hash)'; form-action 'self' \(authOrigin); frame-ancestors 'none'; base-uri 'none'"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func page(title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>\(escape(title)) · Claimgate</title><style>\(style)</style></head>
        <body><main>
        \(body)
        </main></body></html>
        """
    }

    /// "23 h 12 min", "5 min", "less than a minute".
    static func timeLeft(milliseconds: Int64) -> String {
        let minutes = milliseconds / 60_000
        if minutes < 1 { return "less than a minute" }
        let days = minutes / 1440, hours = (minutes % 1440) / 60, rest = minutes % 60
        if days > 0 { return "\(days) d \(hours) h" }
        if hours > 0 { return "\(hours) h \(rest) min" }
        return "\(rest) min"
    }

    static func claim(name: String, region: String, expiresAt: Int64, now: Int64, action: String) -> String {
        page(title: "Claim your database", """
            <span class="badge">Prisma Postgres</span>
            <h1>Claim your database</h1>
            <p>This database was created for you. Claim it to move it into your own Prisma workspace; it keeps its data and connection strings.</p>
            <div class="card"><dl>
            <dt>Name</dt><dd>\(escape(name))</dd>
            <dt>Region</dt><dd>\(escape(region))</dd>
            <dt>Deleted in</dt><dd><time datetime="\(Timestamp.string(milliseconds: expiresAt))">\(timeLeft(milliseconds: expiresAt - now))</time> unless claimed</dd>
            </dl></div>
            <form method="post" action="\(escape(action))">
            <button type="submit">Sign in to Prisma and claim</button>
            </form>
            <p class="note">You will sign in at Prisma and choose the workspace that receives the database.</p>
            """)
    }

    static func message(title: String, _ text: String, action: (label: String, href: String)? = nil) -> String {
        var body = "<h1>\(escape(title))</h1>\n<p>\(escape(text))</p>"
        if let action {
            body += "\n<p><a class=\"button\" href=\"\(escape(action.href))\">\(escape(action.label))</a></p>"
        }
        return page(title: title, body)
    }

    static func success(name: String, consoleURL: String) -> String {
        page(title: "Database claimed", """
            <span class="badge">Prisma Postgres</span>
            <h1>Your database is yours</h1>
            <p><strong>\(escape(name))</strong> is now in your Prisma workspace. Its connection strings keep working.</p>
            <p><a class="button" href="\(escape(consoleURL))" rel="noreferrer">Open it in the Prisma Console</a></p>
            <p class="note">You can close this page.</p>
            """)
    }
}
