import SejfCore

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

    public var name: String { arn.name }
    public var environment: EnvironmentName { arn.environment }
}

/// What a new secret starts with.
public struct NewSecret: Sendable {
    public var arn: SecretARN
    public var description: String?
    public var kmsKeyId: String?
    public var tags: [Tag]
    public var createdAt: Double

    public init(arn: SecretARN, description: String?, kmsKeyId: String?, tags: [Tag], createdAt: Double) {
        self.arn = arn
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.tags = tags
        self.createdAt = createdAt
    }
}

/// Read access inside one consistent snapshot.
public protocol SecretStoreReader {
    /// The account id used in ARNs, fixed at `sejf init`.
    func accountId() throws -> String
    func environments() throws -> [EnvironmentRecord]
    /// Names of the recorded principals.
    func principals() throws -> [String]
    func environment(_ name: EnvironmentName) throws -> EnvironmentRecord?
    /// The key records of an environment, active key first.
    func keys(of environment: EnvironmentName) throws -> [KeyRecord]
    /// The secret a `SecretId` names in an environment, including one scheduled for deletion.
    func secret(_ identifier: SecretIdentifier, in environment: EnvironmentName) throws -> SecretRecord?
    /// Every secret of an environment (including those scheduled for deletion), by name.
    func secrets(in environment: EnvironmentName) throws -> [SecretRecord]
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
    /// Records a principal (a user or service account) by name.
    func insertPrincipal(name: String, description: String, createdAt: Double) throws
    func insertSecret(_ secret: NewSecret) throws -> SecretRecord
    /// Saves the mutable metadata: description, KMS key id, tags, dates, deletion state.
    func updateSecret(_ secret: SecretRecord) throws
    /// Encrypts `value` under the environment's active key and stores it as a new version.
    func insertVersion(of secret: SecretRecord, id: String, createdAt: Double, value: SecretValue) throws
    /// Makes the stored labels equal `labels`, deleting versions no longer in it (pruning).
    func saveVersions(_ labels: StagingLabels, of secret: SecretRecord) throws
    /// Removes a secret and all its versions for good.
    func purgeSecret(_ secret: SecretRecord) throws
    /// Purges every secret whose recovery window ended before `now`; returns how many.
    func purgeExpiredSecrets(now: Double) throws -> Int
}

/// The storage seam. Implementations must pass `SecretStoreConformance` in the test suite.
public protocol SecretStore: Sendable {
    func read<T>(_ body: (any SecretStoreReader) throws -> T) throws -> T
    func write<T>(_ body: (any SecretStoreWriter) throws -> T) throws -> T
}
