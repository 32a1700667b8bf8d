import CSodium

/// Argon2id (libsodium's `crypto_pwhash`) parameters, stored beside the salt so the same key can
/// be derived again after the defaults change.
public struct Argon2idParameters: Sendable, Equatable, Codable {
    /// Number of passes.
    public var opsLimit: UInt64
    /// Memory in bytes.
    public var memLimit: Int

    public init(opsLimit: UInt64, memLimit: Int) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    /// libsodium's "moderate" profile: 3 passes, 256 MiB.
    public static let moderate = Argon2idParameters(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimit: Int(crypto_pwhash_MEMLIMIT_MODERATE))
    /// libsodium's "interactive" profile: 2 passes, 64 MiB.
    public static let interactive = Argon2idParameters(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memLimit: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))

    /// Salt length in bytes (16).
    public static let saltLength = Int(crypto_pwhash_SALTBYTES)

    /// Whether libsodium accepts these parameters for Argon2id.
    public var isValid: Bool {
        opsLimit >= UInt64(crypto_pwhash_OPSLIMIT_MIN) && opsLimit <= 20
            && memLimit >= Int(crypto_pwhash_MEMLIMIT_MIN) && memLimit <= 4 << 30
    }
}

public enum PasswordKDF {
    /// Stretches a passphrase into a 32-byte key with Argon2id.
    public static func deriveKey(passphrase: [UInt8], salt: [UInt8], parameters: Argon2idParameters) throws -> SecureBytes {
        Sodium.ensureInitialised()
        guard salt.count == Argon2idParameters.saltLength else { throw CryptoError.malformed("Argon2id salt") }
        guard parameters.isValid else { throw CryptoError.malformed("Argon2id parameters") }
        guard !passphrase.isEmpty else { throw CryptoError.malformed("passphrase (empty)") }
        let key = SecureBytes(count: AEAD.keyLength)
        let rc = key.withUnsafeMutableBytes { k in
            passphrase.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { pc in
                    crypto_pwhash(
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(k.count),
                        pc.baseAddress!, UInt64(passphrase.count), salt,
                        parameters.opsLimit, parameters.memLimit, crypto_pwhash_ALG_ARGON2ID13)
                }
            }
        }
        guard rc == 0 else { throw CryptoError.keyDerivationFailed }
        return key
    }
}
