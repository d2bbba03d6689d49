import Claimgate
import Foundation
import HTTPServer
import Testing

/// The partner API called through the router, without sockets: the same middleware, the same
/// problems, microseconds per call.
@Suite("Partner API in-process")
struct InProcessTests {
    let key: HTTPHeaders = ["Authorization": "Bearer \(Application.sandboxAPIKey)"]

    func json(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test("authentication, validation and not-found answer as problems with the product's type prefix")
    func problems() async throws {
        try await withApp { app in
            let anonymous = try await app.call("GET", "/v1/databases")
            #expect(anonymous.status == 401 && anonymous.headers["WWW-Authenticate"] == "Bearer")
            #expect(try json(anonymous)["type"] as? String == "urn:claimgate:problem:unauthorized")
            let invalid = try await app.call("POST", "/v1/databases", headers: key, body: #"{"ttlSeconds":1}"#)
            #expect(invalid.status == 400)
            #expect(try json(invalid)["field"] as? String == "ttlSeconds")
            let deep = try await app.call("POST", "/v1/databases", headers: key, body: String(repeating: "[", count: 40))
            #expect(deep.status == 400)
            #expect(try json(deep)["code"] as? String == "invalid-json")
            let missing = try await app.call("GET", "/v1/databases/cgdb_nothere", headers: key)
            #expect(missing.status == 404)
            #expect(try json(missing)["code"] as? String == "database-not-found")
            let badQuery = try await app.call("GET", "/v1/databases?limit=0", headers: key)
            #expect(badQuery.status == 400)
            #expect(try json(badQuery)["code"] as? String == "invalid-query")
            let unknown = try await app.call("GET", "/nowhere")
            #expect(unknown.status == 404 && unknown.route == "unmatched")
        }
    }

    @Test("create, read and list in-process")
    func createAndRead() async throws {
        try await withApp { app in
            let created = try await app.call("POST", "/v1/databases", headers: key, body: #"{"name":"in-process"}"#)
            #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
            let id = try #require(try json(created)["id"] as? String)
            #expect(created.headers["Location"] == "/v1/databases/\(id)")
            let read = try await app.call("GET", "/v1/databases/\(id)", headers: key)
            #expect(try json(read)["name"] as? String == "in-process")
            #expect(try json(read)["connectionString"] == nil)  // secrets only in the creation answer
            let list = try await app.call("GET", "/v1/databases?limit=1", headers: key)
            #expect((try json(list)["data"] as? [[String: Any]])?.count == 1)
        }
    }
}
