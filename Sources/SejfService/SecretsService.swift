import Foundation
import SejfCore
import SejfStore

/// The operations on secrets, as one API for the server and the embedded CLI.
///
/// Every operation runs through ``perform(_:_:_:)``: authorize the caller, then act inside one
/// store transaction. Rules come from `SejfCore`; this type only sequences them.
public final class SecretsService: Sendable {
    let store: any SecretStore
    let clock: @Sendable () -> Double

    /// - Parameters:
    ///   - store: where secrets live.
    ///   - clock: seconds since 1970 (injectable so tests can move time).
    public init(store: any SecretStore, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.clock = clock
    }

    /// The request pipeline: authenticate (done by the caller: the server verifies SigV4, the
    /// embedded CLI is the local operator) → authorize → act.
    ///
    /// Authorization is this one seam. Until roles and bindings exist, every authenticated
    /// principal of this installation may do everything; a principal that is not recorded here
    /// (deleted since its request was authenticated) is denied.
    func perform<T>(_ action: Action, _ context: RequestContext, _ body: () throws -> T) throws -> T {
        if !context.principal.isLocalOperator {
            guard try store.read({ try $0.principal(named: context.principal.name) }) != nil else {
                throw SejfError(.accessDenied,
                    "User: \(context.principal.name) is not authorized to perform: \(action.rawValue) because the principal does not exist.")
            }
        }
        return try body()
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

    /// The write pipeline for one existing secret: find it; refuse a replica (it changes only
    /// through its primary) and, unless allowed, a secret scheduled for deletion; apply
    /// `change`; bring the replicas in step — all in one transaction.
    func changeSecret<T>(_ secretId: String, _ context: RequestContext, whenDeleted: DeletedSecrets = .refuse,
                         _ change: (any SecretStoreWriter, inout SecretRecord) throws -> T) throws -> T {
        try store.write { writer in
            var secret = try findSecret(secretId, context, in: writer)
            if secret.primaryRowId != nil { throw SejfError.operationOnReplica }
            if whenDeleted == .refuse { try requireNotDeleted(secret) }
            let result = try change(writer, &secret)
            try syncReplicas(of: secret, in: writer)
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
        let versionId = token ?? UUID().uuidString.lowercased()
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
