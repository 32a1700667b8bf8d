import Foundation
import SejfCore
import SejfCrypto
import Synchronization

/// Where a key-encryption key comes from.
public enum KeySource: String, Sendable, Codable {
    /// A key file in the key directory, written by `sejf init`.
    case file
    /// An environment variable holding base64 of 32 bytes (`SEJF_KEY_<ENV>`, `SEJF_SYSTEM_KEY`).
    case variable
    /// `SEJF_PASSPHRASE_<ENV>`, stretched with Argon2id using the stored salt and parameters.
    case passphrase
}

/// What the database records about an environment's key-encryption key: its id (a fingerprint
/// of the key, never the key), where it came from, and for passphrase keys the Argon2id salt and
/// parameters.
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
    let bytes: SecureBytes

    init(bytes: SecureBytes) {
        self.idBytes = Hash.blake2b(Array("sejf.kek-id.v1".utf8), key: bytes, length: 16)
        self.bytes = bytes
    }

    /// The key id in hex, as stored in the database.
    public var id: String { Hash.hex(idBytes) }
}

/// One place a key can be found: an environment's key, or the installation's system key (which
/// seals access-key secrets and is never derived from a passphrase).
struct KeySlot {
    /// For messages: "environment 'prod'" or "the system key".
    var label: String
    /// `SEJF_KEY_PROD`, `SEJF_SYSTEM_KEY`.
    var keyVariable: String
    /// `SEJF_PASSPHRASE_PROD`, or nil where passphrases are not accepted.
    var passphraseVariable: String?
    /// `prod.key`, `_system.key` (`_` cannot start an environment name, so the two never clash).
    var fileName: String

    static func environment(_ env: EnvironmentName) -> KeySlot {
        KeySlot(label: "environment '\(env)'", keyVariable: "SEJF_KEY_\(env.variableSuffix)",
                passphraseVariable: "SEJF_PASSPHRASE_\(env.variableSuffix)", fileName: DataDirectory.keyFileName(for: env))
    }

    static func installation(_ key: InstallationKey) -> KeySlot {
        switch key {
        case .system:
            KeySlot(label: "the system key", keyVariable: "SEJF_SYSTEM_KEY", passphraseVariable: nil,
                    fileName: DataDirectory.systemKeyFileName)
        case .audit:
            KeySlot(label: "the audit key", keyVariable: "SEJF_AUDIT_KEY", passphraseVariable: nil,
                    fileName: DataDirectory.auditKeyFileName)
        }
    }
}

/// The installation's keys besides the environments': each has one job.
public enum InstallationKey: String, Sendable {
    /// Seals access-key secrets.
    case system
    /// Keys the audit trail's hash chain, so someone holding only the database cannot forge it.
    case audit

    /// The `meta` row that records the key's id.
    var metaKey: String { "\(rawValue)_key_id" }
}

