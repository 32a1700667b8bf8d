import Foundation
import SejfCore
import SejfStore

// Replication: a replica is a read-only copy of a secret in another environment (region), with
// the primary's name and ARN suffix. Every change to the primary is applied to its replicas in
// the same transaction, re-encrypted under each replica environment's key, so a replica is
// always in sync.

public struct ReplicaRegion: Codable, Sendable, Equatable {
    public var Region: String
    public var KmsKeyId: String?

    public init(Region: String, KmsKeyId: String? = nil) {
        self.Region = Region
        self.KmsKeyId = KmsKeyId
    }
}

public struct ReplicationStatus: Codable, Sendable, Equatable {
    public var Region: String
    public var KmsKeyId: String?
    public var Status: String
    public var StatusMessage: String?
    public var LastAccessedDate: Double?
}

public struct ReplicateSecretToRegionsRequest: Codable, Sendable {
    public var SecretId: String
    public var AddReplicaRegions: [ReplicaRegion]
    public var ForceOverwriteReplicaSecret: Bool?

    public init(SecretId: String, AddReplicaRegions: [ReplicaRegion], ForceOverwriteReplicaSecret: Bool? = nil) {
        self.SecretId = SecretId
        self.AddReplicaRegions = AddReplicaRegions
        self.ForceOverwriteReplicaSecret = ForceOverwriteReplicaSecret
    }
}

public struct ReplicationResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var ReplicationStatus: [ReplicationStatus]
}

public struct RemoveRegionsFromReplicationRequest: Codable, Sendable {
    public var SecretId: String
    public var RemoveReplicaRegions: [String]

    public init(SecretId: String, RemoveReplicaRegions: [String]) {
        self.SecretId = SecretId
        self.RemoveReplicaRegions = RemoveReplicaRegions
    }
}

public struct StopReplicationToReplicaResponse: Codable, Sendable, Equatable {
    public var ARN: String
}

