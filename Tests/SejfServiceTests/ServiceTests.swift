import Foundation
import Synchronization
import Testing
import SejfCore
@testable import SejfService
@testable import SejfStore


/// A data directory set up by `DataStoreSetup`, with a clock the test moves.
/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let seconds = Mutex<Double>(1_800_000_000)
    var now: Double { seconds.withLock { $0 } }
    func advance(by delta: Double) { seconds.withLock { $0 += delta } }
}

final class ServiceFixture: Sendable {
    let root: String
    let service: SecretsService
    let clock = TestClock()
    let dev = RequestContext.localOperator(environment: try! EnvironmentName("dev"))
    let prod = RequestContext.localOperator(environment: try! EnvironmentName("prod"))

    init(rotators: RotatorCatalog = RotatorCatalog()) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-svc-\(UUID().uuidString)").path
        let directory = DataDirectory(path: root)
        _ = try DataStoreSetup.initialise(directory, environments: try ["dev", "prod"].map { .named(try EnvironmentName($0)) },
                                          kdf: .interactive, variables: [:])
        let clock = self.clock
        service = try DataStoreSetup.open(directory, variables: [:], clock: { clock.now }, rotators: rotators)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func advance(days: Double) { clock.advance(by: days * 86_400) }

    @discardableResult
    func create(_ name: String, _ value: String, tags: [SejfCore.Tag]? = nil, description: String? = nil) throws -> CreateSecretResponse {
        try service.createSecret(CreateSecretRequest(Name: name, Description: description, SecretString: value, Tags: tags), dev)
    }

    func get(_ id: String, versionId: String? = nil, stage: String? = nil) throws -> GetSecretValueResponse {
        try service.getSecretValue(GetSecretValueRequest(SecretId: id, VersionId: versionId, VersionStage: stage), dev)
    }

    @discardableResult
    func put(_ id: String, _ value: String, token: String? = nil, stages: [String]? = nil) throws -> PutSecretValueResponse {
        try service.putSecretValue(PutSecretValueRequest(SecretId: id, ClientRequestToken: token, SecretString: value, VersionStages: stages), dev)
    }
}

func expectCode(_ code: SejfError.Code, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code.rawValue), got success", sourceLocation: sourceLocation)
    } catch let error as SejfError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}

