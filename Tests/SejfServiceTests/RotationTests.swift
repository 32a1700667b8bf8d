import Foundation
import Synchronization
import Testing
import SejfCore
@testable import SejfService
@testable import SejfStore

/// A rotator whose steps the test scripts: it records what it was asked and fails on demand.
final class ScriptedRotator: Rotator {
    struct Call: Equatable { var step: String; var current: String?; var pending: String?; var previous: String? }
    private let state = Mutex<(calls: [Call], failAt: Set<String>, next: Int)>(([], [], 0))

    var calls: [Call] { state.withLock { $0.calls } }
    func fail(at steps: Set<String>) { state.withLock { $0.failAt = steps } }

    private func record(_ step: String, _ input: RotationInput) throws {
        let fails = state.withLock { s -> Bool in
            s.calls.append(Call(step: step, current: input.current, pending: input.pending, previous: input.previous))
            return s.failAt.contains(step)
        }
        if fails { throw SejfError(.invalidRequest, "scripted failure at \(step)") }
    }

    func newValue(_ input: RotationInput) throws -> String {
        try record("createSecret", input)
        return state.withLock { s in s.next += 1; return "generated-\(s.next)" }
    }
    func setSecret(_ input: RotationInput) throws { try record("setSecret", input) }
    func testSecret(_ input: RotationInput) throws { try record("testSecret", input) }
    func finishSecret(_ input: RotationInput) throws { try record("finishSecret", input) }
}

@Suite("Rotation engine")
struct RotationTests {
    let rotator = ScriptedRotator()
    let f: ServiceFixture

    init() throws {
        let rotator = self.rotator
        f = try ServiceFixture(rotators: RotatorCatalog(named: ["test:scripted": rotator], hook: { env, name in
            env.rawValue == "dev" && name == "echo" ? ["/bin/echo", "-n", "from-hook"] : nil
        }))
    }

    func rotate(_ id: String, rotator: String? = "test:scripted", rules: RotationRulesShape? = nil, now: Bool = true,
                token: String? = nil) throws -> RotationResponse {
        try f.service.rotateSecret(RotateSecretRequest(SecretId: id, ClientRequestToken: token, RotationLambdaARN: rotator,
                                                       RotationRules: rules, RotateImmediately: now), f.dev)
    }

    func describe(_ id: String) throws -> DescribeSecretResponse {
        try f.service.describeSecret(SecretIdRequest(SecretId: id), f.dev)
    }

    func stages(_ id: String) throws -> [String: [String]] { try describe(id).VersionIdsToStages ?? [:] }

    func events(_ prefix: String) throws -> [StoredAuditEvent] {
        try f.service.store.read { try $0.auditEvents(after: 0, limit: 10_000) }.filter { $0.event.action.hasPrefix(prefix) }
    }

    @Test("a rotation runs the four steps, makes the new version current and the old one previous, and records each step")
    func fourSteps() throws {
        let old = try f.create("db/credentials", "v1").VersionId!
        let response = try rotate("db/credentials", rules: RotationRulesShape(AutomaticallyAfterDays: 30))
        let new = try #require(response.VersionId)
        #expect(rotator.calls.map(\.step) == ["createSecret", "setSecret", "testSecret", "finishSecret"])
        #expect(rotator.calls[1] == .init(step: "setSecret", current: "v1", pending: "generated-1", previous: nil))
        #expect(try f.get("db/credentials").SecretString == "generated-1")
        #expect(try stages("db/credentials") == [new: ["AWSCURRENT"], old: ["AWSPREVIOUS"]])
        let described = try describe("db/credentials")
        #expect(described.LastRotatedDate == f.clock.now)
        let next = try #require(described.NextRotationDate)  // AWS schedules by whole UTC days
        #expect(next > f.clock.now + 29 * 86_400 && next <= f.clock.now + 30 * 86_400)
        #expect(described.SejfRotation == nil)
        let steps = try events("sejf:Rotation.")
        #expect(steps.map(\.event.action) == ["createSecret", "setSecret", "testSecret", "finishSecret"].map { "sejf:Rotation.\($0)" })
        #expect(steps.allSatisfy { $0.event.principal == "admin" && $0.event.userAgent == "sejf-rotator test:scripted" && $0.event.versionId == new })
        #expect(!steps.contains { String(describing: $0.event).contains("generated-1") })
    }

