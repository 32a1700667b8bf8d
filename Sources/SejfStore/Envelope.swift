import SejfCore
import SejfCrypto

/// Envelope encryption of one secret version.
///
/// Each version gets a fresh 256-bit data key. The value is sealed under it with
/// XChaCha20-Poly1305; the data key is sealed under the environment's key-encryption key. Both
/// bind, as associated data, the format version, environment, secret ARN and version id, so a
/// ciphertext or wrapped key copied to another row does not open.
///
/// Stored forms:
///
///     wrapped key: 0x01 | KEK id (16 bytes) | nonce (24) | sealed data key (32 + 16)
///     ciphertext:  0x01 | nonce (24) | sealed value (n + 16)
///
/// Public (seal, open, their types) only for the micro-benchmarks of Benchmarks/tools.
public enum Envelope {
    static let formatVersion: UInt8 = 1
    static let keyIdLength = 16

    public struct Sealed {
        var wrappedKey: [UInt8]
        var ciphertext: [UInt8]
    }

    /// Where a version belongs; its bytes are the associated data.
    public struct Binding {
        var environment: EnvironmentName
        var arn: String
        var versionId: String

        /// The binding of version `versionId` of the secret `arn` in `environment`.
        public init(environment: EnvironmentName, arn: String, versionId: String) {
            self.environment = environment
            self.arn = arn
            self.versionId = versionId
        }

        func associatedData(_ purpose: String) -> [UInt8] {
            Array("sejf.\(purpose).v\(Envelope.formatVersion)\u{0}\(environment)\u{0}\(arn)\u{0}\(versionId)".utf8)
        }
    }

    public static func seal(_ plaintext: [UInt8], binding: Binding, kek: KeyEncryptionKey) throws -> Sealed {
        try SecureBytes.withTemporaryRandom(count: AEAD.keyLength) { dataKey in
            let ciphertext = try AEAD.seal(plaintext, associatedData: binding.associatedData("value"), key: dataKey)
            return Sealed(wrappedKey: try wrap(dataKey, binding: binding, kek: kek), ciphertext: [formatVersion] + ciphertext)
        }
    }

    /// Opens a version. Any mismatch — wrong key, altered byte, row moved — is `DecryptionFailure`.
    public static func open(_ sealed: Sealed, binding: Binding, kek: KeyEncryptionKey) throws -> [UInt8] {
        guard sealed.ciphertext.first == formatVersion else { throw failure(binding, "unknown ciphertext format") }
        return try withDataKey(of: sealed.wrappedKey, binding: binding, kek: kek) { dataKey in
            do {
                return try AEAD.open(Array(sealed.ciphertext.dropFirst()), associatedData: binding.associatedData("value"), key: dataKey)
            } catch {
                throw failure(binding, "the ciphertext does not authenticate")
            }
        }
    }

    /// The KEK id a wrapped key names, or nil when malformed.
    static func keyId(ofWrappedKey wrapped: [UInt8]) -> String? {
        guard wrapped.count > 1 + keyIdLength, wrapped[0] == formatVersion else { return nil }
        return Hash.hex(Array(wrapped[1...keyIdLength]))
    }

    /// Re-wraps a version's data key under another key-encryption key (`sejf key rotate`): opens
    /// it with `old`, seals it with `new` under the same associated data rules. The value's
    /// ciphertext is untouched; the data key exists in clear only in wiped memory.
    /// - Throws: `DecryptionFailure` when `wrapped` does not open with `old`.
    static func rewrap(_ wrapped: [UInt8], binding: Binding, from old: KeyEncryptionKey, to new: KeyEncryptionKey) throws -> [UInt8] {
        try withDataKey(of: wrapped, binding: binding, kek: old) { try wrap($0, binding: binding, kek: new) }
    }

    private static func wrap(_ dataKey: SecureBytes, binding: Binding, kek: KeyEncryptionKey) throws -> [UInt8] {
        // One uniquely owned copy, wiped in place (a copy passed in would be copied on write and
        // the original left behind unwiped).
        var plain = dataKey.withUnsafeBytes { [UInt8]($0) }
        defer { SecureBytes.wipe(&plain) }
        let sealed = try AEAD.seal(plain, associatedData: binding.associatedData("dek") + kek.idBytes, key: kek.bytes)
        return [formatVersion] + kek.idBytes + sealed
    }

    /// Runs `body` with the data key `wrapped` holds, in secure memory wiped afterwards.
    private static func withDataKey<T>(of wrapped: [UInt8], binding: Binding, kek: KeyEncryptionKey,
                                       _ body: (SecureBytes) throws -> T) throws -> T {
        guard let id = keyId(ofWrappedKey: wrapped) else { throw failure(binding, "malformed wrapped key") }
        guard id == kek.id else { throw failure(binding, "wrapped with key \(id), not \(kek.id)") }
        return try SecureBytes.withTemporary(count: AEAD.keyLength) { dataKey in
            do {
                try AEAD.open(Array(wrapped.dropFirst(1 + keyIdLength)), associatedData: binding.associatedData("dek") + kek.idBytes,
                              key: kek.bytes, into: dataKey)
            } catch {
                throw failure(binding, "the wrapped data key does not authenticate")
            }
            return try body(dataKey)
        }
    }

    private static func failure(_ binding: Binding, _ reason: String) -> SejfError {
        SejfError(.decryptionFailure,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key: version \(binding.versionId) of \(binding.arn): \(reason).")
    }
}

extension Envelope {
    /// Seals an access key's secret under the system key: `0x01 | nonce | sealed secret`, bound to
    /// the access key id and its principal.
    static func sealAccessKeySecret(_ secret: SecureBytes, id: String, principal: String, key: KeyEncryptionKey) throws -> [UInt8] {
        let plaintext = secret.withUnsafeBytes { Array($0) }
        var copy = plaintext
        defer { SecureBytes.wipe(&copy) }
        return [formatVersion] + (try AEAD.seal(copy, associatedData: accessKeyBinding(id, principal), key: key.bytes))
    }

    static func openAccessKeySecret(_ sealed: [UInt8], id: String, principal: String, key: KeyEncryptionKey) throws -> SecureBytes {
        guard sealed.first == formatVersion else { throw SejfError(.decryptionFailure, "Unknown format of access key \(id).") }
        do {
            return try AEAD.openSecure(Array(sealed.dropFirst()), associatedData: accessKeyBinding(id, principal), key: key.bytes)
        } catch {
            throw SejfError(.decryptionFailure, "The secret of access key \(id) does not authenticate.")
        }
    }

    /// The associated data of an access key's sealed secret (internal for Fuzz/FuzzEnvelope).
    static func accessKeyBinding(_ id: String, _ principal: String) -> [UInt8] {
        Array("sejf.access-key.v\(formatVersion)\u{0}\(id)\u{0}\(principal)".utf8)
    }
}
