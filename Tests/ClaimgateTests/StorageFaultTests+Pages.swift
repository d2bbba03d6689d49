import Claimgate
import Foundation
import TestSupport
import Testing

extension StorageFaultTests {
    @Test("the delete pages and /admin: a 503 page under a storage failure, nothing deleted; all fine after")
    func pagesUnderStorageFailure() async throws {
        try await withApp(["CLAIMGATE_ADMIN_PASSWORD": AdminTests.password]) { app in
            let json = try await app.provision().json()
            let id = try #require(json["id"] as? String)
            let path = Browser.local(try #require(json["claimUrl"] as? String))
            let before = try await storageErrorsCounted(app)
            let ask = try await whileFailing(app, code: Self.ioError) { try await app.client.get(path + "/delete") }
            #expect(ask.status == 503 && ask.text.contains("Claimgate is having trouble"))
            let value = try #require(UserDeleteTests.confirmation(in: try await app.client.get(path + "/delete").text))
            let post = try await whileFailing(app, code: Self.full) {
                try await app.client.send("POST", path + "/delete", headers: UserDeleteTests.formHeaders, body: UserDeleteTests.form(value))
            }
            #expect(post.status == 503)
            #expect(try await app.status(id) == "ready")
            #expect(app.emulator.projects.contains { $0.id == json["projectId"] as? String })  // checked before any call to Prisma
            await app.application.database.injectFaults(1_000_000, code: Self.ioError)
            let admin = try await app.admin("/admin", AdminTests.basic("admin", AdminTests.password))
            await app.application.database.clearFaults()
            #expect(admin.status == 503 && admin.text.contains("The database is not answering"))
            #expect(try await storageErrorsCounted(app) >= before + 3)
            let done = try await app.client.send("POST", path + "/delete", headers: UserDeleteTests.formHeaders, body: UserDeleteTests.form(value))
            #expect(done.status == 200)
            #expect(try await app.status(id) == "deleted")
            #expect(try await app.admin("/admin", AdminTests.basic("admin", AdminTests.password)).status == 200)
        }
    }
}
