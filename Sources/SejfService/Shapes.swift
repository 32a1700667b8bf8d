import Foundation
import SejfCore

// Request and response shapes of the AWS Secrets Manager operations Sejf serves, with the member
// names of the botocore service model `secretsmanager` 2017-10-17. Timestamps are seconds since
// 1970 (awsJson1.1); `SecretBinary` is base64 in JSON, as `Data` encodes.

public struct CreateSecretRequest: Codable, Sendable {
    public var Name: String
    public var ClientRequestToken: String?
    public var Description: String?
    public var KmsKeyId: String?
    public var SecretBinary: Data?
    public var SecretString: String?
    public var Tags: [Tag]?
    public var AddReplicaRegions: [ReplicaRegion]?
    public var ForceOverwriteReplicaSecret: Bool?
    /// A partner integration's secret type (validated, not used).
    public var `Type`: String?

    public init(Name: String, ClientRequestToken: String? = nil, Description: String? = nil, KmsKeyId: String? = nil,
                SecretBinary: Data? = nil, SecretString: String? = nil, Tags: [Tag]? = nil,
                AddReplicaRegions: [ReplicaRegion]? = nil, ForceOverwriteReplicaSecret: Bool? = nil) {
        self.AddReplicaRegions = AddReplicaRegions
        self.ForceOverwriteReplicaSecret = ForceOverwriteReplicaSecret
        self.Name = Name
        self.ClientRequestToken = ClientRequestToken
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.Tags = Tags
    }
}

public struct CreateSecretResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
    public var ReplicationStatus: [ReplicationStatus]?

    public init(ARN: String, Name: String, VersionId: String? = nil, ReplicationStatus: [ReplicationStatus]? = nil) {
        self.ARN = ARN
        self.Name = Name
        self.VersionId = VersionId
        self.ReplicationStatus = ReplicationStatus
    }
}

public struct GetSecretValueRequest: Codable, Sendable {
    public var SecretId: String
    public var VersionId: String?
    public var VersionStage: String?

    public init(SecretId: String, VersionId: String? = nil, VersionStage: String? = nil) {
        self.SecretId = SecretId
        self.VersionId = VersionId
        self.VersionStage = VersionStage
    }
}

public struct GetSecretValueResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var VersionId: String
    public var SecretBinary: Data?
    public var SecretString: String?
    public var VersionStages: [String]
    public var CreatedDate: Double

    public init(ARN: String, Name: String, VersionId: String, SecretBinary: Data? = nil, SecretString: String? = nil, VersionStages: [String], CreatedDate: Double) {
        self.ARN = ARN
        self.Name = Name
        self.VersionId = VersionId
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.VersionStages = VersionStages
        self.CreatedDate = CreatedDate
    }
}

public struct PutSecretValueRequest: Codable, Sendable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var SecretBinary: Data?
    public var SecretString: String?
    public var VersionStages: [String]?
    /// Identifies the rotation that makes this call (validated; checked by the rotation engine).
    public var RotationToken: String?

    public init(SecretId: String, ClientRequestToken: String? = nil, SecretBinary: Data? = nil,
                SecretString: String? = nil, VersionStages: [String]? = nil) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
        self.VersionStages = VersionStages
    }
}

public struct PutSecretValueResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var VersionId: String
    public var VersionStages: [String]

    public init(ARN: String, Name: String, VersionId: String, VersionStages: [String]) {
        self.ARN = ARN
        self.Name = Name
        self.VersionId = VersionId
        self.VersionStages = VersionStages
    }
}

public struct UpdateSecretRequest: Codable, Sendable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var Description: String?
    public var KmsKeyId: String?
    public var SecretBinary: Data?
    public var SecretString: String?
    /// A partner integration's secret type (validated, not used).
    public var `Type`: String?

    public init(SecretId: String, ClientRequestToken: String? = nil, Description: String? = nil, KmsKeyId: String? = nil,
                SecretBinary: Data? = nil, SecretString: String? = nil) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.SecretBinary = SecretBinary
        self.SecretString = SecretString
    }
}

public struct UpdateSecretResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?

    public init(ARN: String, Name: String, VersionId: String? = nil) {
        self.ARN = ARN
        self.Name = Name
        self.VersionId = VersionId
    }
}

public struct SecretIdRequest: Codable, Sendable {
    public var SecretId: String
    public init(SecretId: String) { self.SecretId = SecretId }
}

