import Foundation
import SejfCore

/// One request on its way through ``SecretsService/perform(_:_:_:)``: what authorization
/// decided and what the audit event will say. Used by one thread at a time.
final class RequestScope: @unchecked Sendable {
    let action: Action
    let context: RequestContext
    /// Set by ``SecretsService/authorize(_:_:in:)``; an operation that returns without it is a bug.
    var isAuthorized = false
    /// Set once the signing access key was confirmed active in a transaction of this request.
    var isAccessKeyConfirmed = false
    /// Set when the event was written in the operation's own transaction.
    var isAudited = false
    var secretARN: String?
    var versionId: String?
    var versionStages: [String] = []

    init(action: Action, context: RequestContext) {
        self.action = action
        self.context = context
    }

    /// Records which version was read or written.
    func version(_ summary: VersionSummary?) {
        versionId = summary?.id
        versionStages = summary?.stages ?? []
    }

    /// The audit event of this request; `failure` makes it a denial or an error.
    func event(at time: Double, failure: SejfError?) -> AuditEvent {
        AuditEvent(
            time: AuditTime(secondsSince1970: time), environment: context.environment.rawValue, principal: context.principal.name,
            accessKeyId: context.accessKeyId, action: action.rawValue, secretArn: secretARN, versionId: versionId,
            versionStages: versionStages,
            outcome: failure == nil ? .allowed : (failure?.code == .accessDenied ? .denied : .error),
            errorCode: failure?.code.rawValue, sourceAddress: context.sourceAddress, userAgent: context.userAgent,
            requestId: context.requestId)
    }
}
