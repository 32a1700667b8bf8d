import Foundation
import SejfCore
import SejfCrypto
import SejfStore

// Rotation settings, resource policies, random passwords and batch reads.

/// AWS's `RotationRules` structure.
public struct RotationRulesShape: Codable, Sendable, Equatable {
    public var AutomaticallyAfterDays: Int?
    public var Duration: String?
    public var ScheduleExpression: String?

    public init(AutomaticallyAfterDays: Int? = nil, Duration: String? = nil, ScheduleExpression: String? = nil) {
        self.AutomaticallyAfterDays = AutomaticallyAfterDays
        self.Duration = Duration
        self.ScheduleExpression = ScheduleExpression
    }

    func schedule() throws -> RotationSchedule {
        try RotationRules.validate(automaticallyAfterDays: AutomaticallyAfterDays, duration: Duration, scheduleExpression: ScheduleExpression)
    }
}

/// One `ExternalSecretRotationMetadata` entry (for partner-managed rotation; validated, stored nowhere).
public struct ExternalSecretRotationMetadataItem: Codable, Sendable, Equatable {
    public var Key: String?
    public var Value: String?
}

public struct RotateSecretRequest: Codable, Sendable {
    public var SecretId: String
    public var ClientRequestToken: String?
    public var RotationLambdaARN: String?
    public var RotationRules: RotationRulesShape?
    public var RotateImmediately: Bool?
    public var ExternalSecretRotationMetadata: [ExternalSecretRotationMetadataItem]?
    public var ExternalSecretRotationRoleArn: String?

    public init(SecretId: String, ClientRequestToken: String? = nil, RotationLambdaARN: String? = nil,
                RotationRules: RotationRulesShape? = nil, RotateImmediately: Bool? = nil) {
        self.SecretId = SecretId
        self.ClientRequestToken = ClientRequestToken
        self.RotationLambdaARN = RotationLambdaARN
        self.RotationRules = RotationRules
        self.RotateImmediately = RotateImmediately
    }
}

/// The `{ARN, Name, VersionId}` answer of RotateSecret and CancelRotateSecret.
public struct RotationResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var VersionId: String?
}

public struct PutResourcePolicyRequest: Codable, Sendable {
    public var SecretId: String
    public var ResourcePolicy: String
    public var BlockPublicPolicy: Bool?

    public init(SecretId: String, ResourcePolicy: String, BlockPublicPolicy: Bool? = nil) {
        self.SecretId = SecretId
        self.ResourcePolicy = ResourcePolicy
        self.BlockPublicPolicy = BlockPublicPolicy
    }
}

public struct GetResourcePolicyResponse: Codable, Sendable, Equatable {
    public var ARN: String
    public var Name: String
    public var ResourcePolicy: String?
}

public struct ValidateResourcePolicyRequest: Codable, Sendable {
    public var SecretId: String?
    public var ResourcePolicy: String

    public init(SecretId: String? = nil, ResourcePolicy: String) {
        self.SecretId = SecretId
        self.ResourcePolicy = ResourcePolicy
    }
}

public struct ValidationErrorsEntry: Codable, Sendable, Equatable {
    public var CheckName: String?
    public var ErrorMessage: String?
}

public struct ValidateResourcePolicyResponse: Codable, Sendable, Equatable {
    public var PolicyValidationPassed: Bool
    public var ValidationErrors: [ValidationErrorsEntry]
}

public struct GetRandomPasswordRequest: Codable, Sendable {
    public var PasswordLength: Int?
    public var ExcludeCharacters: String?
    public var ExcludeNumbers: Bool?
    public var ExcludePunctuation: Bool?
    public var ExcludeUppercase: Bool?
    public var ExcludeLowercase: Bool?
    public var IncludeSpace: Bool?
    public var RequireEachIncludedType: Bool?

