import Foundation
import SejfCrypto
import Metrics
import SejfCore
import SejfStore

/// The result of a rotation (or rollback) that ran to the end.
public struct RotationResult: Sendable, Equatable, Codable {
    public var ARN: String
    public var Name: String
    /// The version that is `AWSCURRENT` now.
    public var VersionId: String
    /// The steps this attempt ran (fewer than four when it resumed an interrupted rotation).
    public var Steps: [String]
}

/// The rotation engine: AWS's four steps (`createSecret`, `setSecret`, `testSecret`,
/// `finishSecret`), with the step reached persisted after each one, so a rotation interrupted
/// anywhere (the process killed) resumes there. The labels move only in `finishSecret`, after
/// the rotator proved the new value works: a failing `setSecret` or `testSecret` leaves
/// `AWSCURRENT` where it was, records the error (DescribeSecret's `SejfRotation`, the audit
/// trail) and schedules a retry with backoff.
///
/// A rollback runs `setSecret`, `testSecret` and `finishSecret` with the `AWSPREVIOUS` value as
/// the pending one, so the target system agrees before `AWSCURRENT` moves back.
///
/// One rotation per secret at a time, across processes: an attempt claims the secret (`host:pid`
/// and a lease); a claim whose process is gone or whose lease ran out may be taken over.
extension SecretsService {
    /// How long one attempt's claim holds without renewal (each step renews it).
    static let rotationLease: Double = 300
    /// Retry delays after consecutive failures: 1 min, 2, 4, … at most 6 h.
    static func rotationBackoff(failures: Int) -> Double { min(60 * pow(2, Double(max(failures - 1, 0))), 6 * 3600) }

    /// This process, as it claims rotations.
    static let rotationHolder = "\(ProcessInfo.processInfo.hostName):\(getpid())"

    /// Runs the rotation of `secretARN` to the end, or resumes the one in progress.
    /// - Parameters:
    ///   - token: the `ClientRequestToken` for a new rotation (a new UUID when nil).
    ///   - kind: `.rotate`, or `.rollback` to make `AWSPREVIOUS` current again.
    ///   - context: who started it, for the audit trail. Authorization (RotateSecret on the
    ///     secret) is the caller's job, as for the API operation.
    func runRotation(_ secretARN: String, token: String?, kind: RotationProgress.Kind, context: RequestContext) throws -> RotationResult {
        var (secret, progress) = try claimRotation(secretARN, token: token, kind: kind, context: context)
        // Bounded labels: the rotator without its parameters, and the result.
        let rotatorLabel = String(progress.rotator.prefix { $0 != "?" })
        let rotator = try rotators.rotator(named: progress.rotator, in: secret.environment)
        var ran: [String] = []
        while let step = RotationStep(rawValue: progress.step) {
            do {
                try run(step, of: &secret, progress: &progress, rotator: rotator, context: context)
                ran.append(step.rawValue)
            } catch {
                Counter(label: "sejf_rotations_total", dimensions: [("rotator", rotatorLabel), ("result", "failure")]).increment()
                try recordRotationFailure(error, at: step, of: secret, progress: progress, context: context)
                let message = (error as? SejfError)?.message ?? "\(error)"
                throw SejfError(.invalidRequest,
                    "Rotation of \(secret.name) failed at \(step.rawValue): \(message) AWSCURRENT is unchanged; the next attempt resumes at \(step.rawValue).")
            }
            if step == .finishSecret { break }
        }
        Counter(label: "sejf_rotations_total", dimensions: [("rotator", rotatorLabel), ("result", "success")]).increment()
        return RotationResult(ARN: secret.arn.description, Name: secret.name, VersionId: progress.token, Steps: ran)
    }

