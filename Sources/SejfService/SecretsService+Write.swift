import Foundation
import SejfCore
import SejfStore

extension SecretsService {
    /// `CreateSecret`: a new secret, with a first version when a value is given.
    public func createSecret(_ request: CreateSecretRequest, _ context: RequestContext) throws -> CreateSecretResponse {
        try SecretName.validate(request.Name)
        try Self.validate(token: request.ClientRequestToken)
        if let description = request.Description { try SecretDescription.validate(description) }
        if let kms = request.KmsKeyId { try SejfError.checkLength("kmsKeyId", kms.count, max: 2048) }
        let tags = request.Tags ?? []
        try TagRules.validate(tags)
        if let type = request.Type { try SejfError.checkLength("type", type.count, max: 256) }
        if let regions = request.AddReplicaRegions { try SejfError.checkLength("addReplicaRegions", regions.count, min: 1, max: 50) }
        let value = try SecretValue.from(string: request.SecretString, binary: request.SecretBinary.map { [UInt8]($0) })

        return try perform(.createSecret, context) { scope in
            try store.write { writer in
                try requireEnvironment(context.environment, in: writer)
                _ = try writer.purgeExpiredSecrets(now: clock())
                if var existing = try writer.secret(.name(request.Name), in: context.environment) {
                    try authorize(scope, Self.facts(existing), in: writer)
                    let response = try createAgain(request, value: value, existing: &existing, in: writer)
                    scope.versionId = response.VersionId
                    try auditInTransaction(scope, writer)
                    return response
                }
                let arn = SecretARN(environment: context.environment, account: try writer.accountId(), name: request.Name,
                                    suffix: SecretARN.randomSuffix { Int.random(in: 0..<$0) })
                try authorize(scope, SecretFacts(arn: arn, tags: tags), in: writer)
                var secret = try writer.insertSecret(NewSecret(arn: arn, description: request.Description,
                                                               kmsKeyId: request.KmsKeyId, tags: tags, createdAt: clock()))
                let version = try value.map {
                    try addVersion($0, token: request.ClientRequestToken, stages: nil, to: &secret, in: writer)
                }
                let replication = try request.AddReplicaRegions.map {
                    try addReplicas($0, of: secret, overwrite: request.ForceOverwriteReplicaSecret ?? false, in: writer)
                }
                scope.version(version)
                try auditInTransaction(scope, writer)
                return CreateSecretResponse(ARN: arn.description, Name: request.Name, VersionId: version?.id, ReplicationStatus: replication)
            }
        }
    }

    /// A `CreateSecret` retried with the same token and value succeeds without a new version.
    private func createAgain(_ request: CreateSecretRequest, value: SecretValue?, existing: inout SecretRecord,
                             in writer: any SecretStoreWriter) throws -> CreateSecretResponse {
        if existing.deletion != nil {
            throw SejfError(.invalidRequest,
                "You can't create this secret because a secret with this name is already scheduled for deletion.")
        }
        guard let token = request.ClientRequestToken, let value, try writer.versions(of: existing).version(id: token) != nil else {
            throw SejfError(.resourceExists, "The operation failed because the secret \(request.Name) already exists.")
        }
        let version = try addVersion(value, token: token, stages: nil, to: &existing, in: writer)
        return CreateSecretResponse(ARN: existing.arn.description, Name: existing.name, VersionId: version.id)
    }

