import ServiceLifecycle

/// Serves HTTP under swift-service-lifecycle: bind, wait for the graceful shutdown, then drain and
/// close. In the CLI's `ServiceGroup` it comes first, so it is shut down last, after the background
/// passes have stopped.
public struct ClaimgateService: Service {
    let application: Application

    public init(application: Application) { self.application = application }

    public func run() async throws {
        try application.start()
        // Throws only when cancelled instead of shut down gracefully: either way, drain now.
        try? await gracefulShutdown()
        await application.stop()
    }
}
