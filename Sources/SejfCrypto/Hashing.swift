import CSodium

/// SHA-256, HMAC-SHA-256 and keyed BLAKE2b, all from libsodium.
public enum Hash {
    /// SHA-256 digest (32 bytes).
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialised()
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256(&out, data, UInt64(data.count))
        return out
    }

    /// HMAC-SHA-256 of `data` under a key of any length.
    public static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { hmacSHA256(key: $0, data) }
    }

    /// HMAC-SHA-256 of `data` under a key read in place (from ``SecureBytes``, say).
    public static func hmacSHA256(key: UnsafeRawBufferPointer, _ data: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialised()
        var state = crypto_auth_hmacsha256_state()
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        if let start = key.baseAddress?.assumingMemoryBound(to: UInt8.self) {
            crypto_auth_hmacsha256_init(&state, start, key.count)
        } else {
            var empty: UInt8 = 0
            crypto_auth_hmacsha256_init(&state, &empty, 0)
        }
        crypto_auth_hmacsha256_update(&state, data, UInt64(data.count))
        crypto_auth_hmacsha256_final(&state, &out)
        sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
        return out
    }

    /// BLAKE2b of `data`, `length` bytes (16–64), keyed with `key` when given.
    public static func blake2b(_ data: [UInt8], key: SecureBytes? = nil, length: Int = 32) -> [UInt8] {
        Sodium.ensureInitialised()
        precondition(length >= Int(crypto_generichash_BYTES_MIN) && length <= Int(crypto_generichash_BYTES_MAX))
        var out = [UInt8](repeating: 0, count: length)
        if let key {
            key.withUnsafeBytes { k in
                _ = crypto_generichash(&out, length, data, UInt64(data.count),
                                       k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
            }
        } else {
            crypto_generichash(&out, length, data, UInt64(data.count), nil, 0)
        }
        return out
    }

    /// Lower-case hexadecimal of a byte array (for key ids and digests, never for keys).
    public static func hex(_ bytes: [UInt8]) -> String {
        hex(bytes, dashAfter: [])
    }

    /// Lower-case hexadecimal of `bytes`, with a `-` after the first n bytes for each n in `dashAfter`
    /// (ascending; `[4, 6, 8, 10]` gives a UUID's 8-4-4-4-12 form), written straight into the string.
    static func hex(_ bytes: [UInt8], dashAfter: [Int]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2 + dashAfter.count) { out in
            var written = 0
            var dashes = dashAfter[...]
            for (i, byte) in bytes.enumerated() {
                if dashes.first == i {
                    out[written] = UInt8(ascii: "-")
                    written += 1
                    dashes.removeFirst()
                }
                out[written] = hexDigit(byte >> 4)
                out[written + 1] = hexDigit(byte & 0x0f)
                written += 2
            }
            return written
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
