import ServiceLifecycle

/// Runs an ``Application`` under swift-service-lifecycle: serve until SIGTERM/SIGINT, then drain.
public struct ClaimgateService: Service {
    let application: Application

    public init(application: Application) { self.application = application }

    public func run() async throws {
        try application.start()
        try? await gracefulShutdown()
        await application.stop()
    }
}
