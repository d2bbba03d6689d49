import JSONValues
import Secrets

// The create answer's types read from a parsed ``JSONValue`` instead of through `Codable`.
//
// Why: `POST /v1/projects` is answered on every provision's path, and `JSONDecoder` spent ~50 µs
// of CPU on its ~1.8 KB answer, almost all of it in the `Codable` layer (keyed containers,
// seven nested types), not in reading the bytes (`perf`, 2026-12-04). The project's own parser
// builds the values in one pass, and these initialisers pick the fields out of them.
//
// Each type has one field mapping, here: its `init(from:)` (for `Codable` callers such as list
// pages) reads a `JSONValue` and comes here too. The rules are `Codable`'s: a required field
// that is absent, null or of another type is an error; an optional one may be absent or null,
// never of another type; members not named are ignored, so additions upstream do not break us.

/// A Prisma answer whose shape is not the one expected: the member path, for the error message.
struct UnexpectedShape: Error {
    let path: String
}

/// The members of one JSON object, read by the rules above.
struct JSONFields {
    private let members: [String: JSONValue]
    private let path: String

    init(_ value: JSONValue, path: String = "$") throws(UnexpectedShape) {
        guard case .object(let members) = value else { throw UnexpectedShape(path: path) }
        self.members = members
        self.path = path
    }

    /// The member, nil when absent or null.
    private func member(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    private func path(_ key: String) -> String { path + "." + key }

    func optionalString(_ key: String) throws(UnexpectedShape) -> String? {
        guard let value = member(key) else { return nil }
        guard case .string(let text) = value else { throw UnexpectedShape(path: path(key)) }
        return text
    }

    func string(_ key: String) throws(UnexpectedShape) -> String {
        guard let text = try optionalString(key) else { throw UnexpectedShape(path: path(key)) }
        return text
    }

    func int(_ key: String) throws(UnexpectedShape) -> Int {
        guard let value = member(key), let number = value.integer else { throw UnexpectedShape(path: path(key)) }
        return number
    }

    func optionalObject(_ key: String) throws(UnexpectedShape) -> JSONFields? {
        guard let value = member(key) else { return nil }
        return try JSONFields(value, path: path(key))
    }

    func object(_ key: String) throws(UnexpectedShape) -> JSONFields {
        guard let fields = try optionalObject(key) else { throw UnexpectedShape(path: path(key)) }
        return fields
    }

    func array(_ key: String) throws(UnexpectedShape) -> [JSONFields] {
        guard let value = member(key), case .array(let elements) = value else { throw UnexpectedShape(path: path(key)) }
        var fields: [JSONFields] = []
        fields.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            fields.append(try JSONFields(element, path: "\(path(key))[\(index)]"))
        }
        return fields
    }
}

extension ResourceRef {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        id = try json.string("id")
        url = try json.optionalString("url")
        name = try json.string("name")
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension Project {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        id = try json.string("id")
        name = try json.string("name")
        logicalId = try json.optionalString("logicalId")
        createdAt = try json.string("createdAt")
        defaultRegion = try json.optionalString("defaultRegion")
        workspace = try ResourceRef(json.object("workspace"))
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension ConnectionEndpoint {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        host = try json.string("host")
        port = try json.int("port")
        connectionString = try json.optionalString("connectionString").map { Secret($0) }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension ConnectionEndpoints {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        direct = try json.optionalObject("direct").map { fields throws(UnexpectedShape) in try ConnectionEndpoint(fields) }
        pooled = try json.optionalObject("pooled").map { fields throws(UnexpectedShape) in try ConnectionEndpoint(fields) }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension DatabaseConnection {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        id = try json.string("id")
        name = try json.string("name")
        kind = try json.string("kind")
        endpoints = try ConnectionEndpoints(json.object("endpoints"))
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension CreatedDatabase {
    init(_ json: JSONFields) throws(UnexpectedShape) {
        id = try json.string("id")
        name = try json.string("name")
        status = try json.string("status")
        region = try ResourceRef(json.object("region"))
        connections = try json.array("connections").map { fields throws(UnexpectedShape) in try DatabaseConnection(fields) }
        defaultConnectionId = try json.optionalString("defaultConnectionId")
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }
}

extension CreatedProject {
    /// The project's members and, under `database`, its default database (absent or null: none yet).
    init(_ json: JSONFields) throws(UnexpectedShape) {
        project = try Project(json)
        database = try json.optionalObject("database").map { fields throws(UnexpectedShape) in try CreatedDatabase(fields) }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(JSONFields(JSONValue(from: decoder)))
    }

    /// `{"data": {…}}`, as `POST /v1/projects` answers, parsed and read in one pass.
    static func fromEnvelope(_ body: [UInt8]) throws -> CreatedProject {
        try CreatedProject(JSONFields(JSONParser.parse(body)).object("data"))
    }
}
