import Foundation
import SejfCore
import SejfCrypto
import Synchronization

/// Where an environment's key-encryption key comes from.
public enum KeySource: String, Sendable, Codable {
    /// A key file in the key directory, written by `sejf init`.
    case file
    /// `SEJF_KEY_<ENV>`: base64 of 32 bytes.
    case variable
    /// `SEJF_PASSPHRASE_<ENV>`, stretched with Argon2id using the stored salt and parameters.
    case passphrase
}

/// What the database records about a key-encryption key: its id (a fingerprint of the key, never
/// the key), where it came from, and for passphrase keys the Argon2id salt and parameters.
public struct KeyRecord: Equatable, Sendable {
    public var id: String
    public var environment: EnvironmentName
    public var source: KeySource
    public var salt: [UInt8]?
    public var kdf: Argon2idParameters?
    public var createdAt: Double

    public init(id: String, environment: EnvironmentName, source: KeySource, salt: [UInt8]? = nil,
                kdf: Argon2idParameters? = nil, createdAt: Double) {
        self.id = id
        self.environment = environment
        self.source = source
        self.salt = salt
        self.kdf = kdf
        self.createdAt = createdAt
    }
}

/// A loaded key-encryption key. The bytes live in ``SecureBytes`` and are wiped when released.
public struct KeyEncryptionKey: Sendable {
    /// 16 bytes of keyed BLAKE2b of a fixed string: identifies the key without revealing it.
    let idBytes: [UInt8]
    public let environment: EnvironmentName
    let bytes: SecureBytes

    init(environment: EnvironmentName, bytes: SecureBytes) {
        self.idBytes = Hash.blake2b(Array("sejf.kek-id.v1".utf8), key: bytes, length: 16)
        self.environment = environment
        self.bytes = bytes
    }

    /// The key id in hex, as stored in the database.
    public var id: String { Hash.hex(idBytes) }
}

/// Finds and caches the key-encryption keys of the environments: from `SEJF_KEY_<ENV>`, from
/// `SEJF_PASSPHRASE_<ENV>`, or from the key file, in that order, and checks each against the id
/// the database recorded so a wrong key is refused before any decryption is tried.
public final class KeyRing: Sendable {
    private let keyDirectory: String
    private let variables: [String: String]
    private let cache = Mutex<[String: KeyEncryptionKey]>([:])

    /// - Parameters:
    ///   - directory: the data directory (for the key directory).
    ///   - variables: the process environment (injectable for tests).
    public init(directory: DataDirectory, variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.keyDirectory = directory.keyDirectory
        self.variables = variables
    }

    /// The key `record` describes, loaded once and then cached.
    /// - Throws: `DecryptionFailure` when no key is available or the key at hand is a different one.
    public func key(for record: KeyRecord) throws -> KeyEncryptionKey {
        if let cached = cache.withLock({ $0[record.id] }) { return cached }
        let (bytes, origin) = try load(record)
        let key = KeyEncryptionKey(environment: record.environment, bytes: bytes)
        guard key.id == record.id else {
            throw SejfError(.decryptionFailure,
                "The key for environment '\(record.environment)' from \(origin) is not the key that encrypted it (expected key id \(record.id), got \(key.id)).")
        }
        cache.withLock { $0[key.id] = key }
        return key
    }

