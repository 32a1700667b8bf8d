import Foundation
import SejfCore
import SejfStore

extension SecretsService {
    /// `GetSecretValue`: the decrypted value of `AWSCURRENT`, or of the version or label asked for.
    public func getSecretValue(_ request: GetSecretValueRequest, _ context: RequestContext) throws -> GetSecretValueResponse {
        if let id = request.VersionId { try VersionToken.validate(id, member: "versionId") }
        if let stage = request.VersionStage { try SejfError.checkLength("versionStage", stage.count, min: 1, max: 256) }
        let (response, secret) = try perform(.getSecretValue, context) { scope in
            try store.read { reader in try readValue(request, scope, in: reader) }
        }
        noteAccess(to: [secret], context)
        return response
    }

    /// The value a validated `request` asks for, once `scope`'s caller may read it (one
    /// `GetSecretValue`, alone or in a batch); the secret, for ``noteAccess(to:_:)``.
    func readValue(_ request: GetSecretValueRequest, _ scope: RequestScope,
                   in reader: any SecretStoreReader) throws -> (GetSecretValueResponse, SecretRecord) {
        let secret = try authorizedSecret(request.SecretId, scope, in: reader)
        try requireNotDeleted(secret)
        let version = try resolveVersion(try reader.versions(of: secret), id: request.VersionId, stage: request.VersionStage)
        scope.version(version)
        let value = try reader.value(of: secret, versionId: version.id)
        var response = GetSecretValueResponse(ARN: secret.arn.description, Name: secret.name, VersionId: version.id,
                                              VersionStages: version.stages, CreatedDate: version.createdAt)
        switch value {
        case .string(let s): response.SecretString = s
        case .binary(let b): response.SecretBinary = Data(b)
        }
        return (response, secret)
    }

    /// Sets `LastAccessedDate` of the secrets read that do not carry today's date yet (a date, as
    /// in AWS, so at most one write per secret per day; one statement for all of them). Best
    /// effort: a read from a read-only data directory still answers.
    func noteAccess(to secrets: [SecretRecord], _ context: RequestContext) {
        let today = (clock() / 86_400).rounded(.down) * 86_400
        let stale = secrets.filter { $0.lastAccessedAt != today }.map(\.rowId)
        guard !stale.isEmpty else { return }
        bookkeep { try $0.recordAccess(toSecrets: stale, day: today) }
    }

    /// The version a `VersionId` / `VersionStage` pair selects, by AWS's rules.
    func resolveVersion(_ labels: StagingLabels, id: String?, stage: String?) throws -> VersionSummary {
        if let id {
            guard let version = labels.version(id: id) else { throw SejfError.valueNotFound(versionId: id) }
            if let stage, !version.stages.contains(stage) {
                throw SejfError(.invalidRequest, "You provided a VersionStage that is not associated to the provided VersionId.")
            }
            return version
        }
        let stage = stage ?? StagingLabels.current
        guard let version = labels.version(withStage: stage) else { throw SejfError.valueNotFound(stage: stage) }
        return version
    }

    /// `DescribeSecret`: metadata and version labels, never the value. Works on a secret scheduled
    /// for deletion.
    public func describeSecret(_ request: SecretIdRequest, _ context: RequestContext) throws -> DescribeSecretResponse {
        try perform(.describeSecret, context) { scope in
            try store.read { reader in
                let secret = try authorizedSecret(request.SecretId, scope, in: reader)
                let labels = try reader.versions(of: secret)
                let replicas = try replicationStatus(of: secret, in: reader)
                let rotation = secret.rotation
                var response = DescribeSecretResponse(
                    ARN: secret.arn.description, Name: secret.name, Description: secret.description, KmsKeyId: secret.kmsKeyId,
                    LastChangedDate: secret.lastChangedAt, LastAccessedDate: secret.lastAccessedAt,
                    DeletedDate: secret.deletion?.deletedAt, Tags: secret.tags.isEmpty ? nil : secret.tags,
                    VersionIdsToStages: Self.stageMap(labels), CreatedDate: secret.createdAt,
                    PrimaryRegion: secret.primaryRowId != nil || !replicas.isEmpty ? try primaryRegion(of: secret, in: reader) : nil,
                    RotationEnabled: rotation.enabled, RotationLambdaARN: rotation.rotatorARN,
                    RotationRules: rotation.rulesJSON.flatMap(Self.decodeRules), LastRotatedDate: rotation.lastRotatedAt,
                    NextRotationDate: rotation.nextRotationAt, ReplicationStatus: replicas.isEmpty ? nil : replicas)
                response.SejfRotation = try reader.rotationProgress(of: secret).map(RotationStatus.init)
                return response
            }
        }
    }