struct CreateAndReadTests {
    @Test func createThenGetCurrent() throws {
        let f = try ServiceFixture()
        let created = try f.create("db/credentials", #"{"password":"s3cr3t"}"#)
        #expect(created.ARN.hasPrefix("arn:aws:secretsmanager:dev:"))
        #expect(created.ARN.range(of: #":secret:db/credentials-[A-Za-z0-9]{6}$"#, options: .regularExpression) != nil)
        let value = try f.get("db/credentials")
        #expect(value.SecretString == #"{"password":"s3cr3t"}"#)
        #expect(value.VersionId == created.VersionId)
        #expect(value.VersionStages == ["AWSCURRENT"])
        #expect(try f.get(created.ARN).SecretString == value.SecretString)
    }

    @Test func environmentsAreIsolated() throws {
        let f = try ServiceFixture()
        try f.create("db/credentials", "dev-value")
        expectCode(.resourceNotFound) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "db/credentials"), f.prod) }
        let prodARN = try f.service.createSecret(CreateSecretRequest(Name: "db/credentials", SecretString: "prod-value"), f.prod).ARN
        #expect(prodARN.contains(":prod:"))
        #expect(try f.get("db/credentials").SecretString == "dev-value")
        // A prod ARN does not resolve in dev.
        expectCode(.resourceNotFound) { _ = try f.get(prodARN) }
    }

    @Test func unknownEnvironment() throws {
        let f = try ServiceFixture()
        let qa = RequestContext.localOperator(environment: try EnvironmentName("qa"))
        expectCode(.resourceNotFound) { _ = try f.service.createSecret(CreateSecretRequest(Name: "x", SecretString: "v"), qa) }
        expectCode(.resourceNotFound) { _ = try f.service.listSecrets(ListSecretsRequest(), qa) }
    }

    @Test func createWithoutValueThenPut() throws {
        let f = try ServiceFixture()
        let created = try f.service.createSecret(CreateSecretRequest(Name: "empty"), f.dev)
        #expect(created.VersionId == nil)
        expectCode(.resourceNotFound) { _ = try f.get("empty") }
        try f.put("empty", "now")
        #expect(try f.get("empty").SecretString == "now")
    }

    @Test func duplicateNameIsResourceExists() throws {
        let f = try ServiceFixture()
        try f.create("dup", "a")
        do {
            try f.create("dup", "b")
            Issue.record("expected an error")
        } catch let error as SejfError {
            #expect(error == SejfError(.resourceExists, "The operation failed because the secret dup already exists."))
        }
    }

    @Test func binaryValues() throws {
        let f = try ServiceFixture()
        try f.service.createSecret(CreateSecretRequest(Name: "bin", SecretBinary: Data([0, 1, 255])), f.dev)
        let value = try f.get("bin")
        #expect(value.SecretBinary == Data([0, 1, 255]))
        #expect(value.SecretString == nil)
    }

    @Test func versionAndStageSelection() throws {
        let f = try ServiceFixture()
        let v1 = try f.create("s", "one").VersionId!
        let v2 = try f.put("s", "two").VersionId
        #expect(try f.get("s", versionId: v1).SecretString == "one")
        #expect(try f.get("s", stage: "AWSPREVIOUS").SecretString == "one")
        #expect(try f.get("s", versionId: v2, stage: "AWSCURRENT").SecretString == "two")
        do {
            _ = try f.get("s", versionId: v1, stage: "AWSCURRENT")
            Issue.record("expected an error")
        } catch let error as SejfError {
            #expect(error == SejfError(.invalidRequest, "You provided a VersionStage that is not associated to the provided VersionId."))
        }
        #expect(throws: SejfError.valueNotFound(stage: "AWSPENDING")) { try f.get("s", stage: "AWSPENDING") }
        let missing = String(repeating: "0", count: 32)
        #expect(throws: SejfError.valueNotFound(versionId: missing)) { try f.get("s", versionId: missing) }
    }

    @Test func lastAccessedDateIsADay() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        _ = try f.get("s")
        let described = try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev)
        let day = (f.clock.now / 86_400).rounded(.down) * 86_400
        #expect(described.LastAccessedDate == day)
        // The next day's read moves it; a batch read marks every secret it returns.
        try f.create("t", "v")
        f.advance(days: 1)
        _ = try f.service.batchGetSecretValue(BatchGetSecretValueRequest(SecretIdList: ["s", "t"]), f.dev)
        for name in ["s", "t"] {
            #expect(try f.service.describeSecret(SecretIdRequest(SecretId: name), f.dev).LastAccessedDate == day + 86_400)
        }
    }

    @Test func principalsNeedABinding() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        let api = RequestContext(environment: try EnvironmentName("dev"), principal: Principal(name: "api-prod"),
                                 sourceAddress: "127.0.0.1", userAgent: "test")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "s"), api) }
        expectCode(.accessDenied) { _ = try f.service.listSecrets(ListSecretsRequest(), api) }
        try f.service.createPrincipal(name: "api-prod", description: "API pods")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "s"), api) }
        try f.service.store.write { try $0.saveBinding(AccessBinding(name: "api", role: "reader", principals: ["api-prod"],
                                                                     environments: ["dev"]), at: 0) }
        #expect(try f.service.getSecretValue(GetSecretValueRequest(SecretId: "s"), api).SecretString == "v")
        try f.service.deletePrincipal(name: "api-prod")
        expectCode(.accessDenied) { _ = try f.service.getSecretValue(GetSecretValueRequest(SecretId: "s"), api) }
    }
}

struct IdempotencyTests {
    let token = "6f1c0e9a-3b4d-4a8e-9c2f-1d2e3f4a5b6c"

    @Test func sameTokenSameValueIsANoOp() throws {
        let f = try ServiceFixture()
        try f.create("s", "one")
        let first = try f.put("s", "two", token: token)
        let again = try f.put("s", "two", token: token)
        #expect(first == again)
        #expect(first.VersionId == token)
        let versions = try f.service.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s", IncludeDeprecated: true), f.dev)
        #expect(versions.Versions.count == 2)
    }