    public init(PasswordLength: Int? = nil, ExcludeCharacters: String? = nil, ExcludeNumbers: Bool? = nil,
                ExcludePunctuation: Bool? = nil, ExcludeUppercase: Bool? = nil, ExcludeLowercase: Bool? = nil,
                IncludeSpace: Bool? = nil, RequireEachIncludedType: Bool? = nil) {
        self.PasswordLength = PasswordLength
        self.ExcludeCharacters = ExcludeCharacters
        self.ExcludeNumbers = ExcludeNumbers
        self.ExcludePunctuation = ExcludePunctuation
        self.ExcludeUppercase = ExcludeUppercase
        self.ExcludeLowercase = ExcludeLowercase
        self.IncludeSpace = IncludeSpace
        self.RequireEachIncludedType = RequireEachIncludedType
    }
}

public struct GetRandomPasswordResponse: Codable, Sendable, Equatable {
    public var RandomPassword: String
}

public struct BatchGetSecretValueRequest: Codable, Sendable {
    public var SecretIdList: [String]?
    public var Filters: [SecretFilter]?
    public var MaxResults: Int?
    public var NextToken: String?

    public init(SecretIdList: [String]? = nil, Filters: [SecretFilter]? = nil, MaxResults: Int? = nil, NextToken: String? = nil) {
        self.SecretIdList = SecretIdList
        self.Filters = Filters
        self.MaxResults = MaxResults
        self.NextToken = NextToken
    }
}

/// One `Errors` entry of BatchGetSecretValue.
public struct APIErrorEntry: Codable, Sendable, Equatable {
    public var SecretId: String?
    public var ErrorCode: String?
    public var Message: String?
}

public struct BatchGetSecretValueResponse: Codable, Sendable, Equatable {
    /// Each entry has GetSecretValue's members.
    public var SecretValues: [GetSecretValueResponse]
    public var NextToken: String?
    public var Errors: [APIErrorEntry]
}

