extension Result where Failure == any Error {
    /// The outcome of async `work` as a value, for code that hands it on (to waiters, a log)
    /// rather than rethrowing it where it happened. `Result(catching:)` takes no async closure.
    static func of(_ work: () async throws -> Success) async -> Self {
        do { return .success(try await work()) } catch { return .failure(error) }
    }
}
