import SejfCore
import SejfCrypto

/// An environment as stored: its definition and its active key-encryption key.
public struct EnvironmentRecord: Equatable, Sendable {
    public var name: EnvironmentName
    public var description: String
    public var namespace: String?
    public var createdAt: Double

    public init(name: EnvironmentName, description: String, namespace: String?, createdAt: Double) {
        self.name = name
        self.description = description
        self.namespace = namespace
        self.createdAt = createdAt
    }
}

/// A secret's metadata (never its value).
public struct SecretRecord: Equatable, Sendable {
    /// The storage row id; used only to address the secret inside the store.
    public var rowId: Int64
    public var arn: SecretARN
    public var description: String?
    public var kmsKeyId: String?
    public var tags: [Tag]
    public var createdAt: Double
    public var lastChangedAt: Double
    public var lastAccessedAt: Double?
    public var deletion: DeletionState?
    /// For a replica: the storage row of its primary.
    public var primaryRowId: Int64?
    public var rotation: RotationSettings
    /// The resource policy document (IAM JSON), as stored by PutResourcePolicy.
    public var resourcePolicy: String?

    public var name: String { arn.name }
    public var environment: EnvironmentName { arn.environment }
}

/// A secret's rotation settings, as RotateSecret stores them.
public struct RotationSettings: Equatable, Sendable {
    public var enabled: Bool
    /// The rotator (`RotationLambdaARN`).
    public var rotatorARN: String?
    /// AWS's `RotationRules` structure, as JSON.
    public var rulesJSON: String?
    public var lastRotatedAt: Double?
    public var nextRotationAt: Double?

    public init(enabled: Bool = false, rotatorARN: String? = nil, rulesJSON: String? = nil, lastRotatedAt: Double? = nil,
                nextRotationAt: Double? = nil) {
        self.enabled = enabled
        self.rotatorARN = rotatorARN
        self.rulesJSON = rulesJSON
        self.lastRotatedAt = lastRotatedAt
        self.nextRotationAt = nextRotationAt
    }
}

/// A rotation that has started and not finished, as persisted between its steps.
public struct RotationProgress: Equatable, Sendable {
    public enum Kind: String, Sendable { case rotate, rollback }

    /// The pending version's id (for a rollback: the version being restored).
    public var token: String
    public var kind: Kind
    /// The step to run next: `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    public var step: String
    public var rotator: String
    /// Who started it.
    public var principal: String
    public var startedAt: Double
    /// The last failure's message (never a value), and how many attempts failed in a row.
    public var lastError: String?
    public var failures: Int
    /// When the scheduler may try again after a failure.
    public var retryAt: Double?
    /// The process running it now (`host:pid`) and until when its claim holds; a claim whose
    /// process is gone or whose time has passed may be taken over.
    public var holder: String?
    public var leaseUntil: Double?

    public init(token: String, kind: Kind, step: String, rotator: String, principal: String, startedAt: Double,
                lastError: String? = nil, failures: Int = 0, retryAt: Double? = nil, holder: String? = nil, leaseUntil: Double? = nil) {
        self.holder = holder
        self.leaseUntil = leaseUntil
        self.token = token
        self.kind = kind
        self.step = step
        self.rotator = rotator
        self.principal = principal
        self.startedAt = startedAt
        self.lastError = lastError
        self.failures = failures
        self.retryAt = retryAt
    }
}

/// What a new secret starts with.
public struct NewSecret: Sendable {
    public var arn: SecretARN
    public var description: String?
    public var kmsKeyId: String?
    public var tags: [Tag]
    public var createdAt: Double
    /// Set for a replica: its primary's storage row.
    public var primaryRowId: Int64?

    public init(arn: SecretARN, description: String?, kmsKeyId: String?, tags: [Tag], createdAt: Double, primaryRowId: Int64? = nil) {
        self.arn = arn
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.tags = tags
        self.createdAt = createdAt
        self.primaryRowId = primaryRowId
    }
}

/// A user or service account.
public struct PrincipalRecord: Equatable, Sendable {
    public var name: String
    public var description: String
    public var createdAt: Double

    public init(name: String, description: String, createdAt: Double) {
        self.name = name
        self.description = description
        self.createdAt = createdAt
    }
}