    @Test("a failing setSecret leaves AWSCURRENT alone, records the error, and the next attempt resumes at setSecret")
    func failureAndResume() throws {
        let old = try f.create("db/credentials", "v1").VersionId!
        rotator.fail(at: ["setSecret"])
        expectCode(.invalidRequest) { _ = try rotate("db/credentials", rules: RotationRulesShape(AutomaticallyAfterDays: 30), token: "11111111-2222-3333-4444-555555555555") }
        #expect(try f.get("db/credentials").SecretString == "v1")
        #expect(try stages("db/credentials") == [old: ["AWSCURRENT"], "11111111-2222-3333-4444-555555555555": ["AWSPENDING"]])
        let status = try #require(try describe("db/credentials").SejfRotation)
        #expect(status.NextStep == "setSecret" && status.Failures == 1 && status.RetryDate == f.clock.now + 60)
        #expect(status.LastError?.contains("scripted failure at setSecret") == true)
        #expect(try events("sejf:Rotation.setSecret").last?.event.outcome == .error)

        rotator.fail(at: [])
        let response = try rotate("db/credentials", rotator: nil)
        #expect(response.VersionId == "11111111-2222-3333-4444-555555555555")
        #expect(rotator.calls.map(\.step) == ["createSecret", "setSecret", "setSecret", "testSecret", "finishSecret"])  // no second value
        #expect(try f.get("db/credentials").SecretString == "generated-1")
        #expect(try describe("db/credentials").SejfRotation == nil)
    }

    @Test("a different token while a rotation is unfinished is refused; CancelRotateSecret abandons it")
    func unfinished() throws {
        try f.create("db/credentials", "v1")
        rotator.fail(at: ["testSecret"])
        expectCode(.invalidRequest) { _ = try rotate("db/credentials", rules: RotationRulesShape(AutomaticallyAfterDays: 30)) }
        expectCode(.invalidRequest) { _ = try rotate("db/credentials", rotator: nil, token: UUID().uuidString) }
        _ = try f.service.cancelRotateSecret(SecretIdRequest(SecretId: "db/credentials"), f.dev)
        #expect(try describe("db/credentials").SejfRotation == nil)
        rotator.fail(at: [])
        _ = try rotate("db/credentials", rotator: nil)
        #expect(try f.get("db/credentials").SecretString == "generated-2")
    }

    @Test("a claim held by a live process blocks a second attempt")
    func claimed() throws {
        try f.create("db/credentials", "v1")
        _ = try rotate("db/credentials", rules: RotationRulesShape(AutomaticallyAfterDays: 30), now: false)
        try f.service.store.write { writer in
            let secret = try #require(try writer.secret(SecretIdentifier("db/credentials"), in: EnvironmentName("dev")))
            try writer.saveRotationProgress(RotationProgress(
                token: UUID().uuidString, kind: .rotate, step: "createSecret", rotator: "test:scripted", principal: "someone",
                startedAt: f.clock.now, holder: SecretsService.rotationHolder, leaseUntil: f.clock.now + 300), of: secret)
        }
        expectCode(.invalidRequest) { _ = try rotate("db/credentials", rotator: nil) }
        f.clock.advance(by: 301)  // the lease ran out: the claim may be taken over
        _ = try rotate("db/credentials", rotator: nil)
        #expect(try f.get("db/credentials").SecretString == "generated-1")
    }

    @Test("rollback re-applies AWSPREVIOUS through setSecret and testSecret, then makes it current")
    func rollback() throws {
        let old = try f.create("db/credentials", "v1").VersionId!
        let new = try #require(try rotate("db/credentials", rules: RotationRulesShape(AutomaticallyAfterDays: 30)).VersionId)
        let response = try f.service.rollbackSecret(SecretIdRequest(SecretId: "db/credentials"), f.dev)
        #expect(response.VersionId == old)
        #expect(try f.get("db/credentials").SecretString == "v1")
        #expect(try stages("db/credentials") == [old: ["AWSCURRENT"], new: ["AWSPREVIOUS"]])
        #expect(rotator.calls.suffix(3).map(\.step) == ["setSecret", "testSecret", "finishSecret"])
        #expect(rotator.calls.suffix(3).first == .init(step: "setSecret", current: "generated-1", pending: "v1", previous: "generated-1"))
        #expect(try events("sejf:Rollback.").count == 3)
        try f.create("db/plain", "v")  // no rotator, no AWSPREVIOUS
        expectCode(.invalidRequest) { _ = try f.service.rollbackSecret(SecretIdRequest(SecretId: "db/plain"), f.dev) }
    }

