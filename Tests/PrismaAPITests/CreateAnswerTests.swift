import Foundation
import JSONValues
@testable import PrismaAPI
import Testing

/// The create answer is read from parsed JSON values (`Models+JSON.swift`) by `Codable`'s rules.
@Suite("Reading the create answer")
struct CreateAnswerTests {
    /// A create answer as Prisma documents it, with members Claimgate does not read.
    static let answer = """
        {"data":{"id":"proj_1","type":"project","url":"https://api.prisma.io/v1/projects/proj_1","name":"demo",
        "logicalId":null,"createdAt":"2026-12-04T10:00:00.000Z","defaultRegion":"us-east-1",
        "workspace":{"id":"wksp_1","url":"https://api.prisma.io/v1/workspaces/wksp_1","name":"Acme"},
        "database":{"id":"db_1","type":"database","name":"demo","status":"ready","createdAt":"2026-12-04T10:00:00.000Z",
        "isDefault":true,"defaultConnectionId":null,"region":{"id":"us-east-1","name":"US East (N. Virginia)"},
        "connections":[{"id":"con_1","type":"connection","name":"default","kind":"postgres","createdAt":"x",
        "endpoints":{"direct":{"host":"db.prisma.io","port":5432,"connectionString":"postgres://u:p\\u0040ss@db.prisma.io:5432/postgres"},
        "pooled":null,"accelerate":{"host":"accelerate.prisma-data.net","port":443}}}]},"extra":[1,2,{"x":true}]}}
        """

    @Test("every field read, nulls and absent optionals as nil, unknown members ignored, escapes undone")
    func reads() throws {
        let created = try CreatedProject.fromEnvelope(Array(Self.answer.utf8))
        #expect(created.id == "proj_1" && created.name == "demo" && created.logicalId == nil)
        #expect(created.project.createdAt == "2026-12-04T10:00:00.000Z" && created.project.defaultRegion == "us-east-1")
        #expect(created.workspace == ResourceRef(id: "wksp_1", url: "https://api.prisma.io/v1/workspaces/wksp_1", name: "Acme"))
        let database = try #require(created.database)
        #expect(database.id == "db_1" && database.status == "ready" && database.defaultConnectionId == nil)
        #expect(database.region.name == "US East (N. Virginia)" && database.region.url == nil)
        #expect(database.connections.count == 1)
        #expect(database.connections[0].endpoints.direct?.port == 5432)
        #expect(database.connections[0].endpoints.pooled == nil)
        #expect(database.directConnectionString?.value == "postgres://u:p@ss@db.prisma.io:5432/postgres")
    }

    @Test("the same answer through JSONDecoder (Codable callers) gives the same value")
    func codableAgrees() throws {
        struct Envelope: Decodable { let data: CreatedProject }
        let decoded = try JSONDecoder().decode(Envelope.self, from: Data(Self.answer.utf8)).data
        #expect(decoded == (try CreatedProject.fromEnvelope(Array(Self.answer.utf8))))
    }

    @Test("a project answer without a database, or with database null, has none")
    func noDatabase() throws {
        let bare = #"{"data":{"id":"p","name":"n","createdAt":"t","workspace":{"id":"w","name":"W"}}}"#
        #expect(try CreatedProject.fromEnvelope(Array(bare.utf8)).database == nil)
        let null = #"{"data":{"id":"p","name":"n","createdAt":"t","workspace":{"id":"w","name":"W"},"database":null}}"#
        #expect(try CreatedProject.fromEnvelope(Array(null.utf8)).database == nil)
    }

    @Test("a required member absent, null or of another type, or an optional one of another type, is refused with its path",
          arguments: [
              (#"{"data":{"name":"n","createdAt":"t","workspace":{"id":"w","name":"W"}}}"#, "$.data.id"),
              (#"{"data":{"id":null,"name":"n","createdAt":"t","workspace":{"id":"w","name":"W"}}}"#, "$.data.id"),
              (#"{"data":{"id":7,"name":"n","createdAt":"t","workspace":{"id":"w","name":"W"}}}"#, "$.data.id"),
              (#"{"data":{"id":"p","name":"n","createdAt":"t","logicalId":7,"workspace":{"id":"w","name":"W"}}}"#, "$.data.logicalId"),
              (#"{"data":{"id":"p","name":"n","createdAt":"t","workspace":{"id":"w"}}}"#, "$.data.workspace.name"),
              (#"{"data":{"id":"p","name":"n","createdAt":"t","workspace":{"id":"w","name":"W"},"database":[]}}"#, "$.data.database"),
              (#"{"data":{"id":"p","name":"n","createdAt":"t","workspace":{"id":"w","name":"W"},"database":{"id":"d","name":"n","status":"ready","region":{"id":"r","name":"R"},"connections":[{"id":"c","name":"n","kind":"postgres","endpoints":{"direct":{"host":"h","port":"5432"}}}]}}}"#,
               "$.data.database.connections[0].endpoints.direct.port"),
              (#"{"data":[]}"#, "$.data"),
          ])
    func refused(document: String, path: String) {
        #expect {
            try CreatedProject.fromEnvelope(Array(document.utf8))
        } throws: { error in
            (error as? UnexpectedShape)?.path == path
        }
    }

    @Test("not JSON at all is refused too")
    func notJSON() {
        #expect(throws: JSONParser.Failure.self) { try CreatedProject.fromEnvelope(Array("<html>".utf8)) }
    }

    @Test("through the client's reader, a malformed answer is an invalidResponse that names the member")
    func errorNamesTheMember() {
        let response = TransportResponse(status: 201, body: Data(#"{"data":{"id":7}}"#.utf8))
        #expect {
            try PrismaResponses.read(CreatedProject.self, response, with: CreatedProject.fromEnvelope)
        } throws: { error in
            guard let error = error as? PrismaError else { return false }
            return error.kind == .invalidResponse && error.message.hasSuffix("(CreatedProject at $.data.id)")
        }
    }
}