    /// Starts or resumes a rotation: checks nobody else is running it and claims it.
    private func claimRotation(_ secretARN: String, token: String?, kind: RotationProgress.Kind,
                               context: RequestContext) throws -> (SecretRecord, RotationProgress) {
        try store.write { writer in
            let secret = try findSecret(secretARN, context, in: writer)
            try requireNotDeleted(secret)
            if secret.primaryRowId != nil { throw SejfError.operationOnReplica }
            let now = clock()
            var progress: RotationProgress
            if let existing = try writer.rotationProgress(of: secret) {
                if let holder = existing.holder, Self.isLive(holder), (existing.leaseUntil ?? 0) > now {
                    throw SejfError(.invalidRequest, "A rotation of \(secret.name) is running now (started by \(existing.principal)); try again when it ends.")
                }
                if existing.kind != kind || (token != nil && token != existing.token) {
                    throw SejfError(.invalidRequest,
                        "A previous \(existing.kind.rawValue) of \(secret.name) isn't complete (stopped before \(existing.step)). Run it again to resume it, or CancelRotateSecret to abandon it.")
                }
                progress = existing
            } else {
                guard let rotator = secret.rotation.rotatorARN else {
                    throw SejfError(.invalidRequest, "\(secret.name) has no rotator: configure one with RotateSecret's RotationLambdaARN (sejf secret rotation set).")
                }
                let labels = try writer.versions(of: secret)
                switch kind {
                case .rotate:
                    let id = token ?? randomUUIDString()
                    if let existing = labels.version(id: id), !existing.stages.contains(StagingLabels.pending) {
                        throw SejfError(.resourceExists, "Version \(id) of \(secret.name) already exists; use a new ClientRequestToken.")
                    }
                    progress = RotationProgress(token: id, kind: .rotate, step: RotationStep.createSecret.rawValue, rotator: rotator,
                                                principal: context.principal.name, startedAt: now)
                case .rollback:
                    guard let previous = labels.version(withStage: StagingLabels.previous) else {
                        throw SejfError(.invalidRequest, "\(secret.name) has no AWSPREVIOUS version to roll back to.")
                    }
                    progress = RotationProgress(token: previous.id, kind: .rollback, step: RotationStep.setSecret.rawValue,
                                                rotator: rotator, principal: context.principal.name, startedAt: now)
                }
            }
            progress.holder = Self.rotationHolder
            progress.leaseUntil = now + Self.rotationLease
            try writer.saveRotationProgress(progress, of: secret)
            return (secret, progress)
        }
    }

    /// Runs one step and persists the next one (with the step's audit event) in one transaction.
    private func run(_ step: RotationStep, of secret: inout SecretRecord, progress: inout RotationProgress, rotator: any Rotator,
                     context: RequestContext) throws {
        let input = try rotationInput(secret, progress: progress, context: context)
        switch step {
        case .createSecret:
            let value = try input.pending ?? rotator.newValue(input)
            try store.write { writer in
                var secret = secret
                _ = try addVersion(.string(value), token: progress.token, stages: [StagingLabels.pending], to: &secret, in: writer)
                try advance(&progress, to: .setSecret, secret: secret, step: step, writer: writer, context: context)
            }
        case .setSecret, .testSecret:
            if step == .setSecret { try rotator.setSecret(input) } else { try rotator.testSecret(input) }
            try store.write { writer in
                try advance(&progress, to: step == .setSecret ? .testSecret : .finishSecret, secret: secret, step: step, writer: writer,
                            context: context)
            }
        case .finishSecret:
            try rotator.finishSecret(input)
            secret = try store.write { writer in
                var secret = try writer.secret(rowId: secret.rowId) ?? secret
                var labels = try writer.versions(of: secret)
                if let current = labels.version(withStage: StagingLabels.current), current.id != progress.token {
                    try labels.updateStage(StagingLabels.current, removeFrom: current.id, moveTo: progress.token)
                }
                if labels.version(withStage: StagingLabels.pending)?.id == progress.token {
                    try labels.updateStage(StagingLabels.pending, removeFrom: progress.token, moveTo: nil)
                }
                try writer.saveVersions(labels, of: secret)
                let now = clock()
                secret.lastChangedAt = now
                if progress.kind == .rotate {
                    secret.rotation.lastRotatedAt = now
                    if secret.rotation.enabled, let schedule = try secret.rotation.rulesJSON.flatMap(Self.decodeRules)?.schedule() {
                        secret.rotation.nextRotationAt = schedule.nextRotation(after: now)
                    }
                }
                try writer.updateSecret(secret)
                try writer.saveRotationProgress(nil, of: secret)
                _ = try writer.appendAuditEvents([rotationEvent(step, progress: progress, secret: secret, context: context, failure: nil)])
                return secret
            }
        }
    }

    private func advance(_ progress: inout RotationProgress, to next: RotationStep, secret: SecretRecord, step: RotationStep,
                         writer: any SecretStoreWriter, context: RequestContext) throws {
        progress.step = next.rawValue
        progress.leaseUntil = clock() + Self.rotationLease
        try writer.saveRotationProgress(progress, of: secret)
        _ = try writer.appendAuditEvents([rotationEvent(step, progress: progress, secret: secret, context: context, failure: nil)])
    }