public struct DescribeSecretResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var Description: String?
    public var KmsKeyId: String?
    public var LastChangedDate: Double?
    public var LastAccessedDate: Double?
    public var DeletedDate: Double?
    public var Tags: [Tag]?
    public var VersionIdsToStages: [String: [String]]?
    public var CreatedDate: Double?
    public var PrimaryRegion: String?
    public var RotationEnabled: Bool?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesShape?
    public var LastRotatedDate: Double?
    public var NextRotationDate: Double?
    public var ReplicationStatus: [ReplicationStatus]?
    /// Sejf's addition: the rotation in progress or stopped by an error. AWS clients ignore
    /// members their model does not have.
    public var SejfRotation: RotationStatus?

    public init(ARN: String, Name: String, Description: String? = nil, KmsKeyId: String? = nil, LastChangedDate: Double? = nil, LastAccessedDate: Double? = nil, DeletedDate: Double? = nil, Tags: [Tag]? = nil, VersionIdsToStages: [String: [String]]? = nil, CreatedDate: Double? = nil, PrimaryRegion: String? = nil,
                RotationEnabled: Bool? = nil, RotationLambdaARN: String? = nil, RotationRules: RotationRulesShape? = nil,
                LastRotatedDate: Double? = nil, NextRotationDate: Double? = nil, ReplicationStatus: [ReplicationStatus]? = nil) {
        self.PrimaryRegion = PrimaryRegion
        self.RotationEnabled = RotationEnabled
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
        self.LastRotatedDate = LastRotatedDate
        self.NextRotationDate = NextRotationDate
        self.ReplicationStatus = ReplicationStatus
        self.ARN = ARN
        self.Name = Name
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.LastChangedDate = LastChangedDate
        self.LastAccessedDate = LastAccessedDate
        self.DeletedDate = DeletedDate
        self.Tags = Tags
        self.VersionIdsToStages = VersionIdsToStages
        self.CreatedDate = CreatedDate
    }
}

public struct ListSecretsRequest: Codable, Sendable {
    public var IncludePlannedDeletion: Bool?
    public var MaxResults: Int?
    public var NextToken: String?
    public var Filters: [SecretFilter]?
    public var SortOrder: String?
    public var SortBy: String?

    public init(IncludePlannedDeletion: Bool? = nil, MaxResults: Int? = nil, NextToken: String? = nil,
                Filters: [SecretFilter]? = nil, SortOrder: String? = nil, SortBy: String? = nil) {
        self.IncludePlannedDeletion = IncludePlannedDeletion
        self.MaxResults = MaxResults
        self.NextToken = NextToken
        self.Filters = Filters
        self.SortOrder = SortOrder
        self.SortBy = SortBy
    }
}

public struct SecretListEntry: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var Description: String?
    public var KmsKeyId: String?
    public var LastChangedDate: Double?
    public var LastAccessedDate: Double?
    public var DeletedDate: Double?
    public var Tags: [Tag]?
    public var SecretVersionsToStages: [String: [String]]?
    public var CreatedDate: Double?
    public var PrimaryRegion: String?
    public var RotationEnabled: Bool?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesShape?
    public var LastRotatedDate: Double?
    public var NextRotationDate: Double?

    public init(ARN: String, Name: String, Description: String? = nil, KmsKeyId: String? = nil, LastChangedDate: Double? = nil, LastAccessedDate: Double? = nil, DeletedDate: Double? = nil, Tags: [Tag]? = nil, SecretVersionsToStages: [String: [String]]? = nil, CreatedDate: Double? = nil, PrimaryRegion: String? = nil,
                RotationEnabled: Bool? = nil, RotationLambdaARN: String? = nil, RotationRules: RotationRulesShape? = nil,
                LastRotatedDate: Double? = nil, NextRotationDate: Double? = nil) {
        self.PrimaryRegion = PrimaryRegion
        self.RotationEnabled = RotationEnabled
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
        self.LastRotatedDate = LastRotatedDate
        self.NextRotationDate = NextRotationDate
        self.ARN = ARN
        self.Name = Name
        self.Description = Description
        self.KmsKeyId = KmsKeyId
        self.LastChangedDate = LastChangedDate
        self.LastAccessedDate = LastAccessedDate
        self.DeletedDate = DeletedDate
        self.Tags = Tags
        self.SecretVersionsToStages = SecretVersionsToStages
        self.CreatedDate = CreatedDate
    }
}

public struct ListSecretsResponse: Codable, Sendable, Equatable {
    public var SecretList: [SecretListEntry]
    public var NextToken: String?

    public init(SecretList: [SecretListEntry], NextToken: String? = nil) {
        self.SecretList = SecretList
        self.NextToken = NextToken
    }
}

public struct ListSecretVersionIdsRequest: Codable, Sendable {
    public var SecretId: String
    public var MaxResults: Int?
    public var NextToken: String?
    public var IncludeDeprecated: Bool?