    /// `ListSecrets`: secrets of the environment, filtered, sorted and paginated as in AWS. A page
    /// walks the secrets in the requested order from its `NextToken`'s position until it has
    /// `MaxResults` secrets the caller may see and the filters match, so its cost does not grow
    /// with the store.
    public func listSecrets(_ request: ListSecretsRequest, _ context: RequestContext) throws -> ListSecretsResponse {
        let filters = request.Filters ?? []
        try SecretFilter.validate(filters)
        let maxResults = try Self.validateMaxResults(request.MaxResults)
        let order = try SecretListOrder(sortBy: request.SortBy, sortOrder: request.SortOrder)
        let start = try order.position(after: request.NextToken)
        return try perform(.listSecrets, context) { scope in
            try store.read { reader in
                try requireEnvironment(context.environment, in: reader)
                try authorize(scope, nil, in: reader)
                let access = try reader.accessControl()
                let caller = try accessRequest(scope, nil, in: reader)
                let now = clock()
                func isListed(_ secret: SecretRecord) throws -> Bool {
                    if let deletion = secret.deletion, request.IncludePlannedDeletion != true || deletion.isExpired(at: now) { return false }
                    guard try access.canSee(Self.facts(secret), for: caller) else { return false }
                    guard !filters.isEmpty else { return true }
                    return SecretFilter.matches(filters, .init(
                        name: secret.name, description: secret.description, tags: secret.tags,
                        primaryRegion: try primaryRegion(of: secret, in: reader)))
                }
                var page: [SecretRecord] = []
                var hasMore = false
                try reader.secrets(in: context.environment, order: order, after: start,
                                   namePrefixes: SecretFilter.namePrefixes(filters)) { secret in
                    guard try isListed(secret) else { return true }
                    guard page.count < maxResults else {
                        hasMore = true
                        return false
                    }
                    page.append(secret)
                    return true
                }
                let entries = try page.map { secret in
                    SecretListEntry(
                        ARN: secret.arn.description, Name: secret.name, Description: secret.description, KmsKeyId: secret.kmsKeyId,
                        LastChangedDate: secret.lastChangedAt, LastAccessedDate: secret.lastAccessedAt,
                        DeletedDate: secret.deletion?.deletedAt, Tags: secret.tags.isEmpty ? nil : secret.tags,
                        SecretVersionsToStages: Self.stageMap(try reader.versions(of: secret)), CreatedDate: secret.createdAt,
                        PrimaryRegion: secret.primaryRowId != nil ? try primaryRegion(of: secret, in: reader) : nil,
                        RotationEnabled: secret.rotation.enabled, RotationLambdaARN: secret.rotation.rotatorARN,
                        RotationRules: secret.rotation.rulesJSON.flatMap(Self.decodeRules),
                        LastRotatedDate: secret.rotation.lastRotatedAt, NextRotationDate: secret.rotation.nextRotationAt)
                }
                let next = hasMore ? page.last.map { last in
                    order.token(after: order.position(name: last.name, createdAt: last.createdAt, lastChangedAt: last.lastChangedAt,
                                                      lastAccessedAt: last.lastAccessedAt))
                } : nil
                return ListSecretsResponse(SecretList: entries, NextToken: next)
            }
        }
    }

    /// `ListSecretVersionIds`: versions with their labels; label-less (deprecated) ones on request.
    public func listSecretVersionIds(_ request: ListSecretVersionIdsRequest, _ context: RequestContext) throws -> ListSecretVersionIdsResponse {
        let maxResults = try Self.validateMaxResults(request.MaxResults)
        let offset = try PageToken.decode(request.NextToken)
        return try perform(.listSecretVersionIds, context) { scope in
            try store.read { reader in
                let secret = try authorizedSecret(request.SecretId, scope, in: reader)
                let versions = try reader.versions(of: secret).versions.reversed().filter {
                    request.IncludeDeprecated == true || !$0.stages.isEmpty
                }
                let (page, next) = PageToken.page(Array(versions), offset: offset, maxResults: maxResults)
                return ListSecretVersionIdsResponse(
                    Versions: page.map { SecretVersionsListEntry(VersionId: $0.id, VersionStages: $0.stages, CreatedDate: $0.createdAt) },
                    NextToken: next, ARN: secret.arn.description, Name: secret.name)
            }
        }
    }

    /// The names of the environments (the regions the API answers for).
    public func environmentNames() throws -> [String] {
        try store.read { try $0.environments().map(\.name.rawValue) }
    }

    /// The environments of this store.
    public func listEnvironments() throws -> [EnvironmentSummary] {
        try store.read { reader in
            try reader.environments().map { env in
                let secrets = try reader.secrets(in: env.name)
                return EnvironmentSummary(
                    name: env.name.rawValue, description: env.description, namespace: env.namespace,
                    keySource: try reader.keys(of: env.name).first?.source.rawValue ?? "none",
                    secrets: secrets.filter { !TagRules.isConfig($0.tags) }.count,
                    configs: secrets.filter { TagRules.isConfig($0.tags) }.count)
            }
        }
    }

    // MARK: - Helpers

    static func stageMap(_ labels: StagingLabels) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: labels.versions.filter { !$0.stages.isEmpty }.map { ($0.id, $0.stages) })
    }

    static func validateMaxResults(_ maxResults: Int?) throws -> Int {
        guard let maxResults else { return 100 }
        guard (1...100).contains(maxResults) else {
            throw SejfError.constraint("maxResults", maxResults < 1
                ? "Member must have value greater than or equal to 1" : "Member must have value less than or equal to 100")
        }
        return maxResults
    }
}

/// One line of `sejf env list`.
public struct EnvironmentSummary: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var namespace: String?
    public var keySource: String
    public var secrets: Int
    public var configs: Int
}
