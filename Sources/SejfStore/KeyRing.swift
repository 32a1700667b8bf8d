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

/// The names under which the keys of one environment are looked for. An environment has one
/// active key and, while a rotation re-wraps its data keys (and until the old key is retired),
/// older ones; every key is found by its id (its fingerprint), wherever it is:
///
/// - When `SEJF_KEY_<ENV>` or `SEJF_PASSPHRASE_<ENV>` is set, the environment's keys come from
///   variables only: those two, then `SEJF_OLD_KEY_<ENV>` / `SEJF_OLD_PASSPHRASE_<ENV>` (the key
///   a rotation replaced), then `SEJF_NEW_KEY_<ENV>` / `SEJF_NEW_PASSPHRASE_<ENV>` (the key a
///   rotation brings, before the operator moves it into `SEJF_KEY_<ENV>`). A set variable is what
///   the operator meant: a wrong one is an error, never silently passed over for a key file.
/// - Otherwise from key files: `<env>.<key id>.key` (written by `sejf key rotate`) and `<env>.key`
///   (written by `sejf init`), then the OLD and NEW variables.
///
/// Environment names cannot contain `.`, so `<env>.<key id>.key` never clashes with another
/// environment's `<env>.key`, nor with `_system.key` and `_audit.key`.
public struct EnvironmentKeyNames: Sendable {
    public let environment: EnvironmentName

    public init(environment: EnvironmentName) {
        self.environment = environment
    }

    var label: String { "environment '\(environment)'" }
    public var key: String { "SEJF_KEY_\(environment.variableSuffix)" }
    public var passphrase: String { "SEJF_PASSPHRASE_\(environment.variableSuffix)" }
    public var oldKey: String { "SEJF_OLD_KEY_\(environment.variableSuffix)" }
    public var oldPassphrase: String { "SEJF_OLD_PASSPHRASE_\(environment.variableSuffix)" }
    public var newKey: String { "SEJF_NEW_KEY_\(environment.variableSuffix)" }
    public var newPassphrase: String { "SEJF_NEW_PASSPHRASE_\(environment.variableSuffix)" }
    /// `prod.key`: the key `sejf init` made.
    var initialFileName: String { DataDirectory.keyFileName(for: environment) }
    /// `prod.<32 hex digits>.key`: a key `sejf key rotate` made.
    func fileName(keyId: String) -> String { "\(environment).\(keyId).key" }
}

extension DataDirectory {
    /// The file of a key `sejf key rotate` made: `<key dir>/<env>.<key id>.key`.
    public func keyFilePath(for environment: EnvironmentName, keyId: String) -> String {
        (keyDirectory as NSString).appendingPathComponent(EnvironmentKeyNames(environment: environment).fileName(keyId: keyId))
    }
}

/// Finds and caches key-encryption keys, and checks each against the id the database recorded so
/// a wrong key is refused before any decryption is tried.
///
/// An environment's keys are found by id among its variables and key files (see
/// ``EnvironmentKeyNames``), and loaded on first use: a server started before a rotation loads the
/// new key the first time it meets a version wrapped under it. Installation keys come from their
/// variable, else their key file.
public final class KeyRing: Sendable {
    private let keyDirectory: String
    private let variables: [String: String]
    private let cache = Mutex<[String: (key: KeyEncryptionKey, origin: String)]>([:])

    /// - Parameters:
    ///   - directory: the data directory (for the key directory).
    ///   - variables: the process environment (injectable for tests).
    public init(directory: DataDirectory, variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.keyDirectory = directory.keyDirectory
        self.variables = variables
    }

    /// The environment key `record` describes, loaded once and then cached.
    /// - Throws: `DecryptionFailure` naming the environment and the key id when no key with that
    ///   id is available.
    public func key(for record: KeyRecord) throws -> KeyEncryptionKey {
        try locate(record).key
    }

