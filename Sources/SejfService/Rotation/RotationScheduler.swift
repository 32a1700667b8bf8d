import Foundation
import SejfCore
import SejfStore

/// One attempt of the scheduler: which secret, and how it ended.
public struct ScheduledRotation: Sendable {
    public var environment: EnvironmentName
    public var secretARN: String
    public var outcome: Result<RotationResult, SejfError>
}

extension SecretsService {
    /// Who scheduled rotations run as (created by the store's migrations, with no access key).
    public static let schedulerPrincipal = Principal(name: "sejf-scheduler")

    /// Rotates, one at a time, every secret whose rotation is due by the clock's now (and resumes
    /// every interrupted rotation whose retry time has come). A failure is recorded on the secret
    /// with a retry time that backs off, and does not stop the others.
    public func rotateDueSecrets() -> [ScheduledRotation] {
        let due: [SecretRecord]
        do {
            due = try store.read { try $0.secretsDueForRotation(by: clock()) }
        } catch {
            return []
        }
        return due.map { secret in
            let context = RequestContext(environment: secret.environment, principal: Self.schedulerPrincipal,
                                         sourceAddress: "local", userAgent: "sejf-scheduler")
            let kind = (try? store.read { try $0.rotationProgress(of: secret) })??.kind ?? .rotate
            do {
                let result = try runRotation(secret.arn.description, token: nil, kind: kind, context: context)
                return ScheduledRotation(environment: secret.environment, secretARN: secret.arn.description, outcome: .success(result))
            } catch {
                let failure = error as? SejfError ?? SejfError(.internalServiceError, "\(error)")
                return ScheduledRotation(environment: secret.environment, secretARN: secret.arn.description, outcome: .failure(failure))
            }
        }
    }

    /// `sejf rollback`: makes the `AWSPREVIOUS` version current again, after the rotator's
    /// `setSecret` and `testSecret` made the target system agree with it. Needs RotateSecret on
    /// the secret.
    public func rollbackSecret(_ request: SecretIdRequest, _ context: RequestContext) throws -> RotationResponse {
        let arn = try perform(.rotateSecret, context) { scope in
            try store.read { reader in try authorizedSecret(request.SecretId, scope, in: reader).arn.description }
        }
        let result = try runRotation(arn, token: nil, kind: .rollback, context: context)
        return RotationResponse(ARN: result.ARN, Name: result.Name, VersionId: result.VersionId)
    }
}
