import Foundation
import SejfCore
import SejfCrypto
import SejfStore

/// A principal with its access keys, for `sejf principal list`.
public struct PrincipalSummary: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var createdDate: Double
    public var accessKeys: Int
}

/// A new access key; the secret is shown once and never again.
public struct NewAccessKey: Codable, Sendable {
    public var AccessKeyId: String
    public var SecretAccessKey: String
    public var Principal: String
}

/// An access key's metadata, in AWS IAM's shape.
public struct AccessKeySummary: Codable, Sendable, Equatable {
    public var AccessKeyId: String
    public var Principal: String
    public var Status: String
    public var CreateDate: Double
    public var LastUsedDate: Double?
}

/// Principals and their SigV4 access keys: administration of the data directory (embedded CLI
/// only) and authentication for the server.
extension SecretsService {
    /// AWS allows two access keys per user, whatever their status.
    public static let maxAccessKeysPerPrincipal = 2

    public func createPrincipal(name: String, description: String) throws {
        try Self.validatePrincipalName(name)
        try SejfError.checkLength("description", description.count, max: 1000)
        try store.write { writer in
            guard try writer.principal(named: name) == nil else {
                throw SejfError(.resourceExists, "A principal named \(name) already exists.")
            }
            try writer.insertPrincipal(PrincipalRecord(name: name, description: description, createdAt: clock()))
        }
    }

    public func listPrincipals() throws -> [PrincipalSummary] {
        try store.read { reader in
            let keys = try reader.accessKeys(of: nil)
            return try reader.principals().map { p in
                PrincipalSummary(name: p.name, description: p.description, createdDate: p.createdAt,
                                 accessKeys: keys.filter { $0.principal == p.name }.count)
            }
        }
    }

    /// Deletes a principal, its keys (which stop working at once) and its place in bindings.
    /// The local operator stays.
    public func deletePrincipal(name: String) throws {
        guard name != Principal.localOperator.name else {
            throw SejfError(.invalidRequest, "The principal \(name) is the local operator and cannot be deleted.")
        }
        try store.write { writer in
            guard try writer.principal(named: name) != nil else { throw Self.noSuchPrincipal(name) }
            try writer.deletePrincipal(named: name)
            // A principal made again under the same name must not inherit the old one's access.
            for var binding in try writer.accessControl().bindings where binding.principals.contains(name) {
                binding.principals.removeAll { $0 == name }
                if binding.principals.isEmpty {
                    try writer.deleteBinding(named: binding.name)
                } else {
                    try writer.saveBinding(binding, at: clock())
                }
            }
        }
    }

