import Foundation
import Testing
import SejfCore
@testable import SejfService
@testable import SejfStore

extension ServiceFixture {
    /// A request signed by the principal's access key (made on first use), as the server builds it.
    func context(_ principal: String, _ env: String = "dev") throws -> RequestContext {
        RequestContext(environment: try EnvironmentName(env), principal: Principal(name: principal), accessKeyId: try accessKeyId(of: principal),
                       sourceAddress: "10.0.0.7", userAgent: "test-agent", requestId: "req-\(principal)-\(env)")
    }

    func accessKeyId(of principal: String) throws -> String {
        try service.listAccessKeys(of: principal).first?.AccessKeyId ?? service.createAccessKey(for: principal).AccessKeyId
    }

    func principal(_ name: String, role: String, envs: [String]) throws {
        try service.createPrincipal(name: name, description: "")
        try service.bind(role: role, principal: name, environments: envs)
    }

    func events(_ filter: AuditFilter = AuditFilter()) throws -> [AuditEvent] {
        try service.auditEvents(matching: filter).map(\.event)
    }
}

struct AccessControlPipelineTests {
    @Test func readerInDevIsDeniedInProd() throws {
        let f = try ServiceFixture()
        try f.create("db/credentials", "dev value")
        _ = try f.service.createSecret(CreateSecretRequest(Name: "db/credentials", SecretString: "prod value"), f.prod)
        try f.principal("api", role: "reader", envs: ["dev"])
        #expect(try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/credentials"), f.context("api")).SecretString == "dev value")
        do {
            _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/credentials"), f.context("api", "prod"))
            Issue.record("expected AccessDenied")
        } catch let error as SejfError {
            #expect(error.code == .accessDenied)
            #expect(error.message.hasPrefix("User: arn:aws:iam::"))
            #expect(error.message.contains(":user/api is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:prod:"))
        }
        // A reader cannot write.
        expectCode(.accessDenied) { _ = try f.service.putSecretValue(PutSecretValueRequest(SecretId: "db/credentials", SecretString: "x"), f.context("api")) }
    }

    @Test func denyRuleBeatsAllow() throws {
        let f = try ServiceFixture()
        try f.create("db/root", "root password")
        try f.create("db/app", "app password")
        try f.principal("ops", role: "reader", envs: ["*"])
        try f.service.saveRole(AccessRole(name: "no-root", rules: [AccessRule(effect: .deny, actions: ["secretsmanager:GetSecretValue"], secrets: ["db/root"])]))
        try f.service.bind(role: "no-root", principal: "ops", environments: ["*"])
        #expect(try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/app"), f.context("ops")).SecretString == "app password")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/root"), f.context("ops")) }
        let answer = try f.service.canI(principal: "ops", action: "GetSecretValue", secret: "db/root", environment: try EnvironmentName("dev"))
        #expect(!answer.allowed)
        #expect(answer.reason.contains("no-root"))
        #expect(try f.service.whoCan(action: "GetSecretValue", secret: "db/root", environment: try EnvironmentName("dev")) == ["admin"])
    }

    @Test func resourcePolicyGrantsAnUnboundPrincipal() throws {
        let f = try ServiceFixture()
        try f.create("shared/token", "shared")
        try f.service.createPrincipal(name: "partner", description: "")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "shared/token"), f.context("partner")) }
        let account = try f.service.store.read { try $0.accountId() }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(account):user/partner"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        _ = try f.service.putResourcePolicy(PutResourcePolicyRequest(SecretId: "shared/token", ResourcePolicy: policy), f.dev)
        #expect(try f.service.getSecretValue(GetSecretValueRequest(SecretId: "shared/token"), f.context("partner")).SecretString == "shared")
        expectCode(.accessDenied) { _ = try f.service.describeSecret(SecretIdRequest(SecretId: "shared/token"), f.context("partner")) }
    }

    @Test func listAndBatchGetShowOnlyWhatTheCallerMaySee() throws {
        let f = try ServiceFixture()
        try f.create("api/debug", "false", tags: [SejfCore.Tag(key: "sejf:kind", value: "config")])
        try f.create("db/password", "secret")
        try f.principal("viewer", role: "config-reader", envs: ["dev"])
        let listed = try f.service.listSecrets(ListSecretsRequest(), f.context("viewer")).SecretList.map(\.Name)
        #expect(listed == ["api/debug"])
        let batch = try f.service.batchGetSecretValue(BatchGetSecretValueRequest(SecretIdList: ["api/debug", "db/password"]), f.context("viewer"))
        #expect(batch.SecretValues.map(\.Name) == ["api/debug"])
        #expect(batch.Errors.map(\.ErrorCode) == ["AccessDeniedException"])
    }

    @Test func probingForNamesIsDenied() throws {
        let f = try ServiceFixture()
        try f.service.createPrincipal(name: "nobody", description: "")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "does/not/exist"), f.context("nobody")) }
        expectCode(.resourceNotFound) { _ = try f.get("does/not/exist") }
    }
}

