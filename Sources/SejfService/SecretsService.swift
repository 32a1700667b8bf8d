import Foundation
import SejfCrypto
import Synchronization
import SejfCore
import SejfStore

/// The operations on secrets, as one API for the server and the embedded CLI.
///
/// Every operation runs through ``perform(_:_:_:)``: the caller is already authenticated (the
/// server verified SigV4; the embedded CLI is the local operator); the operation authorizes
/// against the secret it touches; the outcome is audited. Rules come from `SejfCore`; this type
/// only sequences them.
public final class SecretsService: Sendable {
    let store: any SecretStore
    let clock: @Sendable () -> Double
    let audit: AuditTrail
    /// The rotators `RotationLambdaARN` may name.
    let rotators: RotatorCatalog
    /// When this process last recorded each access key's use.
    let accessKeyUses = Mutex<[String: Double]>([:])

    /// - Parameters:
    ///   - store: where secrets live.
    ///   - clock: seconds since 1970 (injectable so tests can move time).
    ///   - rotators: the rotators beyond `sejf:random` (PostgreSQL, hooks).
    public init(store: any SecretStore, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                rotators: RotatorCatalog = RotatorCatalog()) {
        self.store = store
        self.clock = clock
        self.rotators = rotators
        self.audit = AuditTrail(store: store)
    }

    /// The request pipeline, in one place:
    ///
    /// 1. the body finds the secret and calls ``authorize(_:_:in:)`` (RBAC and the resource
    ///    policy: explicit deny wins, then any allow, else deny) before it acts;
    /// 2. the body acts; a change writes its audit event in its own transaction;
    /// 3. a read's event is made durable (group commit) before the value is returned — a read
    ///    that cannot be audited is not served;
    /// 4. a denial or failure is audited too, and rethrown.
    func perform<T>(_ action: Action, _ context: RequestContext, _ body: (RequestScope) throws -> T) throws -> T {
        let scope = RequestScope(action: action, context: context)
        let result: T
        do {
            result = try body(scope)
            precondition(scope.isAuthorized, "\(action.rawValue) acted without an authorization check")
        } catch let error as SejfError {
            _ = try? audit.record(scope.event(at: clock(), failure: error))
            throw error
        }
        if !scope.isAudited {
            do {
                try audit.record(scope.event(at: clock(), failure: nil))
            } catch {
                throw SejfError.unaudited(error)
            }
        }
        return result
    }

    /// Decides whether the caller may do the scope's action on `secret` (nil for an account-level
    /// action such as ListSecrets), and records the secret for the audit event.
    /// - Throws: `AccessDeniedException` in AWS's form, naming nothing secret.
    func authorize(_ scope: RequestScope, _ secret: SecretFacts?, in reader: any SecretStoreReader) throws {
        try confirmAccessKey(scope, in: reader)
        scope.secretARN = secret?.arn.description
        let request = try accessRequest(scope, secret, in: reader)
        let decision = try reader.accessControl().decide(request)
        if let denied = decision.accessDeniedError(for: request) { throw denied }
        scope.isAuthorized = true
    }

    /// Confirms, once per request and inside the transaction that serves it, that the access key
    /// that signed the request is still active and still the principal's (the server
    /// authenticated it against metadata that may have changed since).
    private func confirmAccessKey(_ scope: RequestScope, in reader: any SecretStoreReader) throws {
        guard !scope.isAccessKeyConfirmed, let accessKeyId = scope.context.accessKeyId else { return }
        guard try reader.activeAccessKeyPrincipal(accessKeyId) == scope.context.principal.name else { throw SejfError.unrecognizedClient }
        scope.isAccessKeyConfirmed = true
    }

    func accessRequest(_ scope: RequestScope, _ secret: SecretFacts?, in reader: any SecretStoreReader) throws -> AccessRequest {
        AccessRequest(principal: scope.context.principal.name, account: try reader.accountId(), environment: scope.context.environment,
                      action: scope.action.authorizedAs.rawValue, secret: secret, sourceIp: scope.context.sourceAddress, now: clock())
    }

    /// What authorization sees of a stored secret.
    static func facts(_ secret: SecretRecord) -> SecretFacts {
        SecretFacts(arn: secret.arn, tags: secret.tags, resourcePolicy: secret.resourcePolicy.flatMap { try? ResourcePolicy(json: $0) })
    }

