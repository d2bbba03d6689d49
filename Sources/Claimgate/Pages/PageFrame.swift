import Crypto
import Foundation

/// The frame every server-rendered page shares: document head, the partner's brand at the top,
/// support link at the bottom, one inline stylesheet allowed by its hash, no JavaScript.
///
/// Built once at start from configuration: the accent colour changes the stylesheet, so its hash
/// (and the Content-Security-Policy) is computed here rather than being a constant.
struct PageFrame: Sendable {
    let brand: Settings.BrandSettings
    /// The whole stylesheet, as sent (its SHA-256 is in the CSP).
    let style: String
    /// `img-src` source: the logo's origin, `'self'` for a served file, nil without a logo.
    let imageSource: String?
    /// Suffix of every `<title>`.
    let siteName: String

    static let baseStyle = """
        :root{color-scheme:light dark;--ink:#1a202c;--muted:#4a5568;--line:#cbd5e0;--accent:#2d3748;--on-accent:#fff;--bg:#fff;--card:#f7fafc;--link:#2b6cb0;--danger:#c53030;--on-danger:#fff}
        @media (prefers-color-scheme:dark){:root{--ink:#edf2f7;--muted:#a0aec0;--line:#4a5568;--accent:#90cdf4;--on-accent:#1a202c;--bg:#1a202c;--card:#2d3748;--link:#90cdf4;--danger:#fc8181;--on-danger:#1a202c}}
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg);border-top:6px solid var(--accent)}
        main{max-width:34rem;margin:2.5rem auto 1.5rem;padding:0 1.25rem}h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
        a{color:var(--link)}.brand{display:flex;align-items:center;gap:.75rem;max-width:34rem;margin:1.5rem auto 0;padding:0 1.25rem;font-weight:700;font-size:1.1rem}
        .brand img{height:2.25rem;width:auto;max-width:10rem}
        .card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1.25rem 1.5rem;margin:1.25rem 0}
        dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        dd small{font-weight:400;color:var(--muted);white-space:nowrap}dd .then{font-weight:400;color:var(--muted)}
        p{color:var(--muted)}.lead{color:var(--ink)}button,.button{display:inline-block;font:inherit;font-weight:600;padding:.7rem 1.4rem;border:2px solid var(--accent);border-radius:.5rem;
        background:var(--accent);color:var(--on-accent);cursor:pointer;text-decoration:none;text-align:center}
        button:focus-visible,.button:focus-visible,a:focus-visible{outline:3px solid #63b3ed;outline-offset:2px}
        .secondary{background:transparent;color:var(--ink);border-color:var(--line)}.danger{background:var(--danger);border-color:var(--danger);color:var(--on-danger)}
        .actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.25rem 0}.actions form{margin:0}
        .aside{border-top:1px solid var(--line);margin-top:2rem;padding-top:1rem}
        .note{font-size:.9rem}.badge{display:inline-block;font-size:.8rem;border:1px solid var(--line);border-radius:1rem;padding:.1rem .6rem;color:var(--muted)}
        footer{max-width:34rem;margin:0 auto 2rem;padding:0 1.25rem;font-size:.85rem;color:var(--muted)}
        footer div{border-top:1px solid var(--line);padding-top:1rem}footer p{margin:.25rem 0}
        """

    init(brand: Settings.BrandSettings, extraStyle: String = "", siteName: String = "Claimgate") {
        self.brand = brand
        self.siteName = siteName
        var style = PageFrame.baseStyle + extraStyle
        if let accent = brand.accentColor {
            // The partner's colour in both schemes, with whichever text colour reads best on it.
            let onAccent = PageFrame.contrastingText(on: accent)
            // (After the base rules, so it wins over the dark scheme's accent too.)
            style += "\n:root{--accent:\(accent);--on-accent:\(onAccent)}"
        }
        self.style = style
        switch brand.logo {
        case .remote(let url)?:
            let components = URLComponents(string: url)
            imageSource = "https://\(components?.host ?? "")" + (components?.port.map { ":\($0)" } ?? "")
        case .file?: imageSource = "'self'"
        case nil: imageSource = nil
        }
    }

    /// `Content-Security-Policy`: this stylesheet only, images only from the logo's origin, forms
    /// only to `formAction` sources, never framed.
    func contentSecurityPolicy(formAction: String) -> String {
        let hash = Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
        var policy = "default-src 'none'; style-src 'sha256-\(hash)'"
        if let imageSource { policy += "; img-src \(imageSource)" }
        return policy + "; form-action \(formAction); frame-ancestors 'none'; base-uri 'none'"
    }

    /// `#fff` or `#111`, whichever contrasts more with `hex` (`#rrggbb`), by WCAG relative luminance.
    static func contrastingText(on hex: String) -> String {
        let digits = Array(hex.dropFirst())
        func channel(_ at: Int) -> Double {
            let value = Double(Int(String(digits[at..<at + 2]), radix: 16) ?? 0) / 255
            return value <= 0.039_28 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
        let white = 1.05 / (luminance + 0.05), black = (luminance + 0.05) / (0.0069 + 0.05)
        return white >= black ? "#fff" : "#111"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// Where the logo is loaded from, if there is one.
    var logoSource: String? {
        switch brand.logo {
        case .remote(let url)?: url
        case .file?: Settings.BrandSettings.Logo.servedPath
        case nil: nil
        }
    }

    /// The brand line: logo and name (the logo is decorative when the name is written next to it).
    var brandHeader: String {
        guard logoSource != nil || brand.name != nil else { return "" }
        var line = "<header class=\"brand\">"
        if let logoSource {
            line += "<img src=\"\(PageFrame.escape(logoSource))\" alt=\"\(brand.name == nil ? "Logo" : "")\">"
        }
        if let name = brand.name { line += "<span>\(PageFrame.escape(name))</span>" }
        return line + "</header>"
    }

    var footer: String {
        var lines: [String] = []
        if let support = brand.supportURL {
            let who = brand.name.map { "\(PageFrame.escape($0)) support" } ?? "support"
            lines.append("<p>Questions? <a href=\"\(PageFrame.escape(support))\" rel=\"noreferrer\">Contact \(who)</a>.</p>")
        }
        lines.append("<p>Databases by Prisma Postgres, handed over by Claimgate.</p>")
        return "<footer><div>\(lines.joined())</div></footer>"
    }

    /// The logo as the tab's icon.
    var icon: String {
        logoSource.map { "<link rel=\"icon\" href=\"\(PageFrame.escape($0))\">" } ?? ""
    }

    /// A whole document. `branded` pages carry the partner's header and footer.
    func document(title: String, _ body: String, branded: Bool = true) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>\(PageFrame.escape(title)) · \(PageFrame.escape(siteName))</title>\(branded ? icon : "")<style>\(style)</style></head>
        <body>\(branded ? brandHeader : "")<main>
        \(body)
        </main>\(branded ? footer : "")</body></html>
        """
    }
}