/// The server authenticates against cached metadata; the transaction that serves the request
/// confirms the signing key is still active and still the principal's.
struct AccessKeyConfirmationTests {
    @Test func aRevokedOrForeignKeyIsRefusedInsideTheOperation() throws {
        let f = try ServiceFixture()
        try f.create("db/password", "secret")
        try f.principal("api", role: "reader", envs: ["dev"])
        try f.principal("ops", role: "reader", envs: ["dev"])
        let read = { (context: RequestContext) in
            _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), context)
        }
        try read(f.context("api"))

        var foreign = try f.context("api")
        foreign.accessKeyId = try f.accessKeyId(of: "ops")
        expectCode(.unrecognizedClient) { try read(foreign) }

        try f.service.setAccessKeyStatus(try f.accessKeyId(of: "api"), active: false)
        expectCode(.unrecognizedClient) { try read(f.context("api")) }
        expectCode(.unrecognizedClient) { _ = try f.service.listSecrets(ListSecretsRequest(), f.context("api")) }
        let refused = try f.events(AuditFilter(principal: "api", action: AuditAction.getSecretValue)).filter { $0.outcome != .allowed }
        #expect(refused.map(\.errorCode) == Array(repeating: SejfError.Code.unrecognizedClient.rawValue, count: 2), "the foreign key and the revoked one")

        try f.service.setAccessKeyStatus(try f.accessKeyId(of: "api"), active: true)
        try read(f.context("api"))
    }
}

struct AuditPipelineTests {
    @Test func oneEventPerReadWithItsFieldsAndNeverTheValue() throws {
        let f = try ServiceFixture()
        let version = try f.create("db/password", "hunter2-value").VersionId
        try f.principal("api", role: "reader", envs: ["dev"])
        _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), f.context("api"))
        let reads = try f.events(AuditFilter(action: AuditAction.getSecretValue))
        #expect(reads.count == 1)
        let event = try #require(reads.first)
        #expect(event.principal == "api")
        #expect(event.accessKeyId == (try f.accessKeyId(of: "api")))
        #expect(event.sourceAddress == "10.0.0.7")
        #expect(event.userAgent == "test-agent")
        #expect(event.requestId == "req-api-dev")
        #expect(event.versionId == version)
        #expect(event.versionStages == ["AWSCURRENT"])
        #expect(event.outcome == .allowed)
        #expect(event.secretArn?.contains(":secret:db/password-") == true)
        var exported = ""
        try f.service.exportAudit(matching: AuditFilter()) { exported += $0 + "\n" }
        #expect(!exported.contains("hunter2-value"))
        #expect(exported.split(separator: "\n").count == 2)  // the CreateSecret and the read
    }

    @Test func denialsAndErrorsAreAudited() throws {
        let f = try ServiceFixture()
        try f.create("db/password", "v")
        try f.service.createPrincipal(name: "stranger", description: "")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), f.context("stranger")) }
        expectCode(.resourceNotFound) { _ = try f.get("nope") }
        let denied = try f.events(AuditFilter(outcome: .denied))
        #expect(denied.map(\.principal) == ["stranger"])
        #expect(denied.first?.errorCode == "AccessDeniedException")
        #expect(try f.events(AuditFilter(outcome: .error)).first?.errorCode == "ResourceNotFoundException")
    }

    @Test func chainVerifiesAndBreaksWhereARowWasEdited() throws {
        let f = try ServiceFixture()
        for i in 0..<5 { try f.create("s\(i)", "v") }
        for i in 0..<5 { _ = try f.get("s\(i)") }
        let intact = try f.service.verifyAudit(pageSize: 3)
        #expect(intact.isIntact)
        #expect(intact.verifiedCount == 10)
        let queue = try DatabaseQueueHandle(path: f.root + "/sejf.db")
        try queue.execute("DROP TRIGGER audit_events_no_update")
        try queue.execute("UPDATE audit_events SET principal = 'someone-else' WHERE sequence = 7")
        let broken = try f.service.verifyAudit(pageSize: 3)
        #expect(broken.firstBreak?.sequence == 7)
        expectCode(.invalidRequest) { _ = try f.service.pruneAudit(before: AuditTime(milliseconds: Int64.max)) }
    }

    @Test func readsFailClosedWithoutTheAuditKeyAndRecover() throws {
        let f = try ServiceFixture()
        try f.create("db/password", "secret value")
        let keyFile = f.root + "/keys/_audit.key"
        let saved = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        try FileManager.default.removeItem(atPath: keyFile)
        // A fresh service: no key cached in memory.
        let service = try DataStoreSetup.open(DataDirectory(path: f.root), variables: [:])
        do {
            _ = try service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), f.dev)
            Issue.record("a read that cannot be audited was served")
        } catch let error as SejfError {
            #expect(error.code == .internalServiceError)
            #expect(error.message.contains("could not be audited"))
            #expect(!error.message.contains("secret value"))
        }
        try saved.write(to: URL(fileURLWithPath: keyFile))
        #expect(try service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), f.dev).SecretString == "secret value")
    }

    @Test func whoReadAndStale() throws {
        let f = try ServiceFixture()
        try f.create("db/read", "v")
        try f.create("db/unread", "v")
        _ = try f.get("db/read")
        _ = try f.get("db/read")
        let since = AuditTime(secondsSince1970: f.clock.now - 3600)
        let reads = try f.service.whoRead(environment: try EnvironmentName("dev"), since: since)
        #expect(reads.count == 1)
        #expect(reads.first?.count == 2)
        #expect(reads.first?.principal == "admin")
        let stale = try f.service.staleSecrets(environment: try EnvironmentName("dev"), since: since)
        #expect(stale.map(\.name) == ["db/unread"])
    }

    @Test func pruneKeepsACheckpointAndTheRestVerifies() throws {
        let f = try ServiceFixture()
        try f.create("a", "v")
        f.advance(days: 10)
        try f.create("b", "v")
        let checkpoint = try #require(try f.service.pruneAudit(before: AuditTime(secondsSince1970: f.clock.now - 86_400)))
        #expect(checkpoint.sequence == 1)
        let verification = try f.service.verifyAudit()
        #expect(verification.isIntact)
        #expect(verification.verifiedCount == 1)
        #expect(try f.service.compareAudit(with: checkpoint).isConsistent)
        let head = try f.service.auditHead()
        try f.create("c", "v")
        #expect(try f.service.compareAudit(with: head).isConsistent)
        let beyond = AuditCheckpoint(sequence: head.sequence + 5, hash: head.hash, time: head.time)
        #expect(try f.service.compareAudit(with: beyond) == .truncated(newest: head.sequence + 1, checkpoint: head.sequence + 5))
        let forged = AuditCheckpoint(sequence: head.sequence, hash: [UInt8](repeating: 7, count: 32), time: head.time)
        #expect(try f.service.compareAudit(with: forged) == .diverged(checkpoint: head.sequence))
    }
}

