import SejfCore
import SejfStore

/// Appends audit events through ``SecretStoreWriter/appendAuditEvents(_:)`` (so the store chains
/// and hashes them under the audit key), one transaction per ``SeedPlan/eventsPerTransaction``.
/// The events are spread evenly over the last ``SeedPlan/auditDays`` days, oldest first.
struct AuditSeeder {
    let plan: SeedPlan
    let secrets: [SeededSecret]

    /// Appends every event of the plan.
    func seedAll(into store: any SecretStore, random: inout SeedRandom, progress: (Int) -> Void) throws {
        for start in stride(from: 0, to: plan.auditEvents, by: plan.eventsPerTransaction) {
            let indexes = start..<min(start + plan.eventsPerTransaction, plan.auditEvents)
            let events = indexes.map { event($0, random: &random) }
            _ = try store.write { try $0.appendAuditEvents(events) }
            progress(indexes.upperBound)
        }
    }

    /// Event `index`: its time on the even spread, a principal, and what it did (``AuditMix``).
    func event(_ index: Int, random: inout SeedRandom) -> AuditEvent {
        let spanMs = plan.auditDays * 86_400_000
        let startMs = plan.now * 1000 - spanMs
        let time = AuditTime(milliseconds: Int64(startMs + (Double(index) + 0.5) * spanMs / Double(plan.auditEvents)))
        let actor = AuditActor.pick(plan: plan, secrets: secrets.count, random: &random)
        let secret = secrets.isEmpty ? nil : secrets[actor.secretIndex]
        return AuditMix.pick(random: &random).event(
            time: time, environment: plan.environment, actor: actor, secret: secret, random: &random)
    }
}

/// Who acts in an event, and on which secret: 99% of events come from a service principal
/// reading within its own window of ``SeedPlan/secretsPerPrincipal`` secrets; 1% from `admin`,
/// on any secret.
struct AuditActor {
    var principal: String
    var accessKeyId: String
    var sourceAddress: String
    var secretIndex: Int

    static func pick(plan: SeedPlan, secrets: Int, random: inout SeedRandom) -> AuditActor {
        guard secrets > 0 else { return AuditActor(principal: "admin", accessKeyId: "AKIASEEDADMIN0000000", sourceAddress: "local", secretIndex: 0) }
        if random.below(100) == 0 {
            return AuditActor(principal: "admin", accessKeyId: "AKIASEEDADMIN0000000", sourceAddress: "10.0.0.1",
                              secretIndex: random.below(secrets))
        }
        let p = random.below(max(plan.principals, 1))
        let windowStart = p * secrets / max(plan.principals, 1)
        let secret = (windowStart + random.below(max(min(plan.secretsPerPrincipal, secrets), 1))) % secrets
        return AuditActor(principal: "app-" + String(p).leftPadded(to: 3),
                          accessKeyId: "AKIASEED" + String(p).leftPadded(to: 12),
                          sourceAddress: "10.\(1 + p / 250).\(p % 250).7", secretIndex: secret)
    }
}

/// The kinds of events and their shares of the trail (in percent): mostly value reads, as a
/// read-heavy secrets service sees them.
enum AuditMix: CaseIterable {
    case read          // 80: GetSecretValue, allowed
    case describe      // 8: DescribeSecret, allowed
    case list          // 4: ListSecrets, allowed (no secret)
    case put           // 3: PutSecretValue, allowed (a version id not stored: the trail outlives versions)
    case deniedRead    // 3: GetSecretValue, denied
    case missingRead   // 1: GetSecretValue of a name that does not exist
    case badSignature  // 1: sejf:Authenticate, denied

    var percent: Int {
        switch self {
        case .read: 80
        case .describe: 8
        case .list: 4
        case .put, .deniedRead: 3
        case .missingRead, .badSignature: 1
        }
    }

    /// A kind drawn by its share.
    static func pick(random: inout SeedRandom) -> AuditMix {
        var roll = random.below(100)
        for kind in allCases {
            if roll < kind.percent { return kind }
            roll -= kind.percent
        }
        return .read
    }

    /// The event of this kind, as the service would record it.
    func event(time: AuditTime, environment: String, actor: AuditActor, secret: SeededSecret?,
               random: inout SeedRandom) -> AuditEvent {
        var event = AuditEvent(time: time, environment: environment, principal: actor.principal, accessKeyId: actor.accessKeyId,
                               action: "secretsmanager:" + operation, secretArn: secret?.arn, outcome: .allowed,
                               sourceAddress: actor.sourceAddress, userAgent: "Boto3/1.43.11 md/Botocore#1.43.11 sejf-seed",
                               requestId: random.uuid())
        switch self {
        case .read:
            event.versionId = secret?.currentVersionId
            event.versionStages = [StagingLabels.current]
        case .describe: break
        case .list: event.secretArn = nil
        case .put:
            event.versionId = random.uuid()
            event.versionStages = [StagingLabels.current]
        case .deniedRead:
            event.outcome = .denied
            event.errorCode = "AccessDeniedException"
        case .missingRead:
            event.secretArn = nil
            event.outcome = .error
            event.errorCode = "ResourceNotFoundException"
        case .badSignature:
            event.action = AuditAction.authenticate
            event.secretArn = nil
            event.outcome = .denied
            event.errorCode = "SignatureDoesNotMatch"
        }
        return event
    }

    private var operation: String {
        switch self {
        case .read, .deniedRead, .missingRead, .badSignature: "GetSecretValue"
        case .describe: "DescribeSecret"
        case .list: "ListSecrets"
        case .put: "PutSecretValue"
        }
    }
}