    /// The values a rotator sees: current, pending (for a rollback, the version restored) and previous.
    private func rotationInput(_ secret: SecretRecord, progress: RotationProgress, context: RequestContext) throws -> RotationInput {
        let values = try store.read { reader -> (String?, String?, String?) in
            let labels = try reader.versions(of: secret)
            func text(_ id: String?) throws -> String? {
                guard let id, labels.version(id: id) != nil else { return nil }
                guard case .string(let string) = try reader.value(of: secret, versionId: id) else {
                    throw SejfError(.invalidRequest, "\(secret.name) holds a binary value; rotators work on string values.")
                }
                return string
            }
            return (try text(labels.version(withStage: StagingLabels.current)?.id), try text(progress.token),
                    try text(labels.version(withStage: StagingLabels.previous)?.id))
        }
        let environment = secret.environment
        return RotationInput(
            secretARN: secret.arn.description, secretName: secret.name, environment: environment, token: progress.token,
            current: values.0, pending: values.1, previous: progress.kind == .rollback ? values.0 : values.2,
            readSecret: { [self] id in try self.readForRotation(id, environment: environment, progress: progress, context: context) })
    }

    /// A rotator's read of another secret (the master credentials): the current string value,
    /// audited as a GetSecretValue by whoever started the rotation.
    private func readForRotation(_ secretId: String, environment: EnvironmentName, progress: RotationProgress,
                                 context: RequestContext) throws -> String {
        try perform(.getSecretValue, context) { scope in
            try store.read { reader in
                let secret = try authorizedSecret(secretId, scope, in: reader)
                try requireNotDeleted(secret)
                guard let current = try reader.versions(of: secret).version(withStage: StagingLabels.current),
                      case .string(let value) = try reader.value(of: secret, versionId: current.id) else {
                    throw SejfError(.invalidRequest, "\(secret.name) has no current string value.")
                }
                scope.version(current)
                return value
            }
        }
    }

    private func recordRotationFailure(_ error: any Error, at step: RotationStep, of secret: SecretRecord, progress: RotationProgress,
                                       context: RequestContext) throws {
        var failed = progress
        let now = clock()
        failed.lastError = "\(step.rawValue): " + ((error as? SejfError)?.message ?? "\(error)")
        failed.failures += 1
        failed.retryAt = now + Self.rotationBackoff(failures: failed.failures)
        failed.holder = nil
        failed.leaseUntil = nil
        try store.write { writer in
            try writer.saveRotationProgress(failed, of: secret)
            let sejfError = error as? SejfError ?? SejfError(.internalServiceError, "\(error)")
            _ = try writer.appendAuditEvents([rotationEvent(step, progress: failed, secret: secret, context: context, failure: sejfError)])
        }
    }

    /// The audit event of one step: `sejf:Rotation.<step>` (or `sejf:Rollback.<step>`), by whoever
    /// started the rotation, with the rotator named in the user agent field.
    private func rotationEvent(_ step: RotationStep, progress: RotationProgress, secret: SecretRecord, context: RequestContext,
                               failure: SejfError?) -> AuditEvent {
        AuditEvent(
            time: AuditTime(secondsSince1970: clock()), environment: secret.environment.rawValue, principal: context.principal.name,
            accessKeyId: context.accessKeyId, action: AuditAction.rotationStep(step.rawValue, rollback: progress.kind == .rollback),
            secretArn: secret.arn.description, versionId: progress.token, versionStages: [],
            outcome: failure == nil ? .allowed : .error, errorCode: failure?.code.rawValue,
            sourceAddress: context.sourceAddress, userAgent: "sejf-rotator \(progress.rotator)", requestId: context.requestId)
    }

    /// Whether the process that claimed a rotation still runs (a claim from another host is
    /// trusted until its lease ends).
    static func isLive(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":")
        guard parts.count == 2, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = pid_t(parts[1]) else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

extension RotationStatus {
    init(_ progress: RotationProgress) {
        self.init(Kind: progress.kind.rawValue, VersionId: progress.token, NextStep: progress.step, Rotator: progress.rotator,
                  StartedBy: progress.principal, StartedDate: progress.startedAt, LastError: progress.lastError,
                  Failures: progress.failures, RetryDate: progress.retryAt)
    }
}