/// Finds and caches key-encryption keys: from the key variable, from the passphrase variable, or
/// from the key file, in that order, and checks each against the id the database recorded so a
/// wrong key is refused before any decryption is tried.
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

    /// The environment key `record` describes, loaded once and then cached.
    /// - Throws: `DecryptionFailure` when no key is available or the key at hand is a different one.
    public func key(for record: KeyRecord) throws -> KeyEncryptionKey {
        try load(.environment(record.environment), expectedId: record.id, salt: record.salt, kdf: record.kdf)
    }

    /// An installation key with the recorded id.
    public func installationKey(_ key: InstallationKey, expectedId: String) throws -> KeyEncryptionKey {
        try load(.installation(key), expectedId: expectedId, salt: nil, kdf: nil)
    }

    /// Makes the key for a new environment: from `SEJF_KEY_<ENV>` or `SEJF_PASSPHRASE_<ENV>` when
    /// set, otherwise a fresh random key written to a new key file (mode 0600).
    public func createKey(for environment: EnvironmentName, kdf: Argon2idParameters, now: Double) throws -> (KeyEncryptionKey, KeyRecord) {
        let slot = KeySlot.environment(environment)
        if let passphraseVariable = slot.passphraseVariable, variable(slot.keyVariable) == nil,
           let passphrase = variable(passphraseVariable) {
            let salt = randomBytes(count: Argon2idParameters.saltLength)
            let key = remember(KeyEncryptionKey(bytes: try derive(passphrase, salt: salt, kdf: kdf, slot)))
            return (key, KeyRecord(id: key.id, environment: environment, source: .passphrase, salt: salt, kdf: kdf, createdAt: now))
        }
        let (key, source) = try createRandomOrVariableKey(slot)
        return (key, KeyRecord(id: key.id, environment: environment, source: source, createdAt: now))
    }

    /// An installation key that has no recorded id yet: from its variable when set, else an
    /// existing key file (left by an earlier attempt), else a new key file.
    public func createInstallationKey(_ key: InstallationKey) throws -> KeyEncryptionKey {
        let slot = KeySlot.installation(key)
        if variable(slot.keyVariable) == nil, FileManager.default.fileExists(atPath: path(slot)) {
            return remember(KeyEncryptionKey(bytes: try loadBytes(slot, salt: nil, kdf: nil).0))
        }
        return try createRandomOrVariableKey(slot).0
    }

    // MARK: - Sources

    private func load(_ slot: KeySlot, expectedId: String, salt: [UInt8]?, kdf: Argon2idParameters?) throws -> KeyEncryptionKey {
        if let cached = cache.withLock({ $0[expectedId] }) { return cached }
        let (bytes, origin) = try loadBytes(slot, salt: salt, kdf: kdf)
        let key = KeyEncryptionKey(bytes: bytes)
        guard key.id == expectedId else {
            throw SejfError(.decryptionFailure,
                "The key for \(slot.label) from \(origin) is not the key that encrypted it (expected key id \(expectedId), got \(key.id)).")
        }
        return remember(key)
    }

    private func loadBytes(_ slot: KeySlot, salt: [UInt8]?, kdf: Argon2idParameters?) throws -> (SecureBytes, String) {
        if let text = variable(slot.keyVariable) {
            return (try decodeVariableKey(text, slot), slot.keyVariable)
        }
        if let passphraseVariable = slot.passphraseVariable, let passphrase = variable(passphraseVariable) {
            guard let salt, let kdf else {
                throw SejfError(.decryptionFailure, "\(passphraseVariable) is set, but the key of \(slot.label) was not made from a passphrase.")
            }
            return (try derive(passphrase, salt: salt, kdf: kdf, slot), passphraseVariable)
        }
        let file = path(slot)
        guard let data = FileManager.default.contents(atPath: file) else {
            let variables = [slot.keyVariable] + (slot.passphraseVariable.map { [$0] } ?? [])
            throw SejfError(.decryptionFailure,
                "No key for \(slot.label): set \(variables.joined(separator: " or ")), or provide the key file \(file).")
        }
        var text = [UInt8](data)
        defer { SecureBytes.wipe(&text) }
        do {
            return (try SecureBytes.fromBase64(String(decoding: text, as: UTF8.self), expectedCount: AEAD.keyLength), file)
        } catch {
            throw SejfError(.decryptionFailure, "The key file \(file) is not a base64-encoded 32-byte key.")
        }
    }

    private func createRandomOrVariableKey(_ slot: KeySlot) throws -> (KeyEncryptionKey, KeySource) {
        if let text = variable(slot.keyVariable) {
            return (remember(KeyEncryptionKey(bytes: try decodeVariableKey(text, slot))), .variable)
        }
        let bytes = SecureBytes.random(count: AEAD.keyLength)
        try writeKeyFile(bytes, to: path(slot))
        return (remember(KeyEncryptionKey(bytes: bytes)), .file)
    }

    private func remember(_ key: KeyEncryptionKey) -> KeyEncryptionKey {
        cache.withLock { $0[key.id] = key }
        return key
    }

    private func variable(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    private func decodeVariableKey(_ text: String, _ slot: KeySlot) throws -> SecureBytes {
        do {
            return try SecureBytes.fromBase64(text, expectedCount: AEAD.keyLength)
        } catch {
            throw SejfError(.decryptionFailure, "\(slot.keyVariable) must be base64 of exactly 32 bytes.")
        }
    }

    private func derive(_ passphrase: String, salt: [UInt8], kdf: Argon2idParameters, _ slot: KeySlot) throws -> SecureBytes {
        var bytes = Array(passphrase.utf8)
        defer { SecureBytes.wipe(&bytes) }
        do {
            return try PasswordKDF.deriveKey(passphrase: bytes, salt: salt, parameters: kdf)
        } catch {
            throw SejfError(.decryptionFailure, "Could not derive the key of \(slot.label) from its passphrase: \(error).")
        }
    }

    private func path(_ slot: KeySlot) -> String {
        (keyDirectory as NSString).appendingPathComponent(slot.fileName)
    }

    /// Writes a key file atomically with mode 0600; refuses to replace an existing one.
    private func writeKeyFile(_ key: SecureBytes, to path: String) throws {
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
