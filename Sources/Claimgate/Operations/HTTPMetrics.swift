import HTTPServer
import Prometheus

/// Request counts and latency histograms by route and status, exposed in Prometheus text format.
///
/// Labels use the matched route *pattern* (`/v1/databases/:id`), never the raw path, so the
/// number of series stays bounded and no id or token becomes a label.
public struct HTTPMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Records one answered request.
    public func record(_ access: AccessRecord) {
        let method = HTTPMetrics.knownMethods.contains(access.method) ? access.method : "OTHER"
        registry.makeCounter(
            descriptor: HTTPMetrics.requests,
            labels: [("method", method), ("route", access.route), ("status", String(access.status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: HTTPMetrics.latency,
            labels: [("method", method), ("route", access.route)],
            buckets: HTTPMetrics.buckets
        ).record(access.duration)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    static var requests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "claimgate", subsystem: "http", metricName: "requests", unitName: "total",
        helpText: "HTTP requests answered, by method, route pattern and status.") }
    static var latency: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "claimgate", subsystem: "http", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from the end of the request head to the queued response.") }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}