    @Test func sameTokenOtherValueIsResourceExists() throws {
        let f = try ServiceFixture()
        let arn = try f.create("s", "one").ARN
        try f.put("s", "two", token: token)
        do {
            try f.put("s", "three", token: token)
            Issue.record("expected an error")
        } catch let error as SejfError {
            #expect(error == SejfError(.resourceExists,
                "You can't use ClientRequestToken \(token) because that value is already in use for a version of secret \(arn)."))
            #expect(!error.message.contains("two") && !error.message.contains("three"))
        }
        #expect(try f.get("s").SecretString == "two")
    }

    @Test func createRetriedWithTheSameTokenSucceeds() throws {
        let f = try ServiceFixture()
        let request = CreateSecretRequest(Name: "s", ClientRequestToken: token, SecretString: "v")
        let first = try f.service.createSecret(request, f.dev)
        let again = try f.service.createSecret(request, f.dev)
        #expect(first == again)
        var other = request
        other.SecretString = "different"
        expectCode(.resourceExists) { _ = try f.service.createSecret(other, f.dev) }
    }

    @Test func badTokens() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        expectCode(.validation) { try f.put("s", "x", token: "short") }
        expectCode(.validation) { try f.put("s", "x", token: String(repeating: "t", count: 65)) }
    }
}

struct LabelAndVersionTests {
    @Test func putMovesCurrentAndPrevious() throws {
        let f = try ServiceFixture()
        let v1 = try f.create("s", "one").VersionId!
        let v2 = try f.put("s", "two").VersionId
        let v3 = try f.put("s", "three").VersionId
        let d = try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev)
        #expect(d.VersionIdsToStages == [v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]])
        let listed = try f.service.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s"), f.dev)
        #expect(listed.Versions.map(\.VersionId) == [v3, v2])
        let all = try f.service.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s", IncludeDeprecated: true), f.dev)
        #expect(all.Versions.map(\.VersionId) == [v3, v2, v1])
    }

    @Test func pendingVersionDoesNotBecomeCurrent() throws {
        let f = try ServiceFixture()
        try f.create("s", "one")
        let pending = try f.put("s", "next", stages: ["AWSPENDING"])
        #expect(pending.VersionStages == ["AWSPENDING"])
        #expect(try f.get("s").SecretString == "one")
        #expect(try f.get("s", stage: "AWSPENDING").SecretString == "next")
    }

    @Test func rollbackWithUpdateSecretVersionStage() throws {
        let f = try ServiceFixture()
        let v1 = try f.create("s", "one").VersionId!
        let v2 = try f.put("s", "two").VersionId
        expectCode(.invalidParameter) {
            _ = try f.service.updateSecretVersionStage(UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "AWSCURRENT", MoveToVersionId: v1), f.dev)
        }
        _ = try f.service.updateSecretVersionStage(
            UpdateSecretVersionStageRequest(SecretId: "s", VersionStage: "AWSCURRENT", RemoveFromVersionId: v2, MoveToVersionId: v1), f.dev)
        #expect(try f.get("s").SecretString == "one")
        #expect(try f.get("s", stage: "AWSPREVIOUS").VersionId == v2)
    }

    @Test func oldLabelLessVersionsArePrunedPastOneHundred() throws {
        let f = try ServiceFixture()
        let first = try #require(try f.create("s", "v0").VersionId)
        f.advance(days: 2)
        for i in 1...100 { try f.put("s", "v\(i)") }
        let all = try f.service.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s", MaxResults: 100, IncludeDeprecated: true), f.dev)
        // 101 were made; the oldest label-less one (older than a day) went, the young ones stay.
        #expect(all.Versions.count == 100)
        #expect(all.NextToken == nil)
        #expect(!all.Versions.map(\.VersionId).contains(first))
        f.advance(days: 0.5)
        for i in 101...103 { try f.put("s", "v\(i)") }
        let more = try f.service.listSecretVersionIds(ListSecretVersionIdsRequest(SecretId: "s", MaxResults: 100, IncludeDeprecated: true), f.dev)
        #expect(more.NextToken != nil, "versions younger than 24 hours are never pruned")
    }
}

