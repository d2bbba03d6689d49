#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO 8601 timestamps with milliseconds and `Z` (`2026-03-18T12:00:00.341Z`), the format
/// Prisma's API writes (and Claimgate's API too). Formatted by hand with `gmtime_r`: creating
/// an `ISO8601DateFormatter` costs more than the rest of a typical request on Linux.
public enum Timestamp {
    public static func string(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    public static func string(secondsSince1970 seconds: Double) -> String {
        string(milliseconds: Int64((seconds * 1000).rounded()))
    }
}
