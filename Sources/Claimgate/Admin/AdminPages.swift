import Foundation
import Storage
import Timestamps

/// The dashboard's HTML: server-rendered, one stylesheet, no script, readable on a phone and in
/// dark mode. Shows ids, names, statuses, times and reasons — never a credential, token or
/// connection string (the records it renders hold sealed bytes only, and they are not shown).
struct AdminPages: Sendable {
    let frame = PageFrame(brand: Settings.BrandSettings(), extraStyle: AdminPages.style, siteName: "Claimgate admin")

    static let style = """

        main{max-width:72rem}.admin-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:1rem}
        .grid .card{margin:0}h2{font-size:1.15rem;margin:0 0 .75rem}.card h3{font-size:1.05rem;margin:0 0 .75rem}section{margin:1.5rem 0}
        .counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(7rem,1fr));gap:.5rem;margin:0}
        .counts div{border:1px solid var(--line);border-radius:.5rem;padding:.5rem .75rem}.counts dt{font-size:.85rem}.counts dd{font-size:1.5rem}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;min-width:34rem;font-size:.92rem}td code{white-space:nowrap}caption{text-align:left;color:var(--muted);padding-bottom:.4rem}
        th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}th{color:var(--muted);font-weight:600}
        td.reason{overflow-wrap:anywhere;min-width:12rem}code{font-size:.85rem;overflow-wrap:anywhere}
        .chart{width:100%;max-width:24rem;height:auto;display:block}.chart .label,.chart .value{fill:var(--ink);font:14px system-ui,sans-serif}
        .chart .track{fill:var(--line);opacity:.5}.chart .bar{fill:var(--accent)}summary{cursor:pointer;color:var(--link);margin-top:.5rem}
        .status{display:inline-block;border-radius:1rem;padding:0 .5rem;border:1px solid var(--line);font-size:.85rem}
        .ok{color:#276749;border-color:#276749}.degraded{color:var(--danger);border-color:var(--danger)}
        @media (prefers-color-scheme:dark){.ok{color:#9ae6b4;border-color:#9ae6b4}}
        form.find{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}
        @media (max-width:30rem){.card{padding:1rem}details table{min-width:0}dl.facts{grid-template-columns:1fr;gap:0}dl.facts dd{margin-bottom:.5rem}}label{display:block;font-size:.9rem;color:var(--muted)}
        input[type=search],input[type=password]{font:inherit;padding:.55rem .7rem;border:1px solid var(--line);border-radius:.5rem;background:var(--bg);color:var(--ink);min-width:min(16rem,100%)}
        ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{border-left:3px solid var(--accent);padding:.25rem 0 .75rem 1rem;margin-left:.25rem}
        """

    static func escape(_ text: String) -> String { PageFrame.escape(text) }

    /// "2026-12-04 10:15 UTC".
    static func time(_ milliseconds: Int64) -> String {
        let text = Timestamp.string(milliseconds: milliseconds)
        return "<time datetime=\"\(text)\">\(text.prefix(16).replacingOccurrences(of: "T", with: " ")) UTC</time>"
    }

    /// The login form (`POST /admin/login`), shown with every `401`.
    func signIn(problem: String?) -> String {
        frame.document(title: "Sign in", """
            <h1>Sign in to the fleet dashboard</h1>
            \(problem.map { "<p role=\"alert\"><strong>\(AdminPages.escape($0))</strong></p>" } ?? "<p>Enter the admin password (user <code>admin</code>).</p>")
            <form class="find" method="post" action="/admin/login"><div><label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required></div>
            <button type="submit">Sign in</button></form>
            """, branded: false)
    }

    func message(title: String, _ text: String) -> String {
        frame.document(title: title, "<h1>\(AdminPages.escape(title))</h1>\n<p>\(AdminPages.escape(text))</p>", branded: false)
    }

    /// A table, or a sentence when there is nothing to list.
    static func table(caption: String, headers: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p>\(escape(empty))</p>" }
        let head = headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.joined() + "</tr>" }.joined(separator: "\n")
        return "<div class=\"scroll\"><table><caption>\(escape(caption))</caption><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table></div>"
    }

    static func cell(_ text: String, className: String? = nil) -> String {
        "<td\(className.map { " class=\"\($0)\"" } ?? "")>\(escape(text))</td>"
    }

    static func databaseLink(_ id: String, name: String? = nil) -> String {
        "<td><a href=\"/admin/databases/\(escape(id))\">\(escape(name ?? id))</a>\(name == nil ? "" : "<br><code>\(escape(id))</code>")</td>"
    }

    static func statusBadge(_ status: String) -> String {
        "<span class=\"status \(status == "ok" ? "ok" : "degraded")\">\(escape(status))</span>"
    }
}
