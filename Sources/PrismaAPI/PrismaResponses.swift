import Foundation

/// Turns transport results into values or ``PrismaError``s (shared by both clients).
enum PrismaResponses {
    static func error(from failure: TransportFailure) -> PrismaError {
        switch failure {
        case .timedOut: return PrismaError(kind: .timeout, message: "no answer from Prisma within the timeout")
        case .connectionFailed(let reason): return PrismaError(kind: .network, message: "connection to Prisma failed (\(reason))")
        }
    }

    static func kind(forStatus status: Int) -> PrismaError.Kind {
        switch status {
        case 400, 422: return .invalidRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 413: return .payloadTooLarge
        case 429: return .rateLimited
        case 500...599: return .server
        default: return .unexpectedStatus
        }
    }

    /// Maps a non-2xx Management API answer (the `{"error":{…}}` envelope, when present).
    static func apiError(_ response: TransportResponse) -> PrismaError {
        let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: response.body)
        return PrismaError(
            kind: kind(forStatus: response.status), status: response.status, code: envelope?.error.code,
            message: envelope?.error.message.map { String($0.prefix(300)) } ?? "HTTP \(response.status) from Prisma",
            hint: envelope?.error.hint.map { String($0.prefix(300)) },
            retryAfter: retryAfter(response))
    }

    /// `Retry-After` as delay-seconds (HTTP-dates are rare from APIs and treated as absent).
    static func retryAfter(_ response: TransportResponse) -> Duration? {
        guard response.status == 429 || response.status == 503,
              let value = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces),
              let seconds = Double(value), seconds >= 0, seconds < 86_400 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Reads an answer with `read` (see `Models+JSON.swift`), any failure an `invalidResponse`
    /// that names the member whose shape was not the expected one, when it is that.
    static func read<T>(_ type: T.Type, _ response: TransportResponse, with read: ([UInt8]) throws -> T) throws(PrismaError) -> T {
        do {
            return try read(Array(response.body))
        } catch {
            let at = (error as? UnexpectedShape).map { " at \($0.path)" } ?? ""
            throw PrismaError(kind: .invalidResponse, status: response.status,
                              message: "unexpected response body from Prisma (\(T.self)\(at))")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TransportResponse) throws(PrismaError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw PrismaError(kind: .invalidResponse, status: response.status,
                              message: "unexpected response body from Prisma (\(T.self))")
        }
    }
}
