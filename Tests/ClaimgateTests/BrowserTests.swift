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
}