/// An access key's metadata (its secret is only ever read through ``SecretStoreReader/accessKeySecret(_:)``).
public struct AccessKeyRecord: Equatable, Sendable {
    public enum Status: String, Sendable, Codable {
        case active = "Active"
        case inactive = "Inactive"
    }

    public var id: String
    public var principal: String
    public var status: Status
    public var createdAt: Double
    public var lastUsedAt: Double?

    public init(id: String, principal: String, status: Status, createdAt: Double, lastUsedAt: Double? = nil) {
        self.id = id
        self.principal = principal
        self.status = status
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Read access inside one consistent snapshot.
public protocol SecretStoreReader {
    /// The account id used in ARNs, fixed at `sejf init`.
    func accountId() throws -> String
    func environments() throws -> [EnvironmentRecord]
    /// The principals, by name.
    func principals() throws -> [PrincipalRecord]
    func principal(named name: String) throws -> PrincipalRecord?
    /// Access keys of one principal, or of all when `principal` is nil, oldest first.
    func accessKeys(of principal: String?) throws -> [AccessKeyRecord]
    func accessKey(_ id: String) throws -> AccessKeyRecord?
    /// The principal of an active access key; nil for an unknown or inactive one.
    func activeAccessKeyPrincipal(_ id: String) throws -> String?
    /// The custom roles and all bindings (built-in roles come from `SejfCore`).
    func accessControl() throws -> AccessControl
    /// Where the stored chain starts: the prune checkpoint, or nil when nothing was pruned.
    func auditCheckpoint() throws -> AuditCheckpoint?
    /// The newest stored event's sequence and hash (the checkpoint, or genesis, when empty).
    func auditHead() throws -> AuditCheckpoint
    /// Stored events in sequence order, after `sequence`, at most `limit`.
    func auditEvents(after sequence: Int64, limit: Int) throws -> [StoredAuditEvent]
    /// Stored events matching `filter`, newest first, at most `limit` (uses the indexes).
    func auditEvents(matching filter: AuditFilter, limit: Int) throws -> [StoredAuditEvent]
    /// Allowed value reads per principal and secret since `since` (`who-read`).
    func auditValueReads(environment: String, since: AuditTime) throws -> [AuditReadSummary]
    /// The newest allowed value read of one secret (`stale`).
    func auditLastValueRead(environment: String, secretArn: String) throws -> AuditTime?
    /// The audit key's hash function (keyed BLAKE2b-256), for verifying the chain.
    func auditHasher() throws -> @Sendable ([UInt8]) -> [UInt8]
    /// Decrypts an access key's secret (for SigV4).
    /// - Throws: `DecryptionFailure` when the system key is missing or wrong.
    func accessKeySecret(_ id: String) throws -> SecureBytes?
    func environment(_ name: EnvironmentName) throws -> EnvironmentRecord?
    /// The key records of an environment, active key first.
    func keys(of environment: EnvironmentName) throws -> [KeyRecord]
    /// A 32-byte key for keyed checksums of an environment's values (`sejf.dev/checksum`),
    /// derived from its active key-encryption key with keyed BLAKE2b, so a checksum published
    /// where values are not (a pod annotation) cannot be used to guess them.
    func checksumKey(for environment: EnvironmentName) throws -> [UInt8]
    /// The secret a `SecretId` names in an environment, including one scheduled for deletion.
    func secret(_ identifier: SecretIdentifier, in environment: EnvironmentName) throws -> SecretRecord?
    /// Every secret of an environment (including those scheduled for deletion), by name.
    func secrets(in environment: EnvironmentName) throws -> [SecretRecord]
    /// Walks the environment's secrets in `order`, starting after `position` (from the start
    /// when nil), for as long as `visit` returns true. Deleted secrets are included. With
    /// `namePrefixes`, only secrets whose name starts with one of them are visited.
    func secrets(in environment: EnvironmentName, order: SecretListOrder, after position: SecretListOrder.Position?,
                 namePrefixes: [String]?, while visit: (SecretRecord) throws -> Bool) throws
    /// The secret stored in a row (to find a replica's primary).
    func secret(rowId: Int64) throws -> SecretRecord?
    /// The rotation in progress on a secret, if any.
    func rotationProgress(of secret: SecretRecord) throws -> RotationProgress?
    /// Secrets (of every environment, not scheduled for deletion, not replicas) whose rotation
    /// is due by `time`, or whose interrupted rotation may be retried by then, oldest first.
    func secretsDueForRotation(by time: Double) throws -> [SecretRecord]
    /// The replicas of a primary secret, by environment.
    func replicas(of secret: SecretRecord) throws -> [SecretRecord]
    /// The secret's versions and their staging labels.
    func versions(of secret: SecretRecord) throws -> StagingLabels
    /// Decrypts one version.
    /// - Throws: `DecryptionFailure` when the key is missing or wrong or the row was tampered with.
    func value(of secret: SecretRecord, versionId: String) throws -> SecretValue
}

/// Write access inside one transaction: either everything a closure did is committed, or nothing.
public protocol SecretStoreWriter: SecretStoreReader {
    func setAccountId(_ account: String) throws
    func insertEnvironment(_ environment: EnvironmentRecord, key: KeyRecord) throws
    func insertPrincipal(_ principal: PrincipalRecord) throws
    /// Deletes a principal and its access keys.
    func deletePrincipal(named name: String) throws
    /// Stores an access key with its secret sealed under the system key (created on first use).
    func insertAccessKey(_ key: AccessKeyRecord, secret: SecureBytes) throws
    /// Saves status and last-used time.
    func updateAccessKey(_ key: AccessKeyRecord) throws
    func deleteAccessKey(_ id: String) throws
    /// Chains and stores events after the current head (the audit key is created on first use).
    func appendAuditEvents(_ events: [AuditEvent]) throws -> [StoredAuditEvent]
    /// Deletes the events older than `time`, keeping a checkpoint where the chain continues.
    func pruneAudit(before time: AuditTime) throws -> AuditCheckpoint?
    /// Creates or replaces a custom role / a binding, by name.
    func saveRole(_ role: AccessRole, at time: Double) throws
    func deleteRole(named name: String) throws
    func saveBinding(_ binding: AccessBinding, at time: Double) throws
    func deleteBinding(named name: String) throws
    func insertSecret(_ secret: NewSecret) throws -> SecretRecord
    /// Saves the mutable metadata: description, KMS key id, tags, dates, deletion state, primary
    /// (a replica promoted to a standalone secret loses it), rotation settings, resource policy.
    /// Not `LastAccessedDate`, which only ``recordAccess(toSecrets:day:)`` moves.
    func updateSecret(_ secret: SecretRecord) throws
    /// Moves `LastAccessedDate` of the secrets in these rows forward to `day` (never back).
    func recordAccess(toSecrets rowIds: [Int64], day: Double) throws
    /// Encrypts `value` under the environment's active key and stores it as a new version.
    func insertVersion(of secret: SecretRecord, id: String, createdAt: Double, value: SecretValue) throws
    /// Makes the stored labels equal `labels`, deleting versions no longer in it (pruning).
    func saveVersions(_ labels: StagingLabels, of secret: SecretRecord) throws
    /// Removes a secret and all its versions for good.
    func purgeSecret(_ secret: SecretRecord) throws
    /// Records (or replaces) the rotation in progress on a secret; `nil` clears it.
    func saveRotationProgress(_ progress: RotationProgress?, of secret: SecretRecord) throws
    /// Purges every secret whose recovery window ended before `now`; returns how many.
    func purgeExpiredSecrets(now: Double) throws -> Int
}

/// The storage seam. Implementations must pass `SecretStoreConformance` in the test suite.
public protocol SecretStore: Sendable {
    func read<T>(_ body: (any SecretStoreReader) throws -> T) throws -> T
    func write<T>(_ body: (any SecretStoreWriter) throws -> T) throws -> T
    /// The principal of an active access key as the metadata this process read last knows it,
    /// without reading the database: nil when it does not (read it afresh then). What it says
    /// may be stale, so a request authenticated by it must be confirmed with
    /// ``SecretStoreReader/activeAccessKeyPrincipal(_:)`` in the transaction that serves it.
    func recentActiveAccessKeyPrincipal(_ id: String) -> String?
}