    /// Makes the key for a new environment: from `SEJF_KEY_<ENV>` or `SEJF_PASSPHRASE_<ENV>` when
    /// set, otherwise a fresh random key written to a new key file (mode 0600).
    public func createKey(for environment: EnvironmentName, kdf: Argon2idParameters, now: Double) throws -> (KeyEncryptionKey, KeyRecord) {
        let bytes: SecureBytes
        var record: KeyRecord
        if let text = variable("SEJF_KEY_", environment) {
            bytes = try decodeVariableKey(text, environment)
            record = KeyRecord(id: "", environment: environment, source: .variable, createdAt: now)
        } else if let passphrase = variable("SEJF_PASSPHRASE_", environment) {
            let salt = randomBytes(count: Argon2idParameters.saltLength)
            bytes = try derive(passphrase, salt: salt, kdf: kdf, environment)
            record = KeyRecord(id: "", environment: environment, source: .passphrase, salt: salt, kdf: kdf, createdAt: now)
        } else {
            bytes = SecureBytes.random(count: AEAD.keyLength)
            try writeKeyFile(bytes, for: environment)
            record = KeyRecord(id: "", environment: environment, source: .file, createdAt: now)
        }
        let key = KeyEncryptionKey(environment: environment, bytes: bytes)
        record.id = key.id
        cache.withLock { $0[key.id] = key }
        return (key, record)
    }

    // MARK: - Sources

    private func load(_ record: KeyRecord) throws -> (SecureBytes, String) {
        let env = record.environment
        if let text = variable("SEJF_KEY_", env) {
            return (try decodeVariableKey(text, env), "SEJF_KEY_\(env.variableSuffix)")
        }
        if let passphrase = variable("SEJF_PASSPHRASE_", env) {
            guard let salt = record.salt, let kdf = record.kdf else {
                throw SejfError(.decryptionFailure,
                    "SEJF_PASSPHRASE_\(env.variableSuffix) is set, but the key of environment '\(env)' was not made from a passphrase.")
            }
            return (try derive(passphrase, salt: salt, kdf: kdf, env), "SEJF_PASSPHRASE_\(env.variableSuffix)")
        }
        let path = keyFilePath(env)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SejfError(.decryptionFailure,
                "No key for environment '\(env)': set SEJF_KEY_\(env.variableSuffix) or SEJF_PASSPHRASE_\(env.variableSuffix), or provide the key file \(path).")
        }
        var text = [UInt8](data)
        defer { SecureBytes.wipe(&text) }
        do {
            return (try SecureBytes.fromBase64(String(decoding: text, as: UTF8.self), expectedCount: AEAD.keyLength), path)
        } catch {
            throw SejfError(.decryptionFailure, "The key file \(path) is not a base64-encoded 32-byte key.")
        }
    }

    private func variable(_ prefix: String, _ env: EnvironmentName) -> String? {
        guard let value = variables[prefix + env.variableSuffix], !value.isEmpty else { return nil }
        return value
    }

    private func decodeVariableKey(_ text: String, _ env: EnvironmentName) throws -> SecureBytes {
        do {
            return try SecureBytes.fromBase64(text, expectedCount: AEAD.keyLength)
        } catch {
            throw SejfError(.decryptionFailure, "SEJF_KEY_\(env.variableSuffix) must be base64 of exactly 32 bytes.")
        }
    }

    private func derive(_ passphrase: String, salt: [UInt8], kdf: Argon2idParameters, _ env: EnvironmentName) throws -> SecureBytes {
        var bytes = Array(passphrase.utf8)
        defer { SecureBytes.wipe(&bytes) }
        do {
            return try PasswordKDF.deriveKey(passphrase: bytes, salt: salt, parameters: kdf)
        } catch {
            throw SejfError(.decryptionFailure, "Could not derive the key of environment '\(env)' from its passphrase: \(error).")
        }
    }

    private func keyFilePath(_ env: EnvironmentName) -> String {
        (keyDirectory as NSString).appendingPathComponent("\(env).key")
    }

    /// Writes a key file atomically with mode 0600; refuses to replace an existing one.
    private func writeKeyFile(_ key: SecureBytes, for env: EnvironmentName) throws {
        let path = keyFilePath(env)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SejfError(.invalidRequest, "The key file \(path) already exists; refusing to replace a key.")
        }
        try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw SejfError(.encryptionFailure, "Cannot write \(temporary): \(String(cString: strerror(errno))).") }
        var line = Array((key.base64() + "\n").utf8)
        defer { SecureBytes.wipe(&line) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == line.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SejfError(.encryptionFailure, "Cannot write the key file \(path): \(reason).")
        }
    }
}