/// The server's path for reads: served on the task, their durable work done after.
struct DeferredAuditTests {
    @Test func aDeferredReadIsAuditedAndBookkeptOnlyAfterItsBodyAndBeforeItReturns() async throws {
        let f = try ServiceFixture()
        try f.create("db/password", "secret value")
        let reads = AuditFilter(action: AuditAction.getSecretValue)
        let (value, failure) = await f.service.serveWithDeferredAudit { () -> String? in
            let value = try? f.get("db/password").SecretString
            #expect(try! f.events(reads).isEmpty, "the event waits for the commit after the body")
            return value
        }
        #expect(value == "secret value")
        #expect(failure == nil)
        #expect(try f.events(reads).count == 1)
        let described = try f.service.describeSecret(SecretIdRequest(SecretId: "db/password"), f.dev)
        #expect(described.LastAccessedDate == (f.clock.now / 86_400).rounded(.down) * 86_400)
    }

    @Test func aDeferredReadWhoseEventsCannotBeWrittenReportsTheFailure() async throws {
        let f = try ServiceFixture()
        try f.create("db/password", "secret value")
        try FileManager.default.removeItem(atPath: f.root + "/keys/_audit.key")
        let service = try DataStoreSetup.open(DataDirectory(path: f.root), variables: [:])
        let (_, failure) = await service.serveWithDeferredAudit {
            try? service.getSecretValue(GetSecretValueRequest(SecretId: "db/password"), f.dev)
        }
        #expect(failure != nil)
        #expect(!"\(failure.map { "\($0)" } ?? "")".contains("secret value"))
    }
}

/// Raw SQL on a test's database file (for tampering), without GRDB in this test target.
struct DatabaseQueueHandle {
    let path: String
    init(path: String) throws { self.path = path }

    func execute(_ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path, sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SejfError(.internalServiceError, "sqlite3 failed: \(sql)") }
    }
}
