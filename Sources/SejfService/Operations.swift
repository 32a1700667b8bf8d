import Foundation
import SejfCrypto
import SejfCore

/// One AWS Secrets Manager operation: its wire name, request and response shapes, and how the
/// service performs it. The server dispatches on ``name``; the CLI's remote client sends the same
/// shapes; the embedded CLI calls ``perform(_:_:_:)`` directly. One catalog, three users.
public protocol SecretsOperation: SendableMetatype {
    associatedtype Request: Codable & Sendable
    associatedtype Response: Codable & Sendable
    /// The operation name, as in `X-Amz-Target: secretsmanager.<name>`.
    static var name: String { get }
    /// The whole `X-Amz-Target` value: `secretsmanager.<name>` for AWS's operations.
    static var target: String { get }
    /// True when the operation changes nothing but its audit events and best-effort bookkeeping,
    /// so the server can serve it without waiting for a commit of its own (see
    /// ``SecretsService/serveWithDeferredAudit(_:)``).
    static var readsOnly: Bool { get }
    static func perform(_ service: SecretsService, _ request: Request, _ context: RequestContext) throws -> Response
}

extension SecretsOperation {
    public static var target: String { "secretsmanager.\(name)" }
    public static var readsOnly: Bool { false }
}

/// The `{}` response of operations that return nothing.
public struct EmptyResponse: Codable, Sendable, Equatable {
    public init() {}
}

/// The operations, by AWS name.
public enum SecretsManager {
    public enum CreateSecret: SecretsOperation {
        public static let name = "CreateSecret"
        public static func perform(_ s: SecretsService, _ r: CreateSecretRequest, _ c: RequestContext) throws -> CreateSecretResponse {
            try s.createSecret(r, c)
        }
    }

    public enum GetSecretValue: SecretsOperation {
        public static let name = "GetSecretValue"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: GetSecretValueRequest, _ c: RequestContext) throws -> GetSecretValueResponse {
            try s.getSecretValue(r, c)
        }
    }

    public enum PutSecretValue: SecretsOperation {
        public static let name = "PutSecretValue"
        public static func perform(_ s: SecretsService, _ r: PutSecretValueRequest, _ c: RequestContext) throws -> PutSecretValueResponse {
            try s.putSecretValue(r, c)
        }
    }

    public enum UpdateSecret: SecretsOperation {
        public static let name = "UpdateSecret"
        public static func perform(_ s: SecretsService, _ r: UpdateSecretRequest, _ c: RequestContext) throws -> UpdateSecretResponse {
            try s.updateSecret(r, c)
        }
    }

    public enum UpdateSecretVersionStage: SecretsOperation {
        public static let name = "UpdateSecretVersionStage"
        public static func perform(_ s: SecretsService, _ r: UpdateSecretVersionStageRequest, _ c: RequestContext) throws -> SecretReference {
            try s.updateSecretVersionStage(r, c)
        }
    }

    public enum DescribeSecret: SecretsOperation {
        public static let name = "DescribeSecret"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> DescribeSecretResponse {
            try s.describeSecret(r, c)
        }
    }

    public enum ListSecrets: SecretsOperation {
        public static let name = "ListSecrets"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: ListSecretsRequest, _ c: RequestContext) throws -> ListSecretsResponse {
            try s.listSecrets(r, c)
        }
    }

    public enum ListSecretVersionIds: SecretsOperation {
        public static let name = "ListSecretVersionIds"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: ListSecretVersionIdsRequest, _ c: RequestContext) throws -> ListSecretVersionIdsResponse {
            try s.listSecretVersionIds(r, c)
        }
    }

    public enum DeleteSecret: SecretsOperation {
        public static let name = "DeleteSecret"
        public static func perform(_ s: SecretsService, _ r: DeleteSecretRequest, _ c: RequestContext) throws -> DeleteSecretResponse {
            try s.deleteSecret(r, c)
        }
    }

    public enum RestoreSecret: SecretsOperation {
        public static let name = "RestoreSecret"
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> SecretReference {
            try s.restoreSecret(r, c)
        }
    }

    public enum TagResource: SecretsOperation {
        public static let name = "TagResource"
        public static func perform(_ s: SecretsService, _ r: TagResourceRequest, _ c: RequestContext) throws -> EmptyResponse {
            try s.tagResource(r, c)
            return EmptyResponse()
        }
    }

    public enum UntagResource: SecretsOperation {
        public static let name = "UntagResource"
        public static func perform(_ s: SecretsService, _ r: UntagResourceRequest, _ c: RequestContext) throws -> EmptyResponse {
            try s.untagResource(r, c)
            return EmptyResponse()
        }
    }

    public enum BatchGetSecretValue: SecretsOperation {
        public static let name = "BatchGetSecretValue"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: BatchGetSecretValueRequest, _ c: RequestContext) throws -> BatchGetSecretValueResponse {
            try s.batchGetSecretValue(r, c)
        }
    }

    public enum GetRandomPassword: SecretsOperation {
        public static let name = "GetRandomPassword"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: GetRandomPasswordRequest, _ c: RequestContext) throws -> GetRandomPasswordResponse {
            try s.getRandomPassword(r, c)
        }
    }

    public enum RotateSecret: SecretsOperation {
        public static let name = "RotateSecret"
        public static func perform(_ s: SecretsService, _ r: RotateSecretRequest, _ c: RequestContext) throws -> RotationResponse {
            try s.rotateSecret(r, c)
        }
    }

    public enum CancelRotateSecret: SecretsOperation {
        public static let name = "CancelRotateSecret"
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> RotationResponse {
            try s.cancelRotateSecret(r, c)
        }
    }

    public enum PutResourcePolicy: SecretsOperation {
        public static let name = "PutResourcePolicy"
        public static func perform(_ s: SecretsService, _ r: PutResourcePolicyRequest, _ c: RequestContext) throws -> SecretReference {
            try s.putResourcePolicy(r, c)
        }
    }

    public enum GetResourcePolicy: SecretsOperation {
        public static let name = "GetResourcePolicy"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> GetResourcePolicyResponse {
            try s.getResourcePolicy(r, c)
        }
    }

    public enum DeleteResourcePolicy: SecretsOperation {
        public static let name = "DeleteResourcePolicy"
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> SecretReference {
            try s.deleteResourcePolicy(r, c)
        }
    }

    public enum ValidateResourcePolicy: SecretsOperation {
        public static let name = "ValidateResourcePolicy"
        public static let readsOnly = true
        public static func perform(_ s: SecretsService, _ r: ValidateResourcePolicyRequest, _ c: RequestContext) throws -> ValidateResourcePolicyResponse {
            try s.validateResourcePolicy(r, c)
        }
    }

    public enum ReplicateSecretToRegions: SecretsOperation {
        public static let name = "ReplicateSecretToRegions"
        public static func perform(_ s: SecretsService, _ r: ReplicateSecretToRegionsRequest, _ c: RequestContext) throws -> ReplicationResponse {
            try s.replicateSecretToRegions(r, c)
        }
    }

    public enum RemoveRegionsFromReplication: SecretsOperation {
        public static let name = "RemoveRegionsFromReplication"
        public static func perform(_ s: SecretsService, _ r: RemoveRegionsFromReplicationRequest, _ c: RequestContext) throws -> ReplicationResponse {
            try s.removeRegionsFromReplication(r, c)
        }
    }

    public enum StopReplicationToReplica: SecretsOperation {
        public static let name = "StopReplicationToReplica"
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> StopReplicationToReplicaResponse {
            try s.stopReplicationToReplica(r, c)
        }
    }

    /// Every operation, for dispatch tables: all 23 of the service model.
    public static let all: [any SecretsOperation.Type] = [
        CreateSecret.self, GetSecretValue.self, PutSecretValue.self, UpdateSecret.self, UpdateSecretVersionStage.self,
        DescribeSecret.self, ListSecrets.self, ListSecretVersionIds.self, DeleteSecret.self, RestoreSecret.self,
        TagResource.self, UntagResource.self, BatchGetSecretValue.self, GetRandomPassword.self, RotateSecret.self,
        CancelRotateSecret.self, PutResourcePolicy.self, GetResourcePolicy.self, DeleteResourcePolicy.self,
        ValidateResourcePolicy.self, ReplicateSecretToRegions.self, RemoveRegionsFromReplication.self,
        StopReplicationToReplica.self,
    ]
}