    /// `PutSecretValue`: a new version, `AWSCURRENT` unless other labels are given.
    public func putSecretValue(_ request: PutSecretValueRequest, _ context: RequestContext) throws -> PutSecretValueResponse {
        try Self.validate(token: request.ClientRequestToken)
        if let stages = request.VersionStages { try StagingLabels.validate(stages: stages) }
        if let token = request.RotationToken {
            try SejfError.checkLength("rotationToken", token.count, min: 36, max: 256)
            guard token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw SejfError.constraint("rotationToken", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-]+$")
            }
        }
        guard let value = try SecretValue.from(string: request.SecretString, binary: request.SecretBinary.map { [UInt8]($0) }) else {
            throw SejfError(.invalidParameter, "You must provide either SecretString or SecretBinary.")
        }
        return try perform(.putSecretValue, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                let version = try addVersion(value, token: request.ClientRequestToken, stages: request.VersionStages,
                                             to: &secret, in: writer)
                scope.version(version)
                return PutSecretValueResponse(ARN: secret.arn.description, Name: secret.name, VersionId: version.id,
                                              VersionStages: version.stages)
            }
        }
    }

    /// `UpdateSecret`: new description or KMS key id, and a new `AWSCURRENT` version when a value is given.
    public func updateSecret(_ request: UpdateSecretRequest, _ context: RequestContext) throws -> UpdateSecretResponse {
        try Self.validate(token: request.ClientRequestToken)
        if let description = request.Description { try SecretDescription.validate(description) }
        if let kms = request.KmsKeyId { try SejfError.checkLength("kmsKeyId", kms.count, max: 2048) }
        if let type = request.Type { try SejfError.checkLength("type", type.count, max: 256) }
        let value = try SecretValue.from(string: request.SecretString, binary: request.SecretBinary.map { [UInt8]($0) })
        return try perform(.updateSecret, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                if request.Description != nil || request.KmsKeyId != nil {
                    secret.description = request.Description ?? secret.description
                    secret.kmsKeyId = request.KmsKeyId ?? secret.kmsKeyId
                    secret.lastChangedAt = clock()
                    try writer.updateSecret(secret)
                }
                let version = try value.map { try addVersion($0, token: request.ClientRequestToken, stages: nil, to: &secret, in: writer) }
                scope.version(version)
                return UpdateSecretResponse(ARN: secret.arn.description, Name: secret.name, VersionId: version?.id)
            }
        }
    }

    /// `UpdateSecretVersionStage`: attach, move or remove a staging label.
    public func updateSecretVersionStage(_ request: UpdateSecretVersionStageRequest, _ context: RequestContext) throws -> SecretReference {
        for id in [request.RemoveFromVersionId, request.MoveToVersionId].compactMap({ $0 }) {
            try VersionToken.validate(id, member: "versionId")
        }
        return try perform(.updateSecretVersionStage, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                var labels = try writer.versions(of: secret)
                try labels.updateStage(request.VersionStage, removeFrom: request.RemoveFromVersionId, moveTo: request.MoveToVersionId)
                scope.versionId = request.MoveToVersionId ?? request.RemoveFromVersionId
                scope.versionStages = [request.VersionStage]
                try writer.saveVersions(labels, of: secret)
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
                return SecretReference(ARN: secret.arn.description, Name: secret.name)
            }
        }
    }

    /// `DeleteSecret`: schedule deletion after a 7–30 day recovery window, or purge now.
    public func deleteSecret(_ request: DeleteSecretRequest, _ context: RequestContext) throws -> DeleteSecretResponse {
        let deletion = try DeletionRequest(recoveryWindowInDays: request.RecoveryWindowInDays,
                                           forceDeleteWithoutRecovery: request.ForceDeleteWithoutRecovery)
        return try perform(.deleteSecret, context) { scope in
            try changeSecret(request.SecretId, scope, whenDeleted: .allow) { writer, secret in
                let now = clock()
                switch deletion {
                case .immediate:
                    try requireNoReplicas(secret, in: writer)
                    try writer.purgeSecret(secret)
                    return DeleteSecretResponse(ARN: secret.arn.description, Name: secret.name, DeletionDate: now)
                case .scheduled(let days):
                    if secret.deletion != nil {
                        throw SejfError(.invalidRequest,
                            "You can't perform this operation on the secret because it was already scheduled for deletion.")
                    }
                    try requireNoReplicas(secret, in: writer)
                    let state = DeletionState(deletedAt: now, purgeAt: now + Double(days) * 86_400)
                    secret.deletion = state
                    try writer.updateSecret(secret)
                    return DeleteSecretResponse(ARN: secret.arn.description, Name: secret.name, DeletionDate: state.purgeAt)
                }
            }
        }
    }

    /// `RestoreSecret`: cancel a scheduled deletion.
    public func restoreSecret(_ request: SecretIdRequest, _ context: RequestContext) throws -> SecretReference {
        try perform(.restoreSecret, context) { scope in
            try changeSecret(request.SecretId, scope, whenDeleted: .allow) { writer, secret in
                if secret.deletion != nil {
                    secret.deletion = nil
                    secret.lastChangedAt = clock()
                    try writer.updateSecret(secret)
                }
                return SecretReference(ARN: secret.arn.description, Name: secret.name)
            }
        }
    }

    /// `TagResource`: add tags or change their values.
    public func tagResource(_ request: TagResourceRequest, _ context: RequestContext) throws {
        try TagRules.validate(request.Tags)
        try perform(.tagResource, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                secret.tags = try TagRules.merge(secret.tags, adding: request.Tags)
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
            }
        }
    }

    /// `UntagResource`: remove tags by key (absent keys are ignored, as in AWS).
    public func untagResource(_ request: UntagResourceRequest, _ context: RequestContext) throws {
        for key in request.TagKeys { try SejfError.checkLength("tagKeys.member", key.count, min: 1, max: 128) }
        try perform(.untagResource, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                secret.tags.removeAll { request.TagKeys.contains($0.key) }
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
            }
        }
    }
}