    /// Creates an active access key for `principal`: `AKIA` and 16 characters, and a 40-character secret.
    public func createAccessKey(for principal: String) throws -> NewAccessKey {
        try store.write { writer in
            guard try writer.principal(named: principal) != nil else { throw Self.noSuchPrincipal(principal) }
            guard try writer.accessKeys(of: principal).count < Self.maxAccessKeysPerPrincipal else {
                throw SejfError(.limitExceeded, "Cannot exceed quota for AccessKeysPerUser: \(Self.maxAccessKeysPerPrincipal)")
            }
            let id = "AKIA" + Self.randomString(count: 16, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
            let secretText = Self.randomString(count: 40, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            var bytes = Array(secretText.utf8)
            defer { SecureBytes.wipe(&bytes) }
            try writer.insertAccessKey(AccessKeyRecord(id: id, principal: principal, status: .active, createdAt: clock()),
                                       secret: SecureBytes(copying: bytes))
            return NewAccessKey(AccessKeyId: id, SecretAccessKey: secretText, Principal: principal)
        }
    }

    public func listAccessKeys(of principal: String?) throws -> [AccessKeySummary] {
        try store.read { reader in
            if let principal, try reader.principal(named: principal) == nil { throw Self.noSuchPrincipal(principal) }
            return try reader.accessKeys(of: principal).map {
                AccessKeySummary(AccessKeyId: $0.id, Principal: $0.principal, Status: $0.status.rawValue,
                                 CreateDate: $0.createdAt, LastUsedDate: $0.lastUsedAt)
            }
        }
    }

    /// Activates or deactivates (revokes) a key; a revoked key fails its next request.
    public func setAccessKeyStatus(_ id: String, active: Bool) throws {
        try store.write { writer in
            guard var key = try writer.accessKey(id) else { throw Self.noSuchAccessKey(id) }
            key.status = active ? .active : .inactive
            try writer.updateAccessKey(key)
        }
    }

    public func deleteAccessKey(_ id: String) throws {
        try store.write { writer in
            guard try writer.accessKey(id) != nil else { throw Self.noSuchAccessKey(id) }
            try writer.deleteAccessKey(id)
        }
    }

    /// For SigV4: the principal of an active access key, or nil for an unknown or revoked one.
    /// Records the key's last use, at most once a minute per key.
    ///
    /// The answer comes from the metadata this process read last, without a read of its own: the
    /// operation then confirms, in the transaction that serves the request, that the key is still
    /// active (``authorize(_:_:in:)``), so a key revoked by any process fails its next request.
    /// A key the cached metadata does not know is looked up afresh.
    public func activeAccessKeyOwner(_ accessKeyId: String) throws -> Principal? {
        guard let principal = try store.recentActiveAccessKeyPrincipal(accessKeyId)
                ?? store.read({ try $0.activeAccessKeyPrincipal(accessKeyId) }) else { return nil }
        recordUse(ofAccessKey: accessKeyId)
        return Principal(name: principal)
    }

    /// For SigV4: an access key's secret, decrypted; nil for an unknown key.
    /// - Throws: `DecryptionFailure` when the system key is missing or wrong.
    public func accessKeySecret(_ accessKeyId: String) throws -> SecureBytes? {
        try store.read { try $0.accessKeySecret(accessKeyId) }
    }

    /// Sets the key's `LastUsedDate` when this process has not done so in the last minute (best
    /// effort: a read-only data directory still authenticates).
    private func recordUse(ofAccessKey accessKeyId: String) {
        let now = clock()
        let due = accessKeyUses.withLock { uses in
            guard now - (uses[accessKeyId] ?? -.infinity) >= 60 else { return false }
            uses[accessKeyId] = now
            return true
        }
        guard due else { return }
        bookkeep { writer in
            guard var current = try writer.accessKey(accessKeyId) else { return }
            current.lastUsedAt = now
            try writer.updateAccessKey(current)
        }
    }

    /// Audits a failed authentication that names a known access key (unknown keys are not
    /// recorded: anyone can invent one).
    public func recordAuthenticationFailure(accessKeyId: String, region: String, sourceAddress: String, userAgent: String,
                                            requestId: String, errorCode: String) {
        guard let key = try? store.read({ try $0.accessKey(accessKeyId) }) else { return }
        _ = try? audit.record(AuditEvent(
            time: AuditTime(secondsSince1970: clock()), environment: region, principal: key.principal, accessKeyId: accessKeyId,
            action: AuditAction.authenticate, outcome: .denied, errorCode: errorCode, sourceAddress: sourceAddress,
            userAgent: userAgent, requestId: requestId))
    }

    // MARK: - Rules

    /// IAM's user name rule: 1–64 characters of letters, digits and `+=,.@_-`.
    static func validatePrincipalName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw SejfError(.invalidParameter, "Invalid principal name '\(name.prefix(64))': use 1-64 letters, digits or +=,.@_-.")
        }
    }

    static func randomString(count: Int, from alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters[Int(randomUniform(UInt32(characters.count)))] })
    }

    static func noSuchPrincipal(_ name: String) -> SejfError {
        SejfError(.resourceNotFound, "No principal named \(name).")
    }

    static func noSuchAccessKey(_ id: String) -> SejfError {
        SejfError(.resourceNotFound, "No access key \(id).")
    }
}
