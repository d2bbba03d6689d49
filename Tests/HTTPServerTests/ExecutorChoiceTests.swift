import Dispatch
import HTTPServer
import Synchronization
import TestSupport
import Testing

/// A route may name the executor its request's task prefers (``Router/ExecutorChoice``).
@Suite("A route's executor choice")
struct ExecutorChoiceTests {
    /// A task executor that runs every job on one serial queue and counts them; the queue is
    /// tagged, so code can tell whether it runs there.
    final class QueueExecutor: TaskExecutor, Sendable {
        static let tag = DispatchSpecificKey<String>()
        let queue = DispatchQueue(label: "test.executor")
        private let jobs = Atomic<Int>(0)

        init() { queue.setSpecific(key: Self.tag, value: "test.executor") }

        var jobCount: Int { jobs.load(ordering: .relaxed) }

        static var isCurrent: Bool { DispatchQueue.getSpecific(key: tag) == "test.executor" }

        func enqueue(_ job: consuming ExecutorJob) {
            jobs.add(1, ordering: .relaxed)
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    private static func router(_ executor: QueueExecutor) -> Router {
        var router = Router()
        router.post("/chosen/:name", executor: { request in request.pathParameters["name"] == "queue" ? executor : nil }) { _ in
            .text(QueueExecutor.isCurrent ? "on the queue" : "elsewhere")
        }
        router.post("/plain") { _ in .text(QueueExecutor.isCurrent ? "on the queue" : "elsewhere") }
        return router
    }

    @Test("the router returns the matched route's choice, made with the path parameters; nil otherwise")
    func routerChoice() {
        let executor = QueueExecutor()
        let router = Self.router(executor)
        func request(_ method: String, _ path: String) -> HTTPRequest {
            HTTPRequest(method: method, path: path, query: [], headers: HTTPHeaders(), body: [], requestID: "r")
        }
        #expect(router.taskExecutor(for: request("POST", "/chosen/queue")) as? QueueExecutor === executor)
        #expect(router.taskExecutor(for: request("POST", "/chosen/other")) == nil)  // the choice said nil
        #expect(router.taskExecutor(for: request("POST", "/plain")) == nil)  // no choice on the route
        #expect(router.taskExecutor(for: request("GET", "/chosen/queue")) == nil)  // wrong method
        #expect(router.taskExecutor(for: request("POST", "/nowhere")) == nil)
        #expect(Router().taskExecutor(for: request("POST", "/chosen/queue")) == nil)
    }

    @Test("over HTTP, the handler runs on the chosen executor, and only where one is chosen")
    func handlerRunsThere() async throws {
        let executor = QueueExecutor()
        let server = MicroHTTPServer(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, threadPoolSize: 2, drainTimeout: .seconds(5)),
            handler: Self.router(executor))
        try server.start()
        defer { Task { await server.stop() } }
        let client = TestClient(port: server.port)

        let chosen = try await client.send("POST", "/chosen/queue")
        #expect(chosen.status == 200)
        #expect(chosen.text == "on the queue")
        let jobsAfterChosen = executor.jobCount
        #expect(jobsAfterChosen >= 1)

        for path in ["/chosen/other", "/plain"] {
            let reply = try await client.send("POST", path)
            #expect(reply.status == 200)
            #expect(reply.text == "elsewhere", "\(path)")
        }
        #expect(executor.jobCount == jobsAfterChosen)  // nothing else was sent there
    }
}