struct DeletionAndMetadataTests {
    @Test func scheduledDeletionBlocksReadsUntilRestored() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        let deleted = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "s", RecoveryWindowInDays: 7), f.dev)
        #expect(deleted.DeletionDate == f.clock.now + 7 * 86_400)
        #expect(throws: SejfError.markedForDeletion) { try f.get("s") }
        expectCode(.invalidRequest) { try f.put("s", "w") }
        expectCode(.invalidRequest) { _ = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "s"), f.dev) }
        expectCode(.invalidRequest) { try f.create("s", "again") }
        #expect(try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev).DeletedDate != nil)
        #expect(try f.service.listSecrets(ListSecretsRequest(), f.dev).SecretList.isEmpty)
        #expect(try f.service.listSecrets(ListSecretsRequest(IncludePlannedDeletion: true), f.dev).SecretList.count == 1)
        _ = try f.service.restoreSecret(SecretIdRequest(SecretId: "s"), f.dev)
        #expect(try f.get("s").SecretString == "v")
    }

    @Test func recoveryWindowEndsInPurge() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        _ = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "s", RecoveryWindowInDays: 7), f.dev)
        f.advance(days: 7)
        expectCode(.resourceNotFound) { _ = try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev) }
        expectCode(.resourceNotFound) { _ = try f.service.restoreSecret(SecretIdRequest(SecretId: "s"), f.dev) }
        // The name is free again once purged.
        try f.create("s", "new")
        #expect(try f.get("s").SecretString == "new")
    }

    @Test func forceDeleteIsImmediate() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        _ = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "s", ForceDeleteWithoutRecovery: true), f.dev)
        expectCode(.resourceNotFound) { _ = try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev) }
        expectCode(.invalidParameter) {
            _ = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "x", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true), f.dev)
        }
    }

    @Test func tagsAndDescription() throws {
        let f = try ServiceFixture()
        try f.create("s", "v", tags: [SejfCore.Tag(key: "team", value: "payments")], description: "first")
        try f.service.tagResource(TagResourceRequest(SecretId: "s", Tags: [SejfCore.Tag(key: "team", value: "core"), SejfCore.Tag(key: "tier", value: "1")]), f.dev)
        try f.service.untagResource(UntagResourceRequest(SecretId: "s", TagKeys: ["tier", "absent"]), f.dev)
        _ = try f.service.updateSecret(UpdateSecretRequest(SecretId: "s", Description: "second"), f.dev)
        let d = try f.service.describeSecret(SecretIdRequest(SecretId: "s"), f.dev)
        #expect(d.Tags == [SejfCore.Tag(key: "team", value: "core")])
        #expect(d.Description == "second")
        expectCode(.invalidParameter) { try f.service.tagResource(TagResourceRequest(SecretId: "s", Tags: [SejfCore.Tag(key: "aws:x", value: "")]), f.dev) }
        expectCode(.limitExceeded) {
            try f.service.tagResource(TagResourceRequest(SecretId: "s", Tags: (0..<50).map { SejfCore.Tag(key: "k\($0)", value: "") }), f.dev)
        }
    }

    @Test func updateSecretWithValueMakesANewCurrentVersion() throws {
        let f = try ServiceFixture()
        try f.create("s", "one")
        let updated = try f.service.updateSecret(UpdateSecretRequest(SecretId: "s", SecretString: "two"), f.dev)
        #expect(updated.VersionId != nil)
        #expect(try f.get("s").VersionId == updated.VersionId)
    }
}

