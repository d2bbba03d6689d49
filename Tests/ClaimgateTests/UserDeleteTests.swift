import Claimgate
import Foundation
import PrismaAPI
import TestSupport
import Testing

/// The end user deletes the database from its claim page.
@Suite("Claim page: the user's delete")
struct UserDeleteTests {
    /// The confirmation page's hidden field.
    static func confirmation(in page: String) -> String? {
        guard let range = page.range(of: #"name="confirmation" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ value: String) -> Data { Data("confirmation=\(FormEncoding.escape(value))".utf8) }
    static let formHeaders = ["Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"]

    @Test("confirm, then delete: deleted by the user in the API and the event, the project gone at Prisma, a final page")
    func deleteWithConfirmation() async throws {
        try await withApp(["CLAIMGATE_BRAND_NAME": "Acme", "CLAIMGATE_BRAND_RETURN_URL": "https://acme.example"]) { app in
            let json = try await app.provision(#"{"name":"mine"}"#).json()
            let id = try #require(json["id"] as? String)
            let project = try #require(json["projectId"] as? String)
            let path = Browser.local(try #require(json["claimUrl"] as? String))
            #expect(try await app.client.get(path).text.contains(#"href="\#(path)/delete""#))
            let ask = try await app.client.get(path + "/delete")
            #expect(ask.status == 200)
            #expect(ask.text.contains("Delete this database?"))
            #expect(try await app.status(id) == "ready")  // asking changes nothing
            let value = try #require(UserDeleteTests.confirmation(in: ask.text))
            let done = try await app.client.send("POST", path + "/delete", headers: UserDeleteTests.formHeaders, body: UserDeleteTests.form(value))
            #expect(done.status == 200)
            #expect(done.text.contains("The database was deleted"))
            #expect(done.text.contains(#"href="https://acme.example""#))
            let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()
            #expect(read["status"] as? String == "deleted")
            #expect(read["deletedBy"] as? String == "user")
            #expect(!app.emulator.projects.contains { $0.id == project })
            let deleted = try await app.events().filter { $0["type"] as? String == "database.deleted" }
            #expect(deleted.count == 1)
            #expect((deleted.first?["data"] as? [String: Any])?["deletedBy"] as? String == "user")
            // The claim token reached no log line (the route pattern is logged, never the path).
            let token = String(path.split(separator: "/").last ?? "")
            #expect(token.count == 43 && !app.logs.lines.joined().contains(token))
            #expect(!done.text.contains(token))
            // The link now says so, and offers the way back.
            let again = try await app.client.get(path)
            #expect(again.status == 410)
            #expect(again.text.contains("Back to Acme"))
        }
    }

    @Test("no delete without this link's fresh confirmation, or from another site; the partner's delete says partner")
    func refusals() async throws {
        let clock = ManualClock()
        try await withApp(clock: clock) { app in
            let first = try await app.provision().json()
            let second = try await app.provision().json()
            let path = Browser.local(try #require(first["claimUrl"] as? String))
            let otherPath = Browser.local(try #require(second["claimUrl"] as? String))
            let value = try #require(UserDeleteTests.confirmation(in: try await app.client.get(path + "/delete").text))
            func post(_ target: String, _ body: Data, headers: [String: String] = UserDeleteTests.formHeaders) async throws -> Int {
                try await app.client.send("POST", target + "/delete", headers: headers, body: body).status
            }
            #expect(try await post(path, Data()) == 403)  // no confirmation
            #expect(try await post(path, UserDeleteTests.form(value + "x")) == 403)  // tampered
            #expect(try await post(otherPath, UserDeleteTests.form(value)) == 403)  // another link's
            #expect(try await post(path, UserDeleteTests.form(value), headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site",
            ]) == 403)
            #expect(try await post(path, UserDeleteTests.form(value), headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example",
            ]) == 403)
            clock.advance(by: 1801)  // older than 30 minutes
            #expect(try await post(path, UserDeleteTests.form(value)) == 403)
            for id in [first["id"], second["id"]] { #expect(try await app.status(try #require(id as? String)) == "ready") }
            let fresh = try #require(UserDeleteTests.confirmation(in: try await app.client.get(path + "/delete").text))
            #expect(try await post(path, UserDeleteTests.form(fresh)) == 200)
            // A second POST meets a deleted database.
            #expect(try await post(path, UserDeleteTests.form(fresh)) == 410)
            let id = try #require(second["id"] as? String)
            let reply = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
            #expect(try reply.json()["deletedBy"] as? String == "partner")
        }
    }
}
