import Testing
@testable import SejfCore

struct AuditQueryTests {
    static let db = AuditSamples.arn
    static let config = AuditSamples.configArn
    static let stripe = "arn:aws:secretsmanager:prod:123456789012:secret:stripe/key-QwErTy"

    /// A day of prod traffic, seconds after 2026-11-01T00:00:00Z.
    let events: [AuditEvent] = [
        AuditSamples.read(10, principal: "api", secretArn: db),
        AuditSamples.read(20, principal: "worker", secretArn: db),
        AuditSamples.read(30, principal: "api", secretArn: db),
        AuditSamples.read(40, principal: "api", secretArn: config, action: AuditAction.batchGetSecretValue),
        AuditSamples.read(50, principal: "api", secretArn: db, action: AuditAction.batchGetSecretValue),
        // Not reads: denied, failed, a change, a read that named no secret, a failed authentication.
        AuditSamples.read(60, principal: "intern", secretArn: db, outcome: .denied),
        AuditSamples.read(70, principal: "api", secretArn: stripe, outcome: .error),
        AuditSamples.read(80, principal: "ci", secretArn: stripe, action: "secretsmanager:PutSecretValue"),
        AuditSamples.read(90, principal: "api", secretArn: nil),
        AuditSamples.read(100, principal: "", secretArn: nil, action: AuditAction.authenticate, outcome: .denied),
        AuditSamples.read(3600, principal: "worker", secretArn: config),
    ]

    func at(_ seconds: Int64) -> AuditTime { AuditTime(milliseconds: (1_793_491_200 + seconds) * 1000) }

    @Test func whoReadCountsAllowedValueReadsPerPrincipalAndSecret() {
        let rows = AuditQuery.whoRead(events)
        #expect(rows == [
            AuditReadSummary(principal: "worker", secretArn: Self.config, count: 1, lastRead: at(3600)),
            AuditReadSummary(principal: "api", secretArn: Self.config, count: 1, lastRead: at(40)),
            AuditReadSummary(principal: "api", secretArn: Self.db, count: 3, lastRead: at(50)),
            AuditReadSummary(principal: "worker", secretArn: Self.db, count: 1, lastRead: at(20)),
        ])
    }

    @Test func whoReadHonoursTheFilter() {
        #expect(AuditQuery.whoRead(events, matching: AuditFilter(secretArn: Self.db, since: at(20))) == [
            AuditReadSummary(principal: "api", secretArn: Self.db, count: 2, lastRead: at(50)),
            AuditReadSummary(principal: "worker", secretArn: Self.db, count: 1, lastRead: at(20)),
        ])
        #expect(AuditQuery.whoRead(events, matching: AuditFilter(principal: "worker", until: at(3600))) == [
            AuditReadSummary(principal: "worker", secretArn: Self.db, count: 1, lastRead: at(20)),
        ])
        #expect(AuditQuery.whoRead(events, matching: AuditFilter(environment: "staging")).isEmpty)
        #expect(AuditQuery.whoRead(events, matching: AuditFilter(outcome: .denied)).isEmpty)
    }

    @Test func whoReadLastReadIsTheLatestEvenOutOfOrder() {
        let rows = AuditQuery.whoRead([AuditSamples.read(90), AuditSamples.read(10), AuditSamples.read(50)])
        #expect(rows == [AuditReadSummary(principal: "api", secretArn: Self.db, count: 3, lastRead: at(90))])
    }

    @Test func whoReadCanCountOtherActions() {
        let rows = AuditQuery.whoRead(events, readActions: ["secretsmanager:PutSecretValue"])
        #expect(rows == [AuditReadSummary(principal: "ci", secretArn: Self.stripe, count: 1, lastRead: at(80))])
    }

    @Test func staleListsSecretsNotReadSince() {
        let secrets = [Self.db, Self.config, Self.stripe, "arn:aws:secretsmanager:prod:123456789012:secret:new-AAAAAA"]
        #expect(AuditQuery.stale(secretArns: secrets, events: events, since: at(100)) == [
            AuditStaleSecret(secretArn: Self.db, lastRead: at(50)),
            AuditStaleSecret(secretArn: Self.stripe, lastRead: nil),  // only denied, failed and changes
            AuditStaleSecret(secretArn: secrets[3], lastRead: nil),
        ])
        #expect(AuditQuery.stale(secretArns: secrets, events: events, since: at(50)).map(\.secretArn) == [Self.stripe, secrets[3]])
        #expect(AuditQuery.stale(secretArns: secrets + [Self.db], events: [], since: at(0)).count == 4)
        #expect(AuditQuery.stale(secretArns: [], events: events, since: at(0)).isEmpty)
    }

    @Test func filterMatchesEveryCriterion() {
        let event = AuditSamples.read(100)
        #expect(AuditFilter().matches(event))
        #expect(AuditFilter(environment: "prod", principal: "api", secretArn: Self.db, action: AuditAction.getSecretValue,
                            outcome: .allowed, since: at(100), until: at(101)).matches(event))
        #expect(!AuditFilter(environment: "dev").matches(event))
        #expect(!AuditFilter(principal: "API").matches(event))
        #expect(!AuditFilter(secretArn: Self.config).matches(event))
        #expect(!AuditFilter(action: AuditAction.batchGetSecretValue).matches(event))
        #expect(!AuditFilter(outcome: .denied).matches(event))
        #expect(!AuditFilter(since: at(101)).matches(event))
        #expect(!AuditFilter(until: at(100)).matches(event))
    }
}
