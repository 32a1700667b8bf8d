import Foundation
import SejfCrypto
import SejfCore

/// Who is calling, from where, in which environment: the seam through which authorization and
/// audit see every request. The embedded CLI builds one for the local operator; the server builds
/// one per HTTP request from the verified SigV4 signature.
public struct RequestContext: Sendable {
    /// The environment (the AWS region of the request).
    public var environment: EnvironmentName
    /// The authenticated principal.
    public var principal: Principal
    /// The access key that signed the request, if any.
    public var accessKeyId: String?
    /// Client address (`local` for the embedded CLI).
    public var sourceAddress: String
    public var userAgent: String
    /// A unique id per request, echoed to clients and written to the audit trail.
    public var requestId: String

    public init(environment: EnvironmentName, principal: Principal, accessKeyId: String? = nil,
                sourceAddress: String, userAgent: String, requestId: String = randomUUIDString()) {
        self.environment = environment
        self.principal = principal
        self.accessKeyId = accessKeyId
        self.sourceAddress = sourceAddress
        self.userAgent = userAgent
        self.requestId = requestId
    }

    /// The local operator using the embedded CLI on this machine.
    public static func localOperator(environment: EnvironmentName, userAgent: String = "sejf-cli") -> RequestContext {
        RequestContext(environment: environment, principal: .localOperator, sourceAddress: "local", userAgent: userAgent)
    }
}

/// A user or service account. What it may do comes from its bindings, for every caller alike.
public struct Principal: Sendable, Equatable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    /// The operator of the embedded CLI: the `admin` principal that `sejf init` creates and binds
    /// to the `admin` role (change that binding to make the local operator anything else).
    public static let localOperator = Principal(name: "admin")
}

/// The AWS action names, as authorization and audit will see them.
public enum Action: String, Sendable, CaseIterable {
    case createSecret = "secretsmanager:CreateSecret"
    case getSecretValue = "secretsmanager:GetSecretValue"
    case putSecretValue = "secretsmanager:PutSecretValue"
    case updateSecret = "secretsmanager:UpdateSecret"
    case updateSecretVersionStage = "secretsmanager:UpdateSecretVersionStage"
    case describeSecret = "secretsmanager:DescribeSecret"
    case listSecrets = "secretsmanager:ListSecrets"
    case listSecretVersionIds = "secretsmanager:ListSecretVersionIds"
    case deleteSecret = "secretsmanager:DeleteSecret"
    case restoreSecret = "secretsmanager:RestoreSecret"
    case tagResource = "secretsmanager:TagResource"
    case untagResource = "secretsmanager:UntagResource"
    case batchGetSecretValue = "secretsmanager:BatchGetSecretValue"
    case getRandomPassword = "secretsmanager:GetRandomPassword"
    case rotateSecret = "secretsmanager:RotateSecret"
    case cancelRotateSecret = "secretsmanager:CancelRotateSecret"
    case putResourcePolicy = "secretsmanager:PutResourcePolicy"
    case getResourcePolicy = "secretsmanager:GetResourcePolicy"
    case deleteResourcePolicy = "secretsmanager:DeleteResourcePolicy"
    case validateResourcePolicy = "secretsmanager:ValidateResourcePolicy"
    case replicateSecretToRegions = "secretsmanager:ReplicateSecretToRegions"
    case removeRegionsFromReplication = "secretsmanager:RemoveRegionsFromReplication"
    case stopReplicationToReplica = "secretsmanager:StopReplicationToReplica"
    /// `sejf render` used a secret version it read (see ``SejfOperations/RecordUse``).
    case render = "sejf:Render"
    /// `sejf run` put a secret version it read into a command's environment.
    case run = "sejf:Run"

    /// The action authorization decides on: using a value for `sejf render` or `sejf run` needs
    /// exactly the permission to read it; every other action is its own.
    public var authorizedAs: Action {
        switch self {
        case .render, .run: .getSecretValue
        default: self
        }
    }
}