    /// The environment key `record` describes, and where it was found: a variable's name or a
    /// key file's path.
    /// - Throws: `DecryptionFailure` naming the environment and the key id when no key with that
    ///   id is available, and what was found instead.
    public func locate(_ record: KeyRecord) throws -> (key: KeyEncryptionKey, origin: String) {
        if let found = cache.withLock({ $0[record.id] }) { return found }
        let names = EnvironmentKeyNames(environment: record.environment)
        var mismatches: [(origin: String, id: String)] = []
        var notes: [String] = []
        for candidate in candidates(for: record, names) {
            let bytes: SecureBytes
            let origin: String
            switch candidate {
            case .key(let name):
                guard let text = variable(name) else { continue }
                bytes = try decodeVariableKey(text, variableName: name)
                origin = name
            case .passphrase(let name):
                guard let passphrase = variable(name) else { continue }
                guard let salt = record.salt, let kdf = record.kdf else {
                    notes.append("\(name) is set, but key \(record.id) was not made from a passphrase")
                    continue
                }
                bytes = try derive(passphrase, salt: salt, kdf: kdf, label: names.label)
                origin = name
            case .file(let path):
                guard FileManager.default.fileExists(atPath: path) else { continue }
                guard let read = try readKeyFile(path) else {
                    notes.append("\(path) cannot be read")
                    continue
                }
                bytes = read
                origin = path
            }
            let key = KeyEncryptionKey(bytes: bytes)
            if key.id == record.id { return remember(key, origin: origin) }
            mismatches.append((origin, key.id))
        }
        throw missingKey(record, names, mismatches: mismatches, notes: notes)
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
            let key = remember(KeyEncryptionKey(bytes: try derive(passphrase, salt: salt, kdf: kdf, label: slot.label)),
                               origin: passphraseVariable).key
            return (key, KeyRecord(id: key.id, environment: environment, source: .passphrase, salt: salt, kdf: kdf, createdAt: now))
        }
        let (key, source) = try createRandomOrVariableKey(slot)
        return (key, KeyRecord(id: key.id, environment: environment, source: source, createdAt: now))
    }

    /// Makes the next key of an environment, for `sejf key rotate`; `existing` are its keys,
    /// active first.
    ///
    /// - `SEJF_NEW_KEY_<ENV>` when set (base64 of 32 bytes; source `variable`);
    /// - else `SEJF_NEW_PASSPHRASE_<ENV>` (Argon2id with a new salt and the active key's
    ///   parameters, else `defaultKDF`; source `passphrase`);
    /// - else, for an environment that takes its keys from files (neither `SEJF_KEY_<ENV>` nor
    ///   `SEJF_PASSPHRASE_<ENV>` set), a fresh random key in the new key file
    ///   `<env>.<key id>.key`, mode 0600 (returned as `file`, so a caller whose transaction fails
    ///   can remove it with ``discardCreatedKey(_:file:)``).
    ///
    /// - Throws: `InvalidRequestException` when the environment takes its keys from variables and
    ///   no new key is given, or when the new key (or passphrase) is one the environment already has.
    public func createRotationKey(for environment: EnvironmentName, existing: [KeyRecord],
                                  defaultKDF: Argon2idParameters = .moderate,
                                  now: Double) throws -> (key: KeyEncryptionKey, record: KeyRecord, file: String?) {
        let names = EnvironmentKeyNames(environment: environment)
        if let text = variable(names.newKey) {
            let key = KeyEncryptionKey(bytes: try decodeVariableKey(text, variableName: names.newKey))
            if existing.contains(where: { $0.id == key.id }) {
                throw SejfError(.invalidRequest,
                    "\(names.newKey) holds key \(key.id), which \(names.label) already has: a rotation needs a new key.")
            }
            return (remember(key, origin: names.newKey).key,
                    KeyRecord(id: key.id, environment: environment, source: .variable, createdAt: now), nil)
        }
        if let passphrase = variable(names.newPassphrase) {
            for record in existing {
                guard let salt = record.salt, let kdf = record.kdf else { continue }
                if KeyEncryptionKey(bytes: try derive(passphrase, salt: salt, kdf: kdf, label: names.label)).id == record.id {
                    throw SejfError(.invalidRequest,
                        "\(names.newPassphrase) is the passphrase of key \(record.id), which \(names.label) already has: a rotation needs a new passphrase.")
                }
            }
            let kdf = existing.first?.kdf ?? defaultKDF
            let salt = randomBytes(count: Argon2idParameters.saltLength)
            let key = KeyEncryptionKey(bytes: try derive(passphrase, salt: salt, kdf: kdf, label: names.label))
            return (remember(key, origin: names.newPassphrase).key,
                    KeyRecord(id: key.id, environment: environment, source: .passphrase, salt: salt, kdf: kdf, createdAt: now), nil)
        }
        if variable(names.key) != nil || variable(names.passphrase) != nil {
            throw SejfError(.invalidRequest,
                "The keys of \(names.label) come from \(names.key) or \(names.passphrase): put the new key in \(names.newKey) (base64 of 32 bytes) or a new passphrase in \(names.newPassphrase), then run the rotation again.")
        }
        let bytes = SecureBytes.random(count: AEAD.keyLength)
        let key = KeyEncryptionKey(bytes: bytes)
        let file = path(names.fileName(keyId: key.id))
        try writeKeyFile(bytes, to: file)
        return (remember(key, origin: file).key, KeyRecord(id: key.id, environment: environment, source: .file, createdAt: now), file)
    }

    /// Undoes ``createRotationKey(for:existing:defaultKDF:now:)`` when its record could not be
    /// stored: forgets the key and removes the key file it wrote.
    public func discardCreatedKey(_ record: KeyRecord, file: String?) {
        forget(record.id)
        if let file { try? destroyKeyFile(file) }
    }

    /// Deletes the key files that hold `record`'s key (`<env>.<key id>.key`, and `<env>.key` when it
    /// holds this key), overwriting them first, and forgets the key; returns the paths deleted. A
    /// file holding any other key is left alone.
    public func removeKeyFiles(of record: KeyRecord) throws -> [String] {
        let names = EnvironmentKeyNames(environment: record.environment)
        var removed: [String] = []
        for file in [path(names.fileName(keyId: record.id)), path(names.initialFileName)]
        where FileManager.default.fileExists(atPath: file) {
            guard let bytes = try? readKeyFile(file), KeyEncryptionKey(bytes: bytes).id == record.id else { continue }
            try destroyKeyFile(file)
            removed.append(file)
        }
        forget(record.id)
        return removed
    }

    /// Drops a key from the cache (after it was retired).
    public func forget(_ id: String) {
        _ = cache.withLock { $0.removeValue(forKey: id) }
    }

    /// An installation key that has no recorded id yet: from its variable when set, else an
    /// existing key file (left by an earlier attempt), else a new key file.
    public func createInstallationKey(_ key: InstallationKey) throws -> KeyEncryptionKey {
        let slot = KeySlot.installation(key)
        if variable(slot.keyVariable) == nil, FileManager.default.fileExists(atPath: path(slot)) {
            return remember(KeyEncryptionKey(bytes: try loadBytes(slot, salt: nil, kdf: nil).0), origin: path(slot)).key
        }
        return try createRandomOrVariableKey(slot).0
    }

    // MARK: - Environment keys

    private enum Candidate {
        case key(String)
        case passphrase(String)
        case file(String)
    }

    private func usesVariables(_ names: EnvironmentKeyNames) -> Bool {
        variable(names.key) != nil || variable(names.passphrase) != nil
    }

    /// Where `record`'s key may be, in the order tried (see ``EnvironmentKeyNames``).
    private func candidates(for record: KeyRecord, _ names: EnvironmentKeyNames) -> [Candidate] {
        let rotation: [Candidate] = [.key(names.oldKey), .passphrase(names.oldPassphrase),
                                     .key(names.newKey), .passphrase(names.newPassphrase)]
        if usesVariables(names) {
            return [.key(names.key), .passphrase(names.passphrase)] + rotation
        }
        return [.file(path(names.fileName(keyId: record.id))), .file(path(names.initialFileName))] + rotation
    }

    private func missingKey(_ record: KeyRecord, _ names: EnvironmentKeyNames,
                            mismatches: [(origin: String, id: String)], notes: [String]) -> SejfError {
        if mismatches.count == 1, notes.isEmpty, let only = mismatches.first {
            let older = usesVariables(names) ? "; a key that a rotation replaced goes in \(names.oldKey) or \(names.oldPassphrase)" : ""
            return SejfError(.decryptionFailure,
                "The key for \(names.label) from \(only.origin) is not the key that encrypted it (expected key id \(record.id), got \(only.id))\(older).")
        }
        let found = mismatches.map { "\($0.origin) holds key \($0.id)" } + notes
        let hint = usesVariables(names)
            ? "set \(names.key) or \(names.passphrase) to it (for a key a rotation replaced: \(names.oldKey) or \(names.oldPassphrase))"
            : "provide its key file \(path(names.fileName(keyId: record.id))) (or \(path(names.initialFileName))), or set \(names.key) or \(names.passphrase)"
        let detail = found.isEmpty ? "" : " (\(found.joined(separator: "; ")); none is the key that encrypted it)"
        return SejfError(.decryptionFailure, "No key for \(names.label) with key id \(record.id)\(detail): \(hint).")
    }

    /// A key file's key, or nil when the file cannot be read.
    /// - Throws: `DecryptionFailure` when it does not hold a base64-encoded 32-byte key.
    private func readKeyFile(_ file: String) throws -> SecureBytes? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        var text = [UInt8](data)
        defer { SecureBytes.wipe(&text) }
        do {
            return try SecureBytes.fromBase64(String(decoding: text, as: UTF8.self), expectedCount: AEAD.keyLength)
        } catch {
            throw SejfError(.decryptionFailure, "The key file \(file) is not a base64-encoded 32-byte key.")
        }
    }

    /// Overwrites a key file with zeros, then deletes it.
    private func destroyKeyFile(_ file: String) throws {
        let fd = open(file, O_WRONLY)
        if fd >= 0 {
            var size = stat()
            if fstat(fd, &size) == 0, size.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(size.st_size))
                _ = zeros.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                _ = fsync(fd)
            }
            close(fd)
        }
        guard unlink(file) == 0 else {
            throw SejfError(.internalServiceError, "Cannot delete the key file \(file): \(String(cString: strerror(errno))).")
        }
    }

    // MARK: - Installation keys

    private func load(_ slot: KeySlot, expectedId: String, salt: [UInt8]?, kdf: Argon2idParameters?) throws -> KeyEncryptionKey {
        if let cached = cache.withLock({ $0[expectedId] }) { return cached.key }
        let (bytes, origin) = try loadBytes(slot, salt: salt, kdf: kdf)
        let key = KeyEncryptionKey(bytes: bytes)
        guard key.id == expectedId else {
            throw SejfError(.decryptionFailure,
                "The key for \(slot.label) from \(origin) is not the key that encrypted it (expected key id \(expectedId), got \(key.id)).")
        }
        return remember(key, origin: origin).key
    }

    private func loadBytes(_ slot: KeySlot, salt: [UInt8]?, kdf: Argon2idParameters?) throws -> (SecureBytes, String) {
        if let text = variable(slot.keyVariable) {
            return (try decodeVariableKey(text, variableName: slot.keyVariable), slot.keyVariable)
        }
        if let passphraseVariable = slot.passphraseVariable, let passphrase = variable(passphraseVariable) {
            guard let salt, let kdf else {
                throw SejfError(.decryptionFailure, "\(passphraseVariable) is set, but the key of \(slot.label) was not made from a passphrase.")
            }
            return (try derive(passphrase, salt: salt, kdf: kdf, label: slot.label), passphraseVariable)
        }
        let file = path(slot)
        guard let bytes = try readKeyFile(file) else {
            let variables = [slot.keyVariable] + (slot.passphraseVariable.map { [$0] } ?? [])
            throw SejfError(.decryptionFailure,
                "No key for \(slot.label): set \(variables.joined(separator: " or ")), or provide the key file \(file).")
        }
        return (bytes, file)
    }

    private func createRandomOrVariableKey(_ slot: KeySlot) throws -> (KeyEncryptionKey, KeySource) {
        if let text = variable(slot.keyVariable) {
            return (remember(KeyEncryptionKey(bytes: try decodeVariableKey(text, variableName: slot.keyVariable)),
                             origin: slot.keyVariable).key, .variable)
        }
        let bytes = SecureBytes.random(count: AEAD.keyLength)
        try writeKeyFile(bytes, to: path(slot))
        return (remember(KeyEncryptionKey(bytes: bytes), origin: path(slot)).key, .file)
    }

    // MARK: - Shared

    @discardableResult
    private func remember(_ key: KeyEncryptionKey, origin: String) -> (key: KeyEncryptionKey, origin: String) {
        cache.withLock { $0[key.id] = (key, origin) }
        return (key, origin)
    }

    private func variable(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    private func decodeVariableKey(_ text: String, variableName: String) throws -> SecureBytes {
        do {
            return try SecureBytes.fromBase64(text, expectedCount: AEAD.keyLength)
        } catch {
            throw SejfError(.decryptionFailure, "\(variableName) must be base64 of exactly 32 bytes.")
        }
    }

    private func derive(_ passphrase: String, salt: [UInt8], kdf: Argon2idParameters, label: String) throws -> SecureBytes {
        var bytes = Array(passphrase.utf8)
        defer { SecureBytes.wipe(&bytes) }
        do {
            return try PasswordKDF.deriveKey(passphrase: bytes, salt: salt, parameters: kdf)
        } catch {
            throw SejfError(.decryptionFailure, "Could not derive the key of \(label) from its passphrase: \(error).")
        }
    }

    private func path(_ slot: KeySlot) -> String {
        path(slot.fileName)
    }

    private func path(_ fileName: String) -> String {
        (keyDirectory as NSString).appendingPathComponent(fileName)
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
