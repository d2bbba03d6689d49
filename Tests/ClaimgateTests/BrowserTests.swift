import Claimgate
import Foundation
import TestSupport
import Testing

@Suite("Real browser", .serialized)
struct BrowserTests {
    @Test("headless Chromium: provision → claim page → Approve on the consent page → success; database claimed")
    func claimInChromium() async throws {
        let port = try freePort()
        let app = try await RunningApp.start([
            "CLAIMGATE_PORT": "\(port)", "CLAIMGATE_PUBLIC_URL": "http://127.0.0.1:\(port)",
        ])
        let shots = TestPaths.temporaryDirectory()
        let (status, text) = try await TestProcess.run([
            "python3", TestPaths.packageRoot.appendingPathComponent("Tests/browser/claim_flow.py").path,
            "http://127.0.0.1:\(port)", Application.sandboxAPIKey, shots.path,
        ])
        #expect(status == 0, "\(text)")
        let line = try #require(text.split(separator: "\n").last { $0.hasPrefix("{") }, "\(text)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        let id = try #require(result["databaseId"])
        #expect(try await app.status(id) == "claimed")
        let ada = app.emulator.configuration.users[0]
        #expect(app.emulator.projects.first { $0.id == result["projectId"] }?.workspaceID == "wksp_" + ada.workspaces[0].id)
        #expect(result["consoleUrl"]?.hasPrefix("https://console.prisma.io/\(ada.workspaces[0].id)/") == true)
        print("browser screenshots: \(shots.path)")
        await app.stop()
    }

    @Test("headless Chromium at 1280×800 and 390×844, light and dark: branded claim page, delete with confirmation, success page's way back, /admin; no console errors or CSP violations")
    func pagesInChromium() async throws {
        let port = try freePort()
        let directory = TestPaths.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let logo = directory.appendingPathComponent("acme.svg")
        try Data(#"""
            <svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40"><rect width="40" height="40" rx="9" fill="#6b46c1"/><path d="M10 29 20 10l10 19z" fill="#fff"/></svg>
            """#.utf8).write(to: logo)
        let password = "correct-horse-battery-staple"
        let returnURL = "http://localhost:3000/projects"
        let app = try await RunningApp.start([
            "CLAIMGATE_PORT": "\(port)", "CLAIMGATE_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "CLAIMGATE_BRAND_NAME": "Acme Builder", "CLAIMGATE_BRAND_LOGO_URL": logo.path, "CLAIMGATE_BRAND_ACCENT_COLOR": "#6b46c1",
            "CLAIMGATE_BRAND_RETURN_URL": returnURL, "CLAIMGATE_BRAND_SUPPORT_URL": "https://acme.example/help",
            "CLAIMGATE_ADMIN_PASSWORD": password,
        ])
        let shots = ProcessInfo.processInfo.environment["CLAIMGATE_SCREENSHOTS"].map { URL(fileURLWithPath: $0) } ?? TestPaths.temporaryDirectory()
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let (status, text) = try await TestProcess.run([
            "python3", TestPaths.packageRoot.appendingPathComponent("Tests/browser/pages_flow.py").path,
            "http://127.0.0.1:\(port)", Application.sandboxAPIKey, shots.path, password, "Acme Builder", returnURL,
        ])
        #expect(status == 0, "\(text)")
        let line = try #require(text.split(separator: "\n").last { $0.hasPrefix("{") }, "\(text)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String]])
        #expect(result["deleted"]?.count == 2)
        for id in result["deleted"] ?? [] { #expect(try await app.status(id) == "deleted") }
        for project in result["deletedProjects"] ?? [] { #expect(!app.emulator.projects.contains { $0.id == project }) }
        for id in result["claimed"] ?? [] { #expect(try await app.status(id) == "claimed") }
        #expect(result["claimed"]?.count == 2)
        print("browser screenshots: \(shots.path)")
        await app.stop()
    }
}
