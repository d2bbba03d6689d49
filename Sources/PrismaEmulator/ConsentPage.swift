import Foundation

/// The emulator's sign-in and consent page: pick a sandbox user and workspace, then Approve or Deny.
enum ConsentPage {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func consent(_ request: OAuthRoutes.AuthorizationRequest, users: [EmulatorConfiguration.User]) -> String {
        var options = ""
        var first = true
        for user in users {
            for workspace in user.workspaces {
                let value = escape("\(user.id)/\(workspace.id)")
                options += """
                    <label class="account"><input type="radio" name="account" value="\(value)"\(first ? " checked" : "")>
                    <span><strong>\(escape(user.name))</strong> &lt;\(escape(user.email))&gt;<br>workspace: \(escape(workspace.name))</span></label>

                    """
                first = false
            }
        }
        let hidden = [
            ("client_id", request.client.id), ("redirect_uri", request.redirectURI), ("response_type", "code"),
            ("scope", request.scope), ("state", request.state), ("code_challenge", request.challenge),
            ("code_challenge_method", "S256"),
        ].map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escape($0.1))\">" }.joined(separator: "\n")
        return page(title: "Authorize \(request.client.name)", body: """
            <p class="badge">Prisma emulator · sandbox</p>
            <h1>Authorize \(escape(request.client.name))</h1>
            <p>\(escape(request.client.name)) asks for <code>\(escape(request.scope))</code> on the workspace you choose.</p>
            <form method="post" action="/authorize">
            \(hidden)
            <fieldset><legend>Sign in as</legend>
            \(options)</fieldset>
            <button type="submit" name="decision" value="approve" id="approve">Approve</button>
            <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
            </form>
            """)
    }

    static func error(_ message: String) -> String {
        page(title: "Authorization error", body: "<p class=\"badge\">Prisma emulator · sandbox</p><h1>Authorization error</h1><p>\(escape(message))</p>")
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title><link rel="icon" href="data:,">
        <style>
        :root{color-scheme:light dark}
        body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a202c;background:#fff}
        .badge{display:inline-block;background:#edf2f7;border-radius:1rem;padding:.2rem .7rem;font-size:.8rem}
        fieldset{border:1px solid #cbd5e0;border-radius:.5rem;margin:1rem 0}
        .account{display:flex;gap:.6rem;padding:.5rem 0}
        button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.4rem;border:0;background:#2d3748;color:#fff;cursor:pointer}
        button.secondary{background:#e2e8f0;color:#1a202c}
        @media (prefers-color-scheme:dark){body{color:#edf2f7;background:#1a202c}.badge{background:#2d3748}button:not(.secondary){background:#90cdf4;color:#1a202c}}
        </style></head><body>
        \(body)
        </body></html>
        """
    }
}
