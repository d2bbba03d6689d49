import Claimgate
import Foundation
import PrismaEmulator
import Storage
import TestSupport
import Testing

/// Where a create runs (``ProvisioningService/preferredExecutor``): on the SQLite writer's
/// thread while provisioning is quiet, on Swift's pool once creates overlap.
@Suite("Where a create runs")
struct ProvisioningExecutorTests {
    @Test("quiet: the writer's thread; two creates running: the pool; quiet again afterwards — both answered 201")
    func quietOnTheWriterBusyOnThePool() async throws {
        try await withApp { app in
            let service = app.application.provisioning
            guard let writer = app.application.database.taskExecutor else {
                // PostgreSQL: no writer thread to run on, whatever the load.
                #expect(app.application.database.kind == .postgres)
                #expect(service.preferredExecutor == nil)
                return
            }
            #expect(service.preferredExecutor as AnyObject === writer as AnyObject)
            // Slow enough that both creates are still running while the choice is looked at.
            try app.emulator.updateBehaviour { $0.createLatency = .seconds(2) }
            async let first = app.provision(#"{"name":"overlap-1"}"#, key: "overlap-1")
            async let second = app.provision(#"{"name":"overlap-2"}"#, key: "overlap-2")
            try await eventually("both creates are running") { service.preferredExecutor == nil }
            #expect(try await first.status == 201)
            #expect(try await second.status == 201)
            #expect(service.preferredExecutor as AnyObject === writer as AnyObject)
        }
    }
}