struct ListSecretsTests {
    @Test func filtersSortingAndPages() throws {
        let f = try ServiceFixture()
        for name in ["db/b", "db/a", "api/key", "api/debug"] {
            try f.create(name, "v", tags: name == "api/debug" ? [SejfCore.Tag(key: "sejf:kind", value: "config")] : nil)
            f.advance(days: 0.01)
        }
        let byName = try f.service.listSecrets(ListSecretsRequest(SortBy: "name"), f.dev).SecretList.map(\.Name)
        #expect(byName == ["api/debug", "api/key", "db/a", "db/b"])
        let byCreation = try f.service.listSecrets(ListSecretsRequest(SortOrder: "desc"), f.dev).SecretList.map(\.Name)
        #expect(byCreation == ["api/debug", "api/key", "db/a", "db/b"], "newest first")
        let db = try f.service.listSecrets(ListSecretsRequest(Filters: [SecretFilter(Key: "name", Values: ["db/"])], SortBy: "name"), f.dev)
        #expect(db.SecretList.map(\.Name) == ["db/a", "db/b"])
        let notConfig = try f.service.listSecrets(ListSecretsRequest(Filters: [SecretFilter(Key: "tag-key", Values: ["!sejf:kind"])], SortBy: "name"), f.dev)
        #expect(notConfig.SecretList.map(\.Name) == ["api/key", "db/a", "db/b"])
        var names: [String] = []
        var token: String?
        repeat {
            let page = try f.service.listSecrets(ListSecretsRequest(MaxResults: 3, NextToken: token, SortBy: "name"), f.dev)
            #expect(page.SecretList.count <= 3)
            names += page.SecretList.map(\.Name)
            token = page.NextToken
        } while token != nil
        #expect(names == byName)
    }

    /// Pages in every order and direction: each secret exactly once, in the order one big page
    /// gives, also with ties in the sort value and with secrets created and deleted between pages.
    @Test func pagesWalkEveryOrderFromTheirTokens() throws {
        let f = try ServiceFixture()
        for i in 0..<12 {
            try f.create("s/\(String(format: "%02d", (i * 7) % 12))", "v")
            if i % 3 == 2 { f.advance(days: 0.01) }  // three secrets share each creation time
        }
        for i in [1, 5, 9] { _ = try f.get("s/\(String(format: "%02d", i))") }
        for sortBy in ["created-date", "last-changed-date", "last-accessed-date", "name"] {
            for sortOrder in ["asc", "desc"] {
                let whole = try f.service.listSecrets(ListSecretsRequest(SortOrder: sortOrder, SortBy: sortBy), f.dev)
                #expect(whole.NextToken == nil)
                var paged: [String] = []
                var token: String?
                repeat {
                    let page = try f.service.listSecrets(ListSecretsRequest(MaxResults: 5, NextToken: token, SortOrder: sortOrder, SortBy: sortBy), f.dev)
                    paged += page.SecretList.map(\.Name)
                    token = page.NextToken
                    #expect(page.SecretList.count == 5 || token == nil)
                } while token != nil
                #expect(paged == whole.SecretList.map(\.Name), "\(sortBy) \(sortOrder)")
                #expect(Set(paged).count == 12)
            }
        }
        // A name filter is narrowed in the store; paged, it gives what filtering one big page gives.
        let prefixes = [SecretFilter(Key: "name", Values: ["s/0", "s/11"])]
        var filtered: [String] = []
        var next: String?
        repeat {
            let page = try f.service.listSecrets(ListSecretsRequest(MaxResults: 2, NextToken: next, Filters: prefixes, SortBy: "name"), f.dev)
            filtered += page.SecretList.map(\.Name)
            next = page.NextToken
        } while next != nil
        #expect(filtered == (0..<10).map { String(format: "s/%02d", $0) } + ["s/11"])
        let negated = try f.service.listSecrets(ListSecretsRequest(Filters: [SecretFilter(Key: "name", Values: ["!s/0"])], SortBy: "name"), f.dev)
        #expect(negated.SecretList.map(\.Name) == ["s/10", "s/11"])
        // A secret created between pages after the position, and one deleted before it, move nothing.
        let first = try f.service.listSecrets(ListSecretsRequest(MaxResults: 4, SortBy: "name"), f.dev)
        try f.create("s/00a", "v")
        _ = try f.service.deleteSecret(DeleteSecretRequest(SecretId: "s/01", ForceDeleteWithoutRecovery: true), f.dev)
        let second = try f.service.listSecrets(ListSecretsRequest(MaxResults: 4, NextToken: first.NextToken, SortBy: "name"), f.dev)
        #expect(first.SecretList.map(\.Name) == ["s/00", "s/01", "s/02", "s/03"])
        #expect(second.SecretList.map(\.Name) == ["s/04", "s/05", "s/06", "s/07"])
        // A token is for the order it was issued for.
        expectCode(.invalidNextToken) {
            _ = try f.service.listSecrets(ListSecretsRequest(MaxResults: 4, NextToken: first.NextToken, SortOrder: "desc", SortBy: "name"), f.dev)
        }
        expectCode(.invalidNextToken) { _ = try f.service.listSecrets(ListSecretsRequest(NextToken: first.NextToken), f.dev) }
    }