    /// The secret `secretId` names, once the caller may act on it. A secret that does not exist
    /// is authorized by its name, so callers cannot probe for names they may not use.
    func authorizedSecret(_ secretId: String, _ scope: RequestScope, in reader: any SecretStoreReader) throws -> SecretRecord {
        do {
            let secret = try findSecret(secretId, scope.context, in: reader)
            try authorize(scope, Self.facts(secret), in: reader)
            return secret
        } catch let error as SejfError where error == .secretNotFound {
            let identifier = try SecretIdentifier(secretId)
            let name = identifier.candidateNames.last ?? secretId
            let placeholder = SecretARN(environment: scope.context.environment, account: try reader.accountId(),
                                        name: name, suffix: "??????")
            try authorize(scope, SecretFacts(arn: placeholder), in: reader)
            scope.secretARN = nil
            throw error
        }
    }

    /// Records the scope's event inside a write transaction, so a change and its audit event
    /// commit together.
    func auditInTransaction(_ scope: RequestScope, _ writer: any SecretStoreWriter) throws {
        _ = try writer.appendAuditEvents([scope.event(at: clock(), failure: nil)])
        scope.isAudited = true
    }

    // MARK: - Shared steps

    /// The secret `secretId` names in the context's environment. A secret whose recovery window
    /// has passed is treated as purged.
    func findSecret(_ secretId: String, _ context: RequestContext, in reader: any SecretStoreReader) throws -> SecretRecord {
        let identifier = try SecretIdentifier(secretId)
        try requireEnvironment(context.environment, in: reader)
        guard let secret = try reader.secret(identifier, in: context.environment),
              !(secret.deletion?.isExpired(at: clock()) ?? false) else {
            throw SejfError.secretNotFound
        }
        return secret
    }

    func requireEnvironment(_ environment: EnvironmentName, in reader: any SecretStoreReader) throws {
        guard try reader.environment(environment) == nil else { return }
        let known = try reader.environments().map(\.name.rawValue).joined(separator: ", ")
        throw SejfError(.resourceNotFound, "Unknown environment '\(environment)'. Known environments: \(known).")
    }

    func requireNotDeleted(_ secret: SecretRecord) throws {
        if secret.deletion != nil { throw SejfError.markedForDeletion }
    }

    /// Whether a change may touch a secret scheduled for deletion.
    enum DeletedSecrets { case refuse, allow }

    /// The write pipeline for one existing secret: find and authorize it; refuse a replica (it
    /// changes only through its primary) and, unless allowed, a secret scheduled for deletion;
    /// apply `change`; bring the replicas in step; write the audit event — all in one transaction.
    func changeSecret<T>(_ secretId: String, _ scope: RequestScope, whenDeleted: DeletedSecrets = .refuse,
                         _ change: (any SecretStoreWriter, inout SecretRecord) throws -> T) throws -> T {
        try store.write { writer in
            var secret = try authorizedSecret(secretId, scope, in: writer)
            if secret.primaryRowId != nil { throw SejfError.operationOnReplica }
            if whenDeleted == .refuse { try requireNotDeleted(secret) }
            let result = try change(writer, &secret)
            try syncReplicas(of: secret, in: writer)
            try auditInTransaction(scope, writer)
            return result
        }
    }

    /// Adds a version with `value`, honouring `ClientRequestToken` idempotency: the same token
    /// with the same value returns the existing version; with another value it is
    /// `ResourceExistsException`.
    func addVersion(_ value: SecretValue, token: String?, stages: [String]?, to secret: inout SecretRecord,
                    in writer: any SecretStoreWriter) throws -> VersionSummary {
        var labels = try writer.versions(of: secret)
        if let token, let existing = labels.version(id: token) {
            guard try writer.value(of: secret, versionId: token) == value else {
                throw SejfError(.resourceExists,
                    "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(secret.arn).")
            }
            return existing
        }
        let now = clock()
        let versionId = token ?? randomUUIDString()
        try labels.addVersion(id: versionId, createdAt: now, stages: stages)
        labels.removeVersions(Set(labels.prunableVersionIds(now: now)))
        try writer.insertVersion(of: secret, id: versionId, createdAt: now, value: value)
        try writer.saveVersions(labels, of: secret)
        secret.lastChangedAt = now
        try writer.updateSecret(secret)
        return labels.version(id: versionId)!
    }

    static func validate(token: String?) throws {
        if let token { try VersionToken.validate(token) }
    }
}