    public init(SecretId: String, MaxResults: Int? = nil, NextToken: String? = nil, IncludeDeprecated: Bool? = nil) {
        self.SecretId = SecretId
        self.MaxResults = MaxResults
        self.NextToken = NextToken
        self.IncludeDeprecated = IncludeDeprecated
    }
}

public struct SecretVersionsListEntry: Codable, Sendable, Equatable {
    public var VersionId: String
    public var VersionStages: [String]?
    public var CreatedDate: Double

    public init(VersionId: String, VersionStages: [String]? = nil, CreatedDate: Double) {
        self.VersionId = VersionId
        self.VersionStages = VersionStages
        self.CreatedDate = CreatedDate
    }
}

public struct ListSecretVersionIdsResponse: Codable, Sendable, Equatable {
    public var Versions: [SecretVersionsListEntry]
    public var NextToken: String?
    public var ARN: String
    public var Name: String

    public init(Versions: [SecretVersionsListEntry], NextToken: String? = nil, ARN: String, Name: String) {
        self.Versions = Versions
        self.NextToken = NextToken
        self.ARN = ARN
        self.Name = Name
    }
}

public struct DeleteSecretRequest: Codable, Sendable {
    public var SecretId: String
    public var RecoveryWindowInDays: Int?
    public var ForceDeleteWithoutRecovery: Bool?

    public init(SecretId: String, RecoveryWindowInDays: Int? = nil, ForceDeleteWithoutRecovery: Bool? = nil) {
        self.SecretId = SecretId
        self.RecoveryWindowInDays = RecoveryWindowInDays
        self.ForceDeleteWithoutRecovery = ForceDeleteWithoutRecovery
    }
}

public struct DeleteSecretResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var DeletionDate: Double

    public init(ARN: String, Name: String, DeletionDate: Double) {
        self.ARN = ARN
        self.Name = Name
        self.DeletionDate = DeletionDate
    }
}

/// The `{ARN, Name}` answer of RestoreSecret and UpdateSecretVersionStage.
public struct SecretReference: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String

    public init(ARN: String, Name: String) {
        self.ARN = ARN
        self.Name = Name
    }
}

public struct TagResourceRequest: Codable, Sendable {
    public var SecretId: String
    public var Tags: [Tag]
    public init(SecretId: String, Tags: [Tag]) {
        self.SecretId = SecretId
        self.Tags = Tags
    }
}

public struct UntagResourceRequest: Codable, Sendable {
    public var SecretId: String
    public var TagKeys: [String]
    public init(SecretId: String, TagKeys: [String]) {
        self.SecretId = SecretId
        self.TagKeys = TagKeys
    }
}

public struct UpdateSecretVersionStageRequest: Codable, Sendable {
    public var SecretId: String
    public var VersionStage: String
    public var RemoveFromVersionId: String?
    public var MoveToVersionId: String?

    public init(SecretId: String, VersionStage: String, RemoveFromVersionId: String? = nil, MoveToVersionId: String? = nil) {
        self.SecretId = SecretId
        self.VersionStage = VersionStage
        self.RemoveFromVersionId = RemoveFromVersionId
        self.MoveToVersionId = MoveToVersionId
    }
}

// MARK: - Sejf's own operations

/// One secret version an app used, as `GetSecretValue` returned it.
public struct UsedVersion: Codable, Sendable, Equatable {
    public var ARN: String
    public var VersionId: String

    public init(ARN: String, VersionId: String) {
        self.ARN = ARN
        self.VersionId = VersionId
    }
}

public struct RecordUseRequest: Codable, Sendable {
    /// `sejf:Render` or `sejf:Run`.
    public var Action: String
    public var Uses: [UsedVersion]

    public init(Action: String, Uses: [UsedVersion]) {
        self.Action = Action
        self.Uses = Uses
    }
}

public struct RecordUseResponse: Codable, Sendable, Equatable {
    /// The environment's checksum key, base64: `sejf.dev/checksum` is keyed with it.
    public var ChecksumKey: String
}

/// A rotation that has not finished, as DescribeSecret shows it (`SejfRotation`).
public struct RotationStatus: Codable, Sendable, Equatable {
    /// `rotate` or `rollback`.
    public var Kind: String
    /// The pending version (for a rollback, the version being restored).
    public var VersionId: String
    /// The step the next attempt runs.
    public var NextStep: String
    public var Rotator: String
    public var StartedBy: String
    public var StartedDate: Double
    /// The last failure (never a value), how many attempts failed in a row, and when the
    /// scheduler tries again.
    public var LastError: String?
    public var Failures: Int
    public var RetryDate: Double?
}