    @Test func badListParameters() throws {
        let f = try ServiceFixture()
        expectCode(.validation) { _ = try f.service.listSecrets(ListSecretsRequest(MaxResults: 0), f.dev) }
        expectCode(.validation) { _ = try f.service.listSecrets(ListSecretsRequest(MaxResults: 101), f.dev) }
        expectCode(.invalidNextToken) { _ = try f.service.listSecrets(ListSecretsRequest(NextToken: "forged"), f.dev) }
        expectCode(.validation) { _ = try f.service.listSecrets(ListSecretsRequest(SortOrder: "sideways"), f.dev) }
        expectCode(.validation) { _ = try f.service.listSecrets(ListSecretsRequest(Filters: [SecretFilter(Key: "colour", Values: ["x"])]), f.dev) }
    }

    @Test func environmentSummary() throws {
        let f = try ServiceFixture()
        try f.create("s", "v")
        try f.create("c", "v", tags: [SejfCore.Tag(key: "sejf:kind", value: "config")])
        let envs = try f.service.listEnvironments()
        #expect(envs.map(\.name) == ["dev", "prod"])
        #expect(envs[0].secrets == 1 && envs[0].configs == 1 && envs[0].keySource == "file")
    }
}

struct EnvironmentDefinitionTests {
    @Test func parsesAValidFile() throws {
        let def = try EnvironmentDefinition.parse(yaml: "name: prod\ndescription: Production\nkubernetes:\n  namespace: shop-prod\n",
                                                  file: "environments/prod.yaml")
        #expect(def == EnvironmentDefinition(name: try EnvironmentName("prod"), description: "Production", namespace: "shop-prod"))
    }

    @Test(arguments: [
        ("name: prod\nkubernetes:\n  namespace: shop-prod\ncolour: red\n", "field 'colour'"),
        ("name: prod\n", "field 'kubernetes'"),
        ("name: prod\nkubernetes:\n  namespace: Shop_Prod\n", "field 'kubernetes.namespace'"),
        ("name: qa\nkubernetes:\n  namespace: qa\n", "field 'name'"),
        ("name: prod\nkubernetes: [1, 2]\n", "field 'kubernetes'"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        ("name: prod\nkubernetes:\n  namespace: 123\n", "field 'kubernetes.namespace': must be a string"),
        ("name: prod\ndescription: true\nkubernetes:\n  namespace: p\n", "field 'description'"),
    ])
    func rejectsWithFileAndField(yaml: String, expected: String) {
        do {
            _ = try EnvironmentDefinition.parse(yaml: yaml, file: "environments/prod.yaml")
            Issue.record("expected an error for \(yaml)")
        } catch let error as SejfError {
            #expect(error.message.hasPrefix("environments/prod.yaml: "))
            #expect(error.message.contains(expected), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func initRefusesASecondRunAndCleansUpAFailedOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-init-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = DataDirectory(path: root)
        // A bad SEJF_KEY for the second environment fails init after the first key file was written.
        #expect(throws: SejfError.self) {
            try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev")), .named(try EnvironmentName("prod"))],
                                          kdf: .interactive, variables: ["SEJF_KEY_PROD": "bad"])
        }
        #expect(!FileManager.default.fileExists(atPath: directory.databasePath))
        #expect(!FileManager.default.fileExists(atPath: directory.keyFilePath(for: try EnvironmentName("dev"))))
        _ = try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev"))], kdf: .interactive, variables: [:])
        #expect(throws: SejfError.self) {
            try DataStoreSetup.initialise(directory, environments: [.named(try EnvironmentName("dev"))], kdf: .interactive, variables: [:])
        }
    }
}
