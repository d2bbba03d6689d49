import Claimgate
import Foundation
import TestSupport
import Testing

/// The claim page in the partner's frame, and the end user's delete.
@Suite("Claim page: brand and the user's delete")
struct UserChoicesTests {
    static let brand = [
        "CLAIMGATE_BRAND_NAME": "Acme <Builder>", "CLAIMGATE_BRAND_ACCENT_COLOR": "#FFCC00",
        "CLAIMGATE_BRAND_RETURN_URL": "https://acme.example/apps?from=claim", "CLAIMGATE_BRAND_SUPPORT_URL": "mailto:help@acme.example",
        "CLAIMGATE_BRAND_LOGO_URL": "https://cdn.acme.example:8443/logo.png",
    ]

    @Test("the claim page names the partner and the region, carries the frame, and allows the logo's origin for images only")
    func brandedClaimPage() async throws {
        try await withApp(UserChoicesTests.brand) { app in
            let json = try await app.provision(#"{"name":"acme-db","region":"eu-central-1"}"#).json()
            let page = try await app.client.get(Browser.local(try #require(json["claimUrl"] as? String)))
            #expect(page.status == 200)
            #expect(page.text.contains("Created for you by <strong>Acme &lt;Builder&gt;</strong>"))
            #expect(page.text.contains("Europe (Frankfurt)"))
            #expect(page.text.contains(#"<img src="https://cdn.acme.example:8443/logo.png" alt="">"#))
            #expect(page.text.contains(#"href="mailto:help@acme.example""#))
            #expect(page.text.contains("--accent:#ffcc00;--on-accent:#111"))  // dark text reads better on yellow
            let csp = try #require(page.header("Content-Security-Policy"))
            #expect(csp.contains("; img-src https://cdn.acme.example:8443;"))
            #expect(csp.hasPrefix("default-src 'none'; style-src 'sha256-"))
            // Pages other than the claim page wear the same frame: an unknown link offers no return, an expired one does.
            let unknown = try await app.client.get("/claim/" + String(repeating: "A", count: 43))
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("<header class=\"brand\">"))
            #expect(!unknown.text.contains("Back to Acme"))
        }
    }

    @Test("an expired link offers the way back to the partner's app")
    func expiredOffersReturn() async throws {
        let clock = ManualClock()
        try await withApp(UserChoicesTests.brand, clock: clock) { app in
            let json = try await app.provision(#"{"ttlSeconds":60}"#).json()
            clock.advance(by: 61)
            let page = try await app.client.get(Browser.local(try #require(json["claimUrl"] as? String)))
            #expect(page.status == 410)
            #expect(page.text.contains(#"href="https://acme.example/apps?from=claim""#))
            #expect(page.text.contains("Back to Acme &lt;Builder&gt;"))
        }
    }

    @Test("the denied and already-claimed pages offer the way back too")
    func otherPagesOfferReturn() async throws {
        try await withApp(UserChoicesTests.brand) { app in
            var browser = Browser(app)
            let json = try await app.provision().json()
            let claimURL = try #require(json["claimUrl"] as? String)
            // (One step per statement: a mutating start must set the cookie before the callback reads it.)
            let first = try #require(try await browser.start(claimURL))
            let refusal = try await browser.consent(first, decision: "deny")
            let denied = try await browser.callback(refusal)
            #expect(denied.text.contains("Claim not authorized") && denied.text.contains("Back to Acme &lt;Builder&gt;"))
            let second = try #require(try await browser.start(claimURL))
            let approval = try await browser.consent(second)
            #expect(try await browser.callback(approval).status == 200)
            let claimed = try await app.client.get(Browser.local(claimURL))
            #expect(claimed.status == 409 && claimed.text.contains(#"href="https://acme.example/apps?from=claim""#))
        }
    }

    @Test("a logo file is served by Claimgate, as an image only; the CSP allows 'self' for images")
    func servedLogo() async throws {
        let directory = TestPaths.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let logo = directory.appendingPathComponent("logo.svg")
        let svg = ##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#e53e3e"/></svg>"##
        try Data(svg.utf8).write(to: logo)
        try await withApp(["CLAIMGATE_BRAND_LOGO_URL": logo.path]) { app in
            let served = try await app.client.get("/brand/logo")
            #expect(served.status == 200)
            #expect(served.header("Content-Type") == "image/svg+xml")
            #expect(served.text == svg)
            #expect(served.header("Content-Security-Policy")?.contains("sandbox") == true)
            let json = try await app.provision().json()
            let page = try await app.client.get(Browser.local(try #require(json["claimUrl"] as? String)))
            #expect(page.text.contains(#"<img src="/brand/logo" alt="Logo">"#))
            #expect(page.header("Content-Security-Policy")?.contains("; img-src 'self';") == true)
        }
    }

    @Test("brand settings are validated, naming the variable", arguments: [
        ("CLAIMGATE_BRAND_ACCENT_COLOR", "red"), ("CLAIMGATE_BRAND_ACCENT_COLOR", "#12345"),
        ("CLAIMGATE_BRAND_RETURN_URL", "http://acme.example"), ("CLAIMGATE_BRAND_RETURN_URL", "javascript:alert(1)"),
        ("CLAIMGATE_BRAND_SUPPORT_URL", "ftp://acme.example"), ("CLAIMGATE_BRAND_LOGO_URL", "http://acme.example/logo.png"),
        ("CLAIMGATE_BRAND_LOGO_URL", "/nonexistent/logo.png"), ("CLAIMGATE_BRAND_LOGO_URL", "/etc/hostname"),
        ("CLAIMGATE_ADMIN_PASSWORD", "short"), ("CLAIMGATE_LIFECYCLE_EXPIRING_LEADS", "24h,soon"),
        ("CLAIMGATE_LIFECYCLE_EXPIRING_LEADS", "90d"),
    ])
    func brandValidation(variable: String, value: String) async throws {
        do {
            _ = try await testSettings([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(variable))
            #expect(!error.description.contains(value))
        }
    }

    @Test("return URLs on localhost are allowed over http; leads parse and sort")
    func acceptedValues() async throws {
        let settings = try await testSettings([
            "CLAIMGATE_BRAND_RETURN_URL": "http://localhost:3000/back", "CLAIMGATE_LIFECYCLE_EXPIRING_LEADS": "1h, 30m,2d,1h",
        ])
        #expect(settings.brand.returnURL == "http://localhost:3000/back")
        #expect(settings.lifecycle.expiringLeads == [172_800, 3600, 1800])
        #expect(try await testSettings().lifecycle.expiringLeads == [86_400, 3600])
    }
}