extension SecretsService {
    /// `RotateSecret`: stores the rotator and schedule when given (turning rotation on), then,
    /// unless `RotateImmediately` is false, runs the rotation now, to the end: the answer's
    /// `VersionId` is the new `AWSCURRENT`. Unlike AWS, which starts its Lambda and answers at once,
    /// Sejf answers when the rotation has finished, or with the error that stopped it (the labels
    /// unchanged; the next attempt resumes at that step). A rotation in progress is resumed.
    public func rotateSecret(_ request: RotateSecretRequest, _ context: RequestContext) throws -> RotationResponse {
        try Self.validate(token: request.ClientRequestToken)
        if let arn = request.RotationLambdaARN {
            try RotationRules.validate(rotationLambdaARN: arn)
            _ = try rotators.rotator(named: arn, in: context.environment)
        }
        for item in request.ExternalSecretRotationMetadata ?? [] {
            try SejfError.checkLength("externalSecretRotationMetadata.member.key", item.Key?.count ?? 0, min: 1, max: 256)
            try SejfError.checkLength("externalSecretRotationMetadata.member.value", item.Value?.count ?? 0, min: 1, max: 2048)
        }
        if let role = request.ExternalSecretRotationRoleArn {
            try SejfError.checkLength("externalSecretRotationRoleArn", role.count, min: 20, max: 2048)
        }
        let schedule = try request.RotationRules.map { try $0.schedule() }
        let configured = try perform(.rotateSecret, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                guard let rotator = request.RotationLambdaARN ?? secret.rotation.rotatorARN else {
                    throw SejfError(.invalidRequest,
                        "No Lambda rotation function ARN is associated with this secret; give RotationLambdaARN.")
                }
                if let rules = request.RotationRules ?? secret.rotation.rulesJSON.flatMap(Self.decodeRules) {
                    let activeSchedule = try schedule ?? rules.schedule()
                    secret.rotation.enabled = true
                    secret.rotation.rulesJSON = Self.encodeRules(rules)
                    secret.rotation.nextRotationAt = activeSchedule.nextRotation(after: secret.rotation.lastRotatedAt ?? clock())
                } else if request.RotateImmediately == false {
                    throw SejfError(.invalidParameter, "RotationRules are required the first time rotation is configured.")
                }
                secret.rotation.rotatorARN = rotator
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
                return SecretReference(ARN: secret.arn.description, Name: secret.name)
            }
        }
        guard request.RotateImmediately ?? true else {
            return RotationResponse(ARN: configured.ARN, Name: configured.Name, VersionId: nil)
        }
        let result = try runRotation(configured.ARN, token: request.ClientRequestToken, kind: .rotate, context: context)
        return RotationResponse(ARN: result.ARN, Name: result.Name, VersionId: result.VersionId)
    }

    /// `CancelRotateSecret`: turns automatic rotation off (the rotator and rules are kept) and
    /// abandons a rotation that has not finished.
    public func cancelRotateSecret(_ request: SecretIdRequest, _ context: RequestContext) throws -> RotationResponse {
        try perform(.cancelRotateSecret, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                guard secret.rotation.rotatorARN != nil else {
                    throw SejfError(.invalidRequest,
                        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.")
                }
                secret.rotation.enabled = false
                secret.rotation.nextRotationAt = nil
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
                try writer.saveRotationProgress(nil, of: secret)  // an unfinished rotation is abandoned; AWSPENDING stays, as in AWS
                let pending = try writer.versions(of: secret).version(withStage: StagingLabels.pending)
                return RotationResponse(ARN: secret.arn.description, Name: secret.name, VersionId: pending?.id)
            }
        }
    }

    /// `PutResourcePolicy`: stores a validated IAM policy; with `BlockPublicPolicy`, refuses a public one.
    public func putResourcePolicy(_ request: PutResourcePolicyRequest, _ context: RequestContext) throws -> SecretReference {
        _ = try ResourcePolicy.forPut(request.ResourcePolicy, blockPublicPolicy: request.BlockPublicPolicy ?? false)
        return try perform(.putResourcePolicy, context) { scope in
            try changeSecret(request.SecretId, scope) { writer, secret in
                secret.resourcePolicy = request.ResourcePolicy
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
                return SecretReference(ARN: secret.arn.description, Name: secret.name)
            }
        }
    }

    public func getResourcePolicy(_ request: SecretIdRequest, _ context: RequestContext) throws -> GetResourcePolicyResponse {
        try perform(.getResourcePolicy, context) { scope in
            try store.read { reader in
                let secret = try authorizedSecret(request.SecretId, scope, in: reader)
                return GetResourcePolicyResponse(ARN: secret.arn.description, Name: secret.name, ResourcePolicy: secret.resourcePolicy)
            }
        }
    }

    public func deleteResourcePolicy(_ request: SecretIdRequest, _ context: RequestContext) throws -> SecretReference {
        try perform(.deleteResourcePolicy, context) { scope in
            try changeSecret(request.SecretId, scope, whenDeleted: .allow) { writer, secret in
                secret.resourcePolicy = nil
                secret.lastChangedAt = clock()
                try writer.updateSecret(secret)
                return SecretReference(ARN: secret.arn.description, Name: secret.name)
            }
        }
    }

    /// `ValidateResourcePolicy`: the findings of the syntax and public-access checks.
    public func validateResourcePolicy(_ request: ValidateResourcePolicyRequest, _ context: RequestContext) throws -> ValidateResourcePolicyResponse {
        try perform(.validateResourcePolicy, context) { scope in
            try store.read { reader in
                if let secretId = request.SecretId {
                    _ = try authorizedSecret(secretId, scope, in: reader)
                } else {
                    try authorize(scope, nil, in: reader)
                }
            }
            let validation = try ResourcePolicy.validate(request.ResourcePolicy)
            return ValidateResourcePolicyResponse(
                PolicyValidationPassed: validation.passed,
                ValidationErrors: validation.errors.map { ValidationErrorsEntry(CheckName: $0.checkName, ErrorMessage: $0.errorMessage) })
        }
    }

    /// `GetRandomPassword`, with libsodium's uniform random numbers.
    public func getRandomPassword(_ request: GetRandomPasswordRequest, _ context: RequestContext) throws -> GetRandomPasswordResponse {
        let rules = PasswordRequest(
            passwordLength: request.PasswordLength, excludeCharacters: request.ExcludeCharacters, excludeNumbers: request.ExcludeNumbers,
            excludePunctuation: request.ExcludePunctuation, excludeUppercase: request.ExcludeUppercase,
            excludeLowercase: request.ExcludeLowercase, includeSpace: request.IncludeSpace,
            requireEachIncludedType: request.RequireEachIncludedType)
        return try perform(.getRandomPassword, context) { scope in
            try store.read { try authorize(scope, nil, in: $0) }
            return GetRandomPasswordResponse(RandomPassword: try PasswordRules.generate(rules) { Int(randomUniform(UInt32($0))) })
        }
    }

    /// `BatchGetSecretValue`: up to 20 secrets by id, or a page of the secrets matching filters.
    /// Each secret is read as GetSecretValue reads it; one that cannot be read is reported in
    /// `Errors` and does not fail the others.
    public func batchGetSecretValue(_ request: BatchGetSecretValueRequest, _ context: RequestContext) throws -> BatchGetSecretValueResponse {
        switch (request.SecretIdList, request.Filters) {
        case (.some, .some), (nil, nil):
            throw SejfError(.invalidParameter, "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        case (.some(let ids), nil):
            try SejfError.checkLength("secretIdList", ids.count, min: 1, max: 20)
            for id in ids { try SejfError.checkLength("secretIdList.member", id.count, min: 1, max: 2048) }
            if request.MaxResults != nil {
                throw SejfError(.invalidParameter, "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
            }
            return try perform(.batchGetSecretValue, context) { scope in
                try store.read { try authorize(scope, nil, in: $0) }
                return try readEach(ids, next: nil, context)
            }
        case (nil, .some(let filters)):
            let maxResults = request.MaxResults ?? 20
            guard (1...20).contains(maxResults) else {
                throw SejfError.constraint("maxResults", "Member must have value between 1 and 20")
            }
            return try perform(.batchGetSecretValue, context) { scope in
                try store.read { try authorize(scope, nil, in: $0) }
                let page = try listSecrets(ListSecretsRequest(MaxResults: maxResults, NextToken: request.NextToken, Filters: filters), context)
                return try readEach(page.SecretList.map(\.ARN), next: page.NextToken, context)
            }
        }
    }

    /// Reads each secret as its own `GetSecretValue` — authorized, and audited with an event of its
    /// own, as AWS records them — but in one read transaction, with all the events made durable
    /// in one commit before any value is returned. A secret that cannot be read is an entry in
    /// `Errors`; a batch whose events cannot be written is refused as a whole.
    private func readEach(_ ids: [String], next: String?, _ context: RequestContext) throws -> BatchGetSecretValueResponse {
        let scopes = ids.map { _ in RequestScope(action: .getSecretValue, context: context) }
        let outcomes = try store.read { reader in
            zip(ids, scopes).map { id, scope in
                Result { try readValue(GetSecretValueRequest(SecretId: id), scope, in: reader) }.mapError { error in
                    error as? SejfError ?? SejfError(.internalServiceError, "An internal error occurred.")
                }
            }
        }
        let now = clock()
        let events = zip(scopes, outcomes).map { scope, outcome in
            switch outcome {
            case .success:
                precondition(scope.isAuthorized, "a batch read acted without an authorization check")
                return scope.event(at: now, failure: nil)
            case .failure(let error):
                return scope.event(at: now, failure: error)
            }
        }
        do {
            try audit.record(events)
        } catch {
            throw SejfError.unaudited(error)
        }
        var values: [GetSecretValueResponse] = []
        var errors: [APIErrorEntry] = []
        for (id, outcome) in zip(ids, outcomes) {
            switch outcome {
            case .success(let (value, _)): values.append(value)
            case .failure(let error): errors.append(APIErrorEntry(SecretId: id, ErrorCode: error.code.rawValue, Message: error.message))
            }
        }
        noteAccess(to: outcomes.compactMap { try? $0.get().1 }, context)
        return BatchGetSecretValueResponse(SecretValues: values, NextToken: next, Errors: errors)
    }

    static func encodeRules(_ rules: RotationRulesShape) -> String {
        String(decoding: (try? JSONEncoder().encode(rules)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decodeRules(_ json: String) -> RotationRulesShape? {
        try? JSONDecoder().decode(RotationRulesShape.self, from: Data(json.utf8))
    }
}
