#if canImport(Glibc)
import CRandom
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random values for secrets and ids, from the system CSPRNG (`getrandom`), in one place so every
/// module — product, Prisma client, emulator, the HTTP wrapper's request ids — draws them the same way.
public enum SecureRandom {
    /// `count` random bytes, from one `getrandom` call (the standard generator makes one call per
    /// eight bytes: four for a 32-byte token).
    public static func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` from the system CSPRNG: one `getrandom` call for up to 256 bytes (the kernel
    /// never returns less once its pool is initialised; a short read or `EINTR` is completed).
    /// Like the standard generator, it stops the process if the system has no randomness to give.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            #if canImport(Glibc)
            let got = getrandom(base + offset, buffer.count - offset, 0)
            if got < 0 {
                if errno == EINTR { continue }
                fatalError("getrandom failed (errno \(errno))")
            }
            offset += got
            #else
            arc4random_buf(base + offset, buffer.count - offset)
            offset = buffer.count
            #endif
        }
    }

    /// Base64url (no padding) of `count` random bytes: 32 bytes → 43 characters, 256 bits.
    public static func token(bytes count: Int = 32) -> String {
        Base64URL.encode(bytes(count))
    }

    /// A lowercase alphanumeric id body of `count` characters (~5.2 bits each).
    public static func idBody(_ count: Int = 24) -> String {
        var generator = BatchedSystemRandom()
        return idBody(count, using: &generator)
    }

    /// An id body of 24 characters like ``idBody(_:)``'s, whose first 9 are `milliseconds` (since
    /// 1970) in base 36 and whose last 15 are random (~77 bits): ids made later sort after, byte
    /// by byte, and any two differ in their random part even within one millisecond.
    ///
    /// Why: an index on random ids takes every insert on a random leaf page of its B-tree, so the
    /// pages a run of inserts dirties — and that SQLite's checkpoint then writes back and syncs —
    /// grow with the table. With the time first, new rows of every index on the id (and on the
    /// ids they point to) land on the rightmost pages. Measured on provisioning (1 connection,
    /// interleaved, 9 rounds): Claimgate's p99 lower in 8 of them, by 0.5–1 ms; see README.
    public static func timeOrderedIdBody(milliseconds: Int64) -> String {
        var generator = BatchedSystemRandom()
        return timeOrderedIdBody(milliseconds: milliseconds, using: &generator)
    }

    /// Base-36 digits in byte order (digits before letters), for the time part: 9 of them cover
    /// milliseconds until the year 5188.
    static let orderedDigits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    static func timeOrderedIdBody(milliseconds: Int64, using generator: inout some RandomNumberGenerator) -> String {
        var time = UInt64(max(0, milliseconds))
        var characters = [UInt8](repeating: 0, count: 9)
        for index in stride(from: 8, through: 0, by: -1) {
            characters[index] = orderedDigits[Int(time % 36)]
            time /= 36
        }
        return String(decoding: characters, as: UTF8.self) + idBody(15, using: &generator)
    }

    static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    /// 36^12: twelve base-36 digits per 64-bit draw.
    static let digitsPerDraw = 12
    static let drawRange: UInt64 = 4_738_381_338_321_616_896
    /// The largest multiple of 36^12 below 2^64: draws at or above it are redrawn, so every
    /// remainder — and every digit of it — is equally likely.
    static let drawLimit: UInt64 = drawRange * 3

    /// Twelve characters per draw instead of one, and (from ``BatchedSystemRandom``) four draws
    /// per `getrandom` system call: a provision makes three ids (72 calls before, then ~8, now 3).
    static func idBody(_ count: Int, using generator: inout some RandomNumberGenerator) -> String {
        var characters = [UInt8]()
        characters.reserveCapacity(count)
        while characters.count < count {
            var value = generator.next() as UInt64
            guard value < drawLimit else { continue }
            value %= drawRange
            for _ in 0..<min(digitsPerDraw, count - characters.count) {
                characters.append(idAlphabet[Int(value % 36)])
                value /= 36
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Whether `text` has the shape of ``token(bytes:)`` with 32 bytes: 43 base64url characters.
    public static func isToken(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy(Base64URL.isAlphabet)
    }
}

/// The system CSPRNG, four 64-bit draws per `getrandom` call instead of one (an id of 24
/// characters takes about 2.6 draws, rejections included). The draws it has not handed out yet are
/// dropped with it: it lives for one id, never in a shared buffer.
struct BatchedSystemRandom: RandomNumberGenerator {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var left = 0

    mutating func next() -> UInt64 {
        if left == 0 {
            withUnsafeMutableBytes(of: &words) { SecureRandom.fill($0) }
            left = 4
        }
        left -= 1
        return withUnsafeBytes(of: words) { $0.load(fromByteOffset: left * 8, as: UInt64.self) }
    }
}

/// Base64url without padding (RFC 4648 §5), as tokens, PKCE and JWTs use it.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index < input.count {
            let chunk = input[index..<min(index + 3, input.count)]
            var value = UInt32(0)
            for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count { output.append(alphabet[Int(value >> (18 - 6 * position)) & 0x3f]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func isAlphabet(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || byte == 0x2d || byte == 0x5f
    }
}
