import PrismaAPI
import Secrets

/// What provisioning needs from Prisma, as a protocol so the domain logic is testable without
/// sockets. Every error is a ``PrismaError``.
public protocol ProjectsUpstream: Sendable {
    func createProject(name: String, region: String, logicalId: String) async throws(PrismaError) -> CreatedProject
    func findProject(logicalId: String) async throws(PrismaError) -> Project?
    func databases(projectID: String) async throws(PrismaError) -> [ProjectDatabase]
    func createConnection(databaseID: String, name: String) async throws(PrismaError) -> DatabaseConnection
    func deleteProject(id: String) async throws(PrismaError)
    /// The project as the partner's workspace sees it: `notFound` once it moved to another workspace.
    func project(id: String) async throws(PrismaError) -> Project
    /// A database, for its `status` (`provisioning` → `ready`, or `failure`).
    func database(id: String) async throws(PrismaError) -> ProjectDatabase
    /// One page of the partner workspace's projects.
    func projects(cursor: String?) async throws(PrismaError) -> Page<Project>
}

/// ``ProjectsUpstream`` over the Management API with the partner's service token.
public struct PrismaProjectsUpstream: ProjectsUpstream {
    let client: ManagementClient
    let token: Secret

    public init(client: ManagementClient, token: Secret) {
        self.client = client
        self.token = token
    }

    public func createProject(name: String, region: String, logicalId: String) async throws(PrismaError) -> CreatedProject {
        try await client.createProject(name: name, region: region, logicalId: logicalId, token: token)
    }
    public func findProject(logicalId: String) async throws(PrismaError) -> Project? {
        try await client.findProject(logicalId: logicalId, token: token)
    }
    public func databases(projectID: String) async throws(PrismaError) -> [ProjectDatabase] {
        try await client.listDatabases(projectID: projectID, token: token)
    }
    public func createConnection(databaseID: String, name: String) async throws(PrismaError) -> DatabaseConnection {
        try await client.createConnection(databaseID: databaseID, name: name, token: token)
    }
    public func deleteProject(id: String) async throws(PrismaError) {
        try await client.deleteProject(id: id, token: token)
    }
    public func project(id: String) async throws(PrismaError) -> Project {
        try await client.getProject(id: id, token: token)
    }
    public func database(id: String) async throws(PrismaError) -> ProjectDatabase {
        try await client.getDatabase(id: id, token: token)
    }
    public func projects(cursor: String?) async throws(PrismaError) -> Page<Project> {
        try await client.listProjects(cursor: cursor, limit: 100, token: token)
    }
}