    @Test("the scheduler rotates a secret when its window is due, and backs off after a failure")
    func scheduler() throws {
        try f.create("db/credentials", "v1")
        _ = try rotate("db/credentials", rules: RotationRulesShape(ScheduleExpression: "rate(4 hours)"), now: false)
        #expect(f.service.rotateDueSecrets().isEmpty)
        f.clock.advance(by: 4 * 3600)
        let done = f.service.rotateDueSecrets()
        #expect(done.count == 1)
        #expect(try f.get("db/credentials").SecretString == "generated-1")
        #expect(try events("sejf:Rotation.finishSecret").last?.event.principal == "sejf-scheduler")
        #expect(try describe("db/credentials").NextRotationDate == f.clock.now + 4 * 3600)

        rotator.fail(at: ["testSecret"])
        f.clock.advance(by: 4 * 3600)
        #expect(f.service.rotateDueSecrets().count == 1)
        #expect(try f.get("db/credentials").SecretString == "generated-1")
        f.clock.advance(by: 30)
        #expect(f.service.rotateDueSecrets().isEmpty)  // backing off: 60 s after the first failure
        f.clock.advance(by: 31)
        let retried = f.service.rotateDueSecrets()
        #expect(retried.count == 1)
        #expect(try describe("db/credentials").SejfRotation?.Failures == 2)
        #expect(try describe("db/credentials").SejfRotation?.RetryDate == f.clock.now + 120)
        rotator.fail(at: [])
        f.clock.advance(by: 120)
        #expect(f.service.rotateDueSecrets().count == 1)
        #expect(try f.get("db/credentials").SecretString == "generated-2")
    }

    @Test("sejf:random makes a new random value, or new values for chosen JSON keys only")
    func random() throws {
        try f.create("api/token", "old")
        _ = try rotate("api/token", rotator: "sejf:random?length=40&exclude-punctuation=true", rules: RotationRulesShape(AutomaticallyAfterDays: 1))
        let token = try #require(try f.get("api/token").SecretString)
        #expect(token.count == 40 && token.allSatisfy { $0.isLetter || $0.isNumber })
        try f.create("db/json", #"{"username":"app","password":"old","host":"db"}"#)
        _ = try rotate("db/json", rotator: "sejf:random?keys=password", rules: RotationRulesShape(AutomaticallyAfterDays: 1))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try f.get("db/json").SecretString!.utf8)) as? [String: String])
        #expect(object["username"] == "app" && object["host"] == "db" && object["password"] != "old" && object["password"]?.count == 32)
    }

    @Test("a declared hook prints the new value; an undeclared hook, an unknown rotator and bad parameters are refused")
    func rotatorNames() throws {
        try f.create("api/token", "old")
        _ = try rotate("api/token", rotator: "sejf:hook:echo", rules: RotationRulesShape(AutomaticallyAfterDays: 1))
        #expect(try f.get("api/token").SecretString == "from-hook")
        for bad in ["sejf:hook:nope", "arn:aws:lambda:dev:123456789012:function:rotator", "sejf:random?length=x",
                    "sejf:random?colour=red", "sejf:random?length=2&require-each-included-type=true"] {
            expectCode(.invalidParameter) { _ = try rotate("api/token", rotator: bad, rules: RotationRulesShape(AutomaticallyAfterDays: 1)) }
        }
        #expect(try describe("api/token").RotationLambdaARN == "sejf:hook:echo")
        try f.create("db/plain", "v")
        expectCode(.invalidRequest) { _ = try rotate("db/plain", rotator: nil) }  // no rotator configured
    }
}
