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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the timestamp's text to `bytes` (what ``string(milliseconds:)`` returns), for
    /// writers of JSON that build their bytes directly.
    public static func append(milliseconds: Int64, to bytes: inout [UInt8]) {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int32(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) {
            // At least `width` digits, zero-padded; more when the value needs them (years > 9999).
            let text = String(value)
            for _ in 0..<max(0, width - text.utf8.count) { bytes.append(UInt8(ascii: "0")) }
            bytes += text.utf8
        }
        digits(parts.tm_year + 1900, 4); bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2); bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2); bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2); bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2); bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2); bytes.append(UInt8(ascii: "."))
        digits(millis, 3); bytes.append(UInt8(ascii: "Z"))
    }

    public static func string(secondsSince1970 seconds: Double) -> String {
        string(milliseconds: Int64((seconds * 1000).rounded()))
    }
}
