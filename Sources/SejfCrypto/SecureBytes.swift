import CSodium
import Synchronization

/// A fixed-size buffer for key material, allocated with `sodium_malloc`: guard pages around it,
/// locked in memory (kept off swap) where the system allows, and zeroed when freed.
///
/// Use it for every key; read it only inside ``withUnsafeBytes(_:)`` so the bytes never get
/// copied into ordinary, unwiped Swift arrays.
public final class SecureBytes: @unchecked Sendable {
    private let pointer: UnsafeMutableRawPointer
    /// Number of bytes held.
    public let count: Int

    /// A buffer of `count` zero bytes.
    public init(count: Int) {
        Sodium.ensureInitialised()
        precondition(count > 0)
        guard let p = sodium_malloc(count) else { fatalError("sodium_malloc failed") }
        pointer = p
        self.count = count
        sodium_memzero(p, count)
    }

    /// A buffer of `count` random bytes from the system CSPRNG.
    public static func random(count: Int) -> SecureBytes {
        let bytes = SecureBytes(count: count)
        randombytes_buf(bytes.pointer, count)
        return bytes
    }

    /// Copies `bytes` into secure memory. Callers should wipe their own copy with ``wipe(_:)``.
    public convenience init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(count: bytes.count)
        var offset = 0
        for byte in bytes {
            pointer.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
    }

    deinit {
        sodium_free(pointer)
    }

    /// Reads the bytes; the buffer must not escape the closure.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Writes the bytes in place; the buffer must not escape the closure.
    public func withUnsafeMutableBytes<T>(_ body: (UnsafeMutableRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time comparison (`sodium_memcmp`).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        count == other.count && sodium_memcmp(pointer, other.pointer, count) == 0
    }

    /// Zeroes an ordinary byte array that held key material.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
        bytes.removeAll()
    }
}

/// Constant-time equality of two byte sequences of the same length (`sodium_memcmp`).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    Sodium.ensureInitialised()
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 } }
}

/// `count` random bytes from the system CSPRNG (not for keys: use ``SecureBytes/random(count:)``).
public func randomBytes(count: Int) -> [UInt8] {
    Sodium.ensureInitialised()
    var bytes = [UInt8](repeating: 0, count: count)
    if count > 0 { bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) } }
    return bytes
}

/// A uniformly random integer in `0..<upperBound` (`randombytes_uniform`, no modulo bias).
public func randomUniform(_ upperBound: UInt32) -> UInt32 {
    Sodium.ensureInitialised()
    return randombytes_uniform(upperBound)
}

extension SecureBytes {
    /// Decodes standard base64 (with padding) straight into secure memory, so the key never sits
    /// in an ordinary buffer. Surrounding whitespace is ignored.
    /// - Throws: ``CryptoError/malformed(_:)`` when the text is not base64 or not `expectedCount` bytes long.
    public static func fromBase64(_ text: String, expectedCount: Int) throws -> SecureBytes {
        Sodium.ensureInitialised()
        var chars = Array(text.utf8)
        defer { wipe(&chars) }
        let secure = SecureBytes(count: max(expectedCount, chars.count))
        var length = 0
        let rc = secure.withUnsafeMutableBytes { out in
            sodium_base642bin(out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                              chars.map { CChar(bitPattern: $0) }, chars.count, " \t\r\n", &length, nil,
                              sodium_base64_VARIANT_ORIGINAL)
        }
        guard rc == 0 else { throw CryptoError.malformed("base64 key") }
        guard length == expectedCount else { throw CryptoError.invalidKeyLength(length) }
        if secure.count == expectedCount { return secure }
        return secure.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<expectedCount])) }
    }

    /// Standard base64 of the bytes, as written to key files.
    public func base64() -> String {
        let capacity = sodium_base64_encoded_len(count, sodium_base64_VARIANT_ORIGINAL)
        var out = [CChar](repeating: 0, count: capacity)
        withUnsafeBytes { b in
            _ = sodium_bin2base64(&out, capacity, b.baseAddress!.assumingMemoryBound(to: UInt8.self), count,
                                  sodium_base64_VARIANT_ORIGINAL)
        }
        defer { out.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension SecureBytes {
    /// Runs `body` with a zeroed `count`-byte secure buffer for a short-lived key (a version's
    /// data key), wiped when `body` returns. Buffers are reused from a small pool: allocating
    /// secure memory takes several system calls (map, guard pages, lock), which cost more than
    /// the decryption they serve. The buffer must not escape `body`.
    public static func withTemporary<T>(count: Int, _ body: (SecureBytes) throws -> T) rethrows -> T {
        let buffer = TemporaryBuffers.shared.take(count: count) ?? SecureBytes(count: count)
        defer {
            sodium_memzero(buffer.pointer, buffer.count)
            TemporaryBuffers.shared.give(buffer)
        }
        return try body(buffer)
    }

    /// ``withTemporary(count:_:)`` with random bytes: a fresh short-lived key (a new version's
    /// data key).
    public static func withTemporaryRandom<T>(count: Int, _ body: (SecureBytes) throws -> T) rethrows -> T {
        try withTemporary(count: count) { buffer in
            randombytes_buf(buffer.pointer, buffer.count)
            return try body(buffer)
        }
    }
}

/// The pool behind ``SecureBytes/withTemporary(count:_:)``: wiped buffers, by size, at most
/// `limit` of each size.
private final class TemporaryBuffers: Sendable {
    static let shared = TemporaryBuffers()
    private let free = Mutex<[Int: [SecureBytes]]>([:])
    private let limit = 64

    func take(count: Int) -> SecureBytes? {
        free.withLock { $0[count]?.popLast() }
    }

    func give(_ buffer: SecureBytes) {
        free.withLock { free in
            if free[buffer.count, default: []].count < limit { free[buffer.count, default: []].append(buffer) }
        }
    }
}

/// A random (version 4) UUID in lower-case text, from libsodium's CSPRNG. Foundation's `UUID()`
/// opens `/dev/urandom` on every call here, and the server makes one per request.
public func randomUUIDString() -> String {
    var bytes = randomBytes(count: 16)
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    return Hash.hex(bytes, dashAfter: [4, 6, 8, 10])
}