extension SecretsService {
    /// `ReplicateSecretToRegions`: read-only copies in other environments.
    public func replicateSecretToRegions(_ request: ReplicateSecretToRegionsRequest, _ context: RequestContext) throws -> ReplicationResponse {
        try SejfError.checkLength("addReplicaRegions", request.AddReplicaRegions.count, min: 1, max: 50)
        return try perform(.replicateSecretToRegions, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, primary in
                let statuses = try addReplicas(request.AddReplicaRegions, of: primary, overwrite: request.ForceOverwriteReplicaSecret ?? false,
                                               in: writer)
                return ReplicationResponse(ARN: primary.arn.description, ReplicationStatus: statuses)
            }
        }
    }

    /// `RemoveRegionsFromReplication`: deletes the replicas in those environments.
    public func removeRegionsFromReplication(_ request: RemoveRegionsFromReplicationRequest, _ context: RequestContext) throws -> ReplicationResponse {
        try SejfError.checkLength("removeReplicaRegions", request.RemoveReplicaRegions.count, min: 1, max: 50)
        return try perform(.removeRegionsFromReplication, context) { scope in
            try changeSecret(request.SecretId, scope, whenDeleted: .allow) { writer, primary in
                let replicas = try writer.replicas(of: primary)
                for region in request.RemoveReplicaRegions {
                    guard let replica = replicas.first(where: { $0.environment.rawValue == region }) else {
                        throw SejfError(.invalidParameter, "Invalid replica region: the secret has no replica in '\(region)'.")
                    }
                    try writer.purgeSecret(replica)
                }
                return ReplicationResponse(ARN: primary.arn.description, ReplicationStatus: try replicationStatus(of: primary, in: writer))
            }
        }
    }

    /// `StopReplicationToReplica`, called in the replica's environment: the replica becomes a
    /// standalone secret.
    public func stopReplicationToReplica(_ request: SecretIdRequest, _ context: RequestContext) throws -> StopReplicationToReplicaResponse {
        try perform(.stopReplicationToReplica, context) { scope in
            try store.write { writer in
                var replica = try authorizedSecret(request.SecretId, scope, in: writer)
                guard replica.primaryRowId != nil else {
                    throw SejfError(.invalidRequest, "The secret \(replica.name) in \(context.environment) is not a replica.")
                }
                replica.primaryRowId = nil
                replica.lastChangedAt = clock()
                try writer.updateSecret(replica)
                try auditInTransaction(scope, writer)
                return StopReplicationToReplicaResponse(ARN: replica.arn.description)
            }
        }
    }

    // MARK: - Mechanics

    /// Creates replicas of `primary` in the given environments; answers each region's status.
    func addReplicas(_ regions: [ReplicaRegion], of primary: SecretRecord, overwrite: Bool,
                     in writer: any SecretStoreWriter) throws -> [ReplicationStatus] {
        var statuses: [ReplicationStatus] = []
        for region in regions {
            guard let target = try? EnvironmentName(region.Region), target != primary.environment,
                  try writer.environment(target) != nil else {
                throw SejfError(.invalidParameter, "Invalid replica region: '\(region.Region)' is not another environment of this installation.")
            }
            if let kms = region.KmsKeyId { try SejfError.checkLength("addReplicaRegions.member.kmsKeyId", kms.count, max: 2048) }
            if let existing = try writer.secret(.name(primary.name), in: target) {
                if existing.primaryRowId == primary.rowId {
                    statuses.append(Self.inSync(existing))
                    continue
                }
                guard overwrite, try writer.replicas(of: existing).isEmpty else {
                    statuses.append(ReplicationStatus(Region: region.Region, KmsKeyId: region.KmsKeyId, Status: "Failed",
                        StatusMessage: "Replication failed: Secret name \(primary.name) already exists in region \(target)."))
                    continue
                }
                try writer.purgeSecret(existing)
            }
            let arn = SecretARN(environment: target, account: primary.arn.account, name: primary.name, suffix: primary.arn.suffix)
            let replica = try writer.insertSecret(NewSecret(arn: arn, description: primary.description, kmsKeyId: region.KmsKeyId,
                                                            tags: primary.tags, createdAt: clock(), primaryRowId: primary.rowId))
            try copy(primary, onto: replica, in: writer)
            statuses.append(Self.inSync(replica))
        }
        return statuses
    }

    /// Makes every replica of `primary` equal to it: versions, labels, description, tags, deletion state.
    func syncReplicas(of primary: SecretRecord, in writer: any SecretStoreWriter) throws {
        for replica in try writer.replicas(of: primary) {
            try copy(primary, onto: replica, in: writer)
        }
    }

    private func copy(_ primary: SecretRecord, onto replica: SecretRecord, in writer: any SecretStoreWriter) throws {
        let labels = try writer.versions(of: primary)
        let present = Set(try writer.versions(of: replica).versions.map(\.id))
        for version in labels.versions where !present.contains(version.id) {
            try writer.insertVersion(of: replica, id: version.id, createdAt: version.createdAt,
                                     value: try writer.value(of: primary, versionId: version.id))
        }
        try writer.saveVersions(labels, of: replica)
        var updated = replica
        updated.description = primary.description
        updated.tags = primary.tags
        updated.lastChangedAt = primary.lastChangedAt
        updated.deletion = primary.deletion
        updated.rotation = primary.rotation
        updated.resourcePolicy = primary.resourcePolicy
        try writer.updateSecret(updated)
    }

    func requireNoReplicas(_ secret: SecretRecord, in reader: any SecretStoreReader) throws {
        let replicas = try reader.replicas(of: secret)
        guard replicas.isEmpty else {
            let regions = replicas.map(\.environment.rawValue).joined(separator: ",")
            throw SejfError(.invalidParameter, "You can't delete secret \(secret.name) that still has replica regions [\(regions)]")
        }
    }

    func replicationStatus(of secret: SecretRecord, in reader: any SecretStoreReader) throws -> [ReplicationStatus] {
        try reader.replicas(of: secret).map(Self.inSync)
    }

    /// The environment of the secret's primary: its own unless it is a replica.
    func primaryRegion(of secret: SecretRecord, in reader: any SecretStoreReader) throws -> String {
        guard let primaryRowId = secret.primaryRowId else { return secret.environment.rawValue }
        return try reader.secret(rowId: primaryRowId)?.environment.rawValue ?? secret.environment.rawValue
    }

    private static func inSync(_ replica: SecretRecord) -> ReplicationStatus {
        ReplicationStatus(Region: replica.environment.rawValue, KmsKeyId: replica.kmsKeyId, Status: "InSync",
                          StatusMessage: "Replication succeeded", LastAccessedDate: replica.lastAccessedAt)
    }
}
