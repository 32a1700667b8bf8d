import CSodium

/// XChaCha20-Poly1305 (IETF) authenticated encryption with a random 192-bit nonce.
///
/// The sealed form is `nonce (24 bytes) || ciphertext || tag (16 bytes)`. Associated data is
/// authenticated but not stored: opening with different associated data fails, which is what
/// binds a ciphertext to the row it belongs to.
public enum AEAD {
    /// Key size in bytes (32).
    public static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    /// Nonce size in bytes (24).
    public static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Authentication tag size in bytes (16).
    public static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// Encrypts `plaintext` under `key`, binding `associatedData`.
    public static func seal(_ plaintext: [UInt8], associatedData: [UInt8], key: SecureBytes) throws -> [UInt8] {
        Sodium.ensureInitialised()
        guard key.count == keyLength else { throw CryptoError.invalidKeyLength(key.count) }
        var output = [UInt8](repeating: 0, count: nonceLength + plaintext.count + tagLength)
        let nonce = randomBytes(count: nonceLength)
        output.replaceSubrange(0..<nonceLength, with: nonce)
        var cipherLength: UInt64 = 0
        let rc = output.withUnsafeMutableBufferPointer { out in
            key.withUnsafeBytes { k in
                crypto_aead_xchacha20poly1305_ietf_encrypt(
                    out.baseAddress! + nonceLength, &cipherLength,
                    plaintext, UInt64(plaintext.count),
                    associatedData, UInt64(associatedData.count),
                    nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw CryptoError.malformed("encryption input") }
        return output
    }

    /// Decrypts a sealed value; throws ``CryptoError/authenticationFailed`` when the key, the
    /// associated data or any byte is wrong.
    public static func open(_ sealed: [UInt8], associatedData: [UInt8], key: SecureBytes) throws -> [UInt8] {
        try openInto(sealed, associatedData: associatedData, key: key) { [UInt8]($0) }
    }

    /// Decrypts a sealed value into secure memory (for wrapped keys). A key is never empty and
    /// secure memory cannot be: an empty plaintext is ``CryptoError/malformed(_:)``.
    public static func openSecure(_ sealed: [UInt8], associatedData: [UInt8], key: SecureBytes) throws -> SecureBytes {
        let opened = try openInto(sealed, associatedData: associatedData, key: key) { $0.isEmpty ? nil : SecureBytes(copying: $0) }
        guard let opened else { throw CryptoError.malformed("plaintext (empty, not a key)") }
        return opened
    }

    /// Decrypts a sealed value straight into `output`, secure memory of exactly the plaintext's
    /// length (a wrapped key into a ``SecureBytes/withTemporary(count:_:)`` buffer).
    public static func open(_ sealed: [UInt8], associatedData: [UInt8], key: SecureBytes, into output: SecureBytes) throws {
        Sodium.ensureInitialised()
        guard key.count == keyLength else { throw CryptoError.invalidKeyLength(key.count) }
        guard sealed.count == nonceLength + output.count + tagLength else { throw CryptoError.malformed("ciphertext (wrong length)") }
        let rc = sealed.withUnsafeBufferPointer { s in
            key.withUnsafeBytes { k in
                output.withUnsafeMutableBytes { out in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil,
                        s.baseAddress! + nonceLength, UInt64(sealed.count - nonceLength),
                        associatedData, UInt64(associatedData.count),
                        s.baseAddress!, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard rc == 0 else {
            output.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
            throw CryptoError.authenticationFailed
        }
    }

    private static func openInto<T>(
        _ sealed: [UInt8], associatedData: [UInt8], key: SecureBytes,
        _ make: (UnsafeBufferPointer<UInt8>) -> T
    ) throws -> T {
        Sodium.ensureInitialised()
        guard key.count == keyLength else { throw CryptoError.invalidKeyLength(key.count) }
        guard sealed.count >= nonceLength + tagLength else { throw CryptoError.malformed("ciphertext (too short)") }
        let plainLength = sealed.count - nonceLength - tagLength
        var plain = [UInt8](repeating: 0, count: max(plainLength, 1))
        defer { SecureBytes.wipe(&plain) }
        var outLength: UInt64 = 0
        let rc = sealed.withUnsafeBufferPointer { s in
            key.withUnsafeBytes { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    &plain, &outLength, nil,
                    s.baseAddress! + nonceLength, UInt64(sealed.count - nonceLength),
                    associatedData, UInt64(associatedData.count),
                    s.baseAddress!, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw CryptoError.authenticationFailed }
        return plain.withUnsafeBufferPointer { make(UnsafeBufferPointer(rebasing: $0[0..<Int(outLength)])) }
    }
}
