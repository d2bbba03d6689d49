import Foundation
import Synchronization

/// The time, behind a protocol so lifecycle tests can move it instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

extension WallClock {
    /// Unix milliseconds.
    public func milliseconds() -> Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded()) }
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that stands still until moved.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>
    public init(_ start: Date = Date()) { current = Mutex(start) }
    public func now() -> Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