/// Sejf's own operations, on the same endpoint and SigV4 signature as AWS's, under the
/// `X-Amz-Target` prefix `sejf.`. An AWS endpoint answers them with `UnknownOperationException`.
public enum SejfOperations {
    /// Records `sejf render`/`sejf run` uses of secret versions in the audit trail and returns the
    /// environment's checksum key.
    public enum RecordUse: SecretsOperation {
        public static let name = "RecordUse"
        public static let target = "sejf.RecordUse"
        public static func perform(_ s: SecretsService, _ r: RecordUseRequest, _ c: RequestContext) throws -> RecordUseResponse {
            try s.recordUse(r, c)
        }
    }

    /// `sejf rollback`: makes `AWSPREVIOUS` current again through the rotator (see
    /// ``SecretsService/rollbackSecret(_:_:)``).
    public enum RollbackSecret: SecretsOperation {
        public static let name = "RollbackSecret"
        public static let target = "sejf.RollbackSecret"
        public static func perform(_ s: SecretsService, _ r: SecretIdRequest, _ c: RequestContext) throws -> RotationResponse {
            try s.rollbackSecret(r, c)
        }
    }

    public static let all: [any SecretsOperation.Type] = [RecordUse.self, RollbackSecret.self]
}

/// How the CLI reaches the operations: in-process (embedded) or over HTTP (remote).
public protocol SecretsAPI {
    func call<Operation: SecretsOperation>(_ operation: Operation.Type, _ request: Operation.Request) throws -> Operation.Response
}

/// The embedded API: the service in this process, acting for a fixed caller and environment.
public struct EmbeddedSecretsAPI: SecretsAPI {
    public let service: SecretsService
    public let context: RequestContext

    public init(service: SecretsService, context: RequestContext) {
        self.service = service
        self.context = context
    }

    /// Each call is its own request, with its own request id.
    public func call<Operation: SecretsOperation>(_ operation: Operation.Type, _ request: Operation.Request) throws -> Operation.Response {
        var context = context
        context.requestId = randomUUIDString()
        return try Operation.perform(service, request, context)
    }
}
