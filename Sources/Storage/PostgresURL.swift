import Foundation

/// Where PostgreSQL is and how to reach it, from `CLAIMGATE_DATABASE_URL`:
/// `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…`.
///
/// `sslmode` follows libpq's meaning so an operator's existing URL means what it says:
/// `disable` (plain TCP), `prefer` (TLS if the server offers it, no certificate check),
/// `require` (TLS, no certificate check), `verify-ca` (TLS, the chain checked against
/// `sslrootcert` or the system roots, any host name), `verify-full` (also the host name).
/// The default is `prefer`, as libpq's.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// A PEM file of the CA(s) to trust, for `verify-ca` and `verify-full`.
    public var sslRootCert: String?

    /// Why a URL was refused; never quotes the URL (it holds a password).
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { "invalid PostgreSQL URL: \(reason)" }
    }

    public init(_ string: String) throws(Invalid) {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw Invalid(reason: "must start with postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "no host") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(reason: "no user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(reason: "no database name (…/NAME)") }
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw Invalid(reason: "port out of range") }
        self.user = components.percentEncodedUser?.removingPercentEncoding ?? user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        var sslMode = SSLMode.prefer
        var rootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw Invalid(reason: "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                rootCert = item.value
            default:
                throw Invalid(reason: "unknown parameter \(item.name) (known: sslmode, sslrootcert)")
            }
        }
        self.sslMode = sslMode
        self.sslRootCert = rootCert
    }

    /// The address without credentials, for logs.
    public var description: String { "postgres://\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)" }
}
