import Logging

/// A key for a value that middleware attaches to a request (an authenticated principal, a rate-limit
/// bucket…): the key type names the value's type, so reads are typed and keys cannot collide.
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

/// What travels with one request besides its bytes: a logger that already names the request id,
/// and typed values that middleware adds for the handlers behind it.
public struct RequestContext: Sendable {
    /// Every line logged through it carries `request_id`.
    public var logger: Logger
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init(logger: Logger) {
        self.logger = logger
    }

    /// The value stored under `key`, if a middleware set one.
    public subscript<Key: RequestContextKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}
