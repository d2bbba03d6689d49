@testable import Claimgate
import Foundation
import Testing

@Suite("Sealed credentials document")
struct SealedCredentialsTests {
    @Test("written in place, read back by Codable, with and without a pooled string")
    func roundTrip() throws {
        let awkward = "postgres://u:p\"a\\ss\u{1}/é@db.example:5432/postgres?sslmode=require"
        for credentials in [DatabaseCredentials(direct: awkward, pooled: "postgres://pooled"), DatabaseCredentials(direct: "postgres://d", pooled: nil)] {
            let decoded = try JSONDecoder().decode(DatabaseCredentials.self, from: Data(credentials.json))
            #expect(decoded.direct == credentials.direct)
            #expect(decoded.pooled == credentials.pooled)
        }
        #expect(String(decoding: DatabaseCredentials(direct: "d", pooled: nil).json, as: UTF8.self) == #"{"direct":"d","pooled":null}"#)
    }
}
