import Testing
@testable import SejfCore

/// Shared fixtures for the access-control tests.
enum AccessFixture {
    static let account = "123456789012"
    static let now = 1_700_000_000.0  // 2023-11-14T22:13:20Z

    static func env(_ name: String) -> EnvironmentName { try! EnvironmentName(name) }

    static func secret(_ name: String, env: String = "prod", tags: [String: String] = [:], policy: String? = nil) -> SecretFacts {
        SecretFacts(arn: SecretARN(environment: AccessFixture.env(env), account: account, name: name, suffix: "AbCdEf"),
                    tags: tags.sorted { $0.key < $1.key }.map { Tag(key: $0.key, value: $0.value) },
                    resourcePolicy: policy.map { try! ResourcePolicy(json: $0) })
    }

    static func request(_ operation: String = "GetSecretValue", as principal: String = "alice",
                        on secret: SecretFacts? = AccessFixture.secret("db/credentials"), env: String = "prod",
                        sourceIp: String? = "10.1.2.3", now: Double = AccessFixture.now) -> AccessRequest {
        AccessRequest(principal: principal, account: account, environment: AccessFixture.env(env), operation: operation,
                      secret: secret, sourceIp: sourceIp, now: now)
    }

    /// One custom role with the given rules, bound to `principals` in `environments`.
    static func access(_ rules: [AccessRule], principals: [String] = ["alice"], environments: [String] = ["*"]) -> AccessControl {
        AccessControl(roles: [AccessRole(name: "custom", rules: rules)],
                      bindings: [AccessBinding(name: "custom-binding", role: "custom", principals: principals, environments: environments)])
    }
}

private typealias F = AccessFixture

struct AccessRuleMatchingTests {
    @Test(arguments: [
        ("secretsmanager:GetSecretValue", "GetSecretValue", true),
        ("secretsmanager:GetSecretValue", "DescribeSecret", false),
        ("secretsmanager:Get*", "GetSecretValue", true),
        ("secretsmanager:Get*", "GetResourcePolicy", true),
        ("secretsmanager:Get*", "BatchGetSecretValue", false),
        ("secretsmanager:Describe*", "DescribeSecret", true),
        ("secretsmanager:*", "DeleteSecret", true),
        ("*", "RotateSecret", true),
        ("secretsmanager:*Secret", "DeleteSecret", true),
        ("secretsmanager:*Secret", "ListSecrets", false),
        ("secretsmanager:?etSecretValue", "GetSecretValue", true),
        ("SecretsManager:getsecretvalue", "GetSecretValue", true),  // IAM actions ignore case
        ("kms:Decrypt", "GetSecretValue", false),
    ])
    func actionPatterns(pattern: String, operation: String, allowed: Bool) {
        let access = F.access([AccessRule(actions: [pattern], secrets: ["*"])])
        #expect(access.decide(F.request(operation)).isAllowed == allowed)
    }

    /// Name patterns: `*` crosses `/` (IAM semantics), `?` is one character, case matters.
    @Test(arguments: [
        ("db/*", "db/credentials", true),
        ("db/*", "db/a/b", true),
        ("db/*", "db", false),
        ("db/*", "dbx/credentials", false),
        ("db*", "db", true),
        ("*", "anything/at/all", true),
        ("db/credentials", "db/credentials", true),
        ("db/credentials", "db/credentials2", false),
        ("db/?", "db/a", true),
        ("db/?", "db/ab", false),
        ("DB/*", "db/credentials", false),
        ("*/password", "app/db/password", true),
    ])
    func namePatterns(pattern: String, name: String, allowed: Bool) {
        let access = F.access([AccessRule(actions: ["*"], secrets: [pattern])])
        #expect(access.decide(F.request(on: F.secret(name))).isAllowed == allowed)
    }

    /// ARN patterns match the ARN (environment, account and suffix included), not the name.
    @Test(arguments: [
        ("arn:aws:secretsmanager:prod:123456789012:secret:db/*", "prod", true),
        ("arn:aws:secretsmanager:prod:123456789012:secret:db/*", "dev", false),
        ("arn:aws:secretsmanager:*:123456789012:secret:db/*", "dev", true),
        ("arn:aws:secretsmanager:prod:999999999999:secret:db/*", "prod", false),
        ("arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf", "prod", true),
        ("arn:aws:secretsmanager:prod:123456789012:secret:db/credentials", "prod", false),
        ("arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-??????", "prod", true),
        ("arn:*", "staging", true),
    ])
    func arnPatterns(pattern: String, env: String, allowed: Bool) {
        let access = F.access([AccessRule(actions: ["*"], secrets: [pattern])])
        #expect(access.decide(F.request(on: F.secret("db/credentials", env: env), env: env)).isAllowed == allowed)
    }

    @Test func anyOfSeveralPatternsAndActions() {
        let access = F.access([AccessRule(actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                                          secrets: ["config/*", "db/*"])])
        #expect(access.decide(F.request("GetSecretValue", on: F.secret("config/app"))).isAllowed)
        #expect(access.decide(F.request("DescribeSecret", on: F.secret("db/x"))).isAllowed)
        #expect(!access.decide(F.request("PutSecretValue", on: F.secret("db/x"))).isAllowed)
        #expect(!access.decide(F.request("GetSecretValue", on: F.secret("api/key"))).isAllowed)
    }

    @Test func tagConditionsMustAllMatch() {
        let access = F.access([AccessRule(actions: ["*"], secrets: ["*"], tags: ["sejf:kind": "config", "team": "web"])])
        #expect(access.decide(F.request(on: F.secret("a", tags: ["sejf:kind": "config", "team": "web", "x": "y"]))).isAllowed)
        #expect(!access.decide(F.request(on: F.secret("a", tags: ["sejf:kind": "config"]))).isAllowed)
        #expect(!access.decide(F.request(on: F.secret("a", tags: ["sejf:kind": "config", "team": "Web"]))).isAllowed)
        #expect(!access.decide(F.request(on: F.secret("a"))).isAllowed)
    }

    @Test func emptyTagsAreNoCondition() {
        let access = F.access([AccessRule(actions: ["*"], secrets: ["*"], tags: [:])])
        #expect(access.decide(F.request()).isAllowed)
    }
}

struct AccessBindingTests {
    @Test func environmentsListAndWildcard() {
        let listed = F.access([AccessRule(actions: ["*"], secrets: ["*"])], environments: ["dev", "staging"])
        #expect(listed.decide(F.request(on: F.secret("a", env: "dev"), env: "dev")).isAllowed)
        #expect(listed.decide(F.request(on: F.secret("a", env: "staging"), env: "staging")).isAllowed)
        #expect(listed.decide(F.request(on: F.secret("a", env: "prod"), env: "prod")) == .implicitDeny)
        let everywhere = F.access([AccessRule(actions: ["*"], secrets: ["*"])], environments: ["*"])
        for env in ["dev", "staging", "prod", "qa-2"] {
            #expect(everywhere.decide(F.request(on: F.secret("a", env: env), env: env)).isAllowed)
        }
    }

    @Test func unboundPrincipalIsImplicitlyDenied() {
        let access = F.access([AccessRule(actions: ["*"], secrets: ["*"])], principals: ["alice"])
        #expect(access.decide(F.request(as: "bob")) == .implicitDeny)
        #expect(access.decide(F.request(as: "Alice")) == .implicitDeny)
        #expect(AccessControl().decide(F.request()) == .implicitDeny)
    }

    @Test func wildcardPrincipal() {
        let access = F.access([AccessRule(actions: ["*"], secrets: ["*"])], principals: ["*"])
        #expect(access.decide(F.request(as: "anyone")).isAllowed)
    }

    @Test func bindingToMissingRoleGrantsNothing() {
        let access = AccessControl(bindings: [AccessBinding(name: "b", role: "nope", principals: ["alice"], environments: ["*"])])
        #expect(access.decide(F.request()) == .implicitDeny)
    }

    @Test func builtinRolesCannotBeShadowed() {
        let access = AccessControl(
            roles: [AccessRole(name: "reader", rules: [AccessRule(actions: ["*"], secrets: ["*"])])],
            bindings: [AccessBinding(name: "b", role: "reader", principals: ["alice"], environments: ["*"])])
        #expect(!access.decide(F.request("DeleteSecret")).isAllowed)
        #expect(access.role(named: "reader")?.isBuiltIn == true)
    }
}

struct AccessDecisionTests {
    static let ops = AccessRole(name: "ops", rules: [
        AccessRule(actions: ["*"], secrets: ["*"]),
        AccessRule(effect: .deny, actions: ["secretsmanager:GetSecretValue"], secrets: ["db/*"]),
    ])

    @Test func allowNamesRoleBindingAndRule() {
        let access = AccessControl(bindings: [AccessBinding(name: "readers-dev", role: "reader", principals: ["alice"], environments: ["dev"])])
        #expect(access.decide(F.request(on: F.secret("a", env: "dev"), env: "dev"))
            == .allowed(by: "role reader (binding readers-dev), rule 1"))
        #expect(access.decide(F.request(on: F.secret("a", env: "dev"), env: "dev")).description
            == "allowed by role reader (binding readers-dev), rule 1")
    }

    @Test func denyRuleBeatsAllowInSameRole() {
        let access = AccessControl(roles: [Self.ops],
                                   bindings: [AccessBinding(name: "ops-all", role: "ops", principals: ["alice"], environments: ["*"])])
        #expect(access.decide(F.request()) == .denied(by: "role ops (binding ops-all), rule 2 (deny)", inResourcePolicy: false))
        #expect(access.decide(F.request("DescribeSecret")) == .allowed(by: "role ops (binding ops-all), rule 1"))
        #expect(access.decide(F.request(on: F.secret("api/key"))) == .allowed(by: "role ops (binding ops-all), rule 1"))
    }

    @Test func denyBeatsAllowAcrossRolesWhateverTheOrder() {
        let deny = AccessRole(name: "no-db", rules: [AccessRule(effect: .deny, actions: ["secretsmanager:*"], secrets: ["db/*"])])
        for bindings in [
            [AccessBinding(name: "admins", role: "admin", principals: ["alice"], environments: ["*"]),
             AccessBinding(name: "fence", role: "no-db", principals: ["alice"], environments: ["prod"])],
            [AccessBinding(name: "fence", role: "no-db", principals: ["alice"], environments: ["prod"]),
             AccessBinding(name: "admins", role: "admin", principals: ["alice"], environments: ["*"])],
        ] {
            let access = AccessControl(roles: [deny], bindings: bindings)
            #expect(access.decide(F.request()) == .denied(by: "role no-db (binding fence), rule 1 (deny)", inResourcePolicy: false))
            #expect(access.decide(F.request(on: F.secret("db/x", env: "dev"), env: "dev")).isAllowed)
        }
    }

    @Test func descriptions() {
        #expect(AccessDecision.implicitDeny.description == "denied: no role or resource policy allows it")
        #expect(AccessDecision.denied(by: "role ops (binding b), rule 2 (deny)", inResourcePolicy: false).description
            == "denied by role ops (binding b), rule 2 (deny)")
        #expect(!AccessDecision.implicitDeny.isAllowed)
    }
}

struct AccountLevelActionTests {
    /// A principal who may list `db/*` may call `ListSecrets`; the listing is then filtered.
    @Test func listSecretsWithScopedAllowThenFiltered() {
        let access = F.access([AccessRule(actions: ["secretsmanager:ListSecrets"], secrets: ["db/*"])])
        let list = F.request("ListSecrets", on: nil)
        #expect(access.decide(list) == .allowed(by: "role custom (binding custom-binding), rule 1"))
        #expect(access.canSee(F.secret("db/credentials"), for: list))
        #expect(!access.canSee(F.secret("api/key"), for: list))
    }

    @Test func listSecretsNeedsTheAction() {
        let access = F.access([AccessRule(actions: ["secretsmanager:GetSecretValue"], secrets: ["*"])])
        #expect(access.decide(F.request("ListSecrets", on: nil)) == .implicitDeny)
    }

    @Test func narrowDenyHidesButDoesNotRefuse() {
        let access = F.access([
            AccessRule(actions: ["*"], secrets: ["*"]),
            AccessRule(effect: .deny, actions: ["*"], secrets: ["db/*"]),
        ])
        let list = F.request("ListSecrets", on: nil)
        #expect(access.decide(list).isAllowed)
        #expect(!access.canSee(F.secret("db/credentials"), for: list))
        #expect(access.canSee(F.secret("api/key"), for: list))
    }

    @Test func denyOnEverySecretRefusesTheCall() {
        let access = F.access([
            AccessRule(actions: ["*"], secrets: ["*"]),
            AccessRule(effect: .deny, actions: ["secretsmanager:ListSecrets"], secrets: ["*"]),
        ])
        #expect(access.decide(F.request("ListSecrets", on: nil))
            == .denied(by: "role custom (binding custom-binding), rule 2 (deny)", inResourcePolicy: false))
        let tagged = F.access([
            AccessRule(actions: ["*"], secrets: ["*"]),
            AccessRule(effect: .deny, actions: ["secretsmanager:ListSecrets"], secrets: ["*"], tags: ["team": "x"]),
        ])
        #expect(tagged.decide(F.request("ListSecrets", on: nil)).isAllowed)
    }

    @Test func getRandomPassword() {
        #expect(F.access([AccessRule(actions: ["secretsmanager:GetRandomPassword"], secrets: ["*"])])
            .decide(F.request("GetRandomPassword", on: nil)).isAllowed)
        #expect(F.access([AccessRule(actions: ["secretsmanager:Get*"], secrets: ["db/*"])])
            .decide(F.request("GetRandomPassword", on: nil)).isAllowed)
        #expect(F.access([AccessRule(actions: ["secretsmanager:GetSecretValue"], secrets: ["*"])])
            .decide(F.request("GetRandomPassword", on: nil)) == .implicitDeny)
    }

    @Test func configReaderListsOnlyConfig() {
        let access = AccessControl(bindings: [AccessBinding(name: "cfg", role: "config-reader", principals: ["alice"], environments: ["*"])])
        let list = F.request("ListSecrets", on: nil)
        #expect(access.decide(list).isAllowed)
        #expect(access.canSee(F.secret("app/settings", tags: ["sejf:kind": "config"]), for: list))
        #expect(!access.canSee(F.secret("db/credentials"), for: list))
        #expect(access.decide(F.request("BatchGetSecretValue", on: nil)).isAllowed)
    }

    @Test func accountLevelActionsList() {
        #expect(AccessControl.accountLevelActions == [
            "secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets", "secretsmanager:BatchGetSecretValue"])
    }
}

struct BuiltinRoleTests {
    static func allowed(_ role: String, tags: [String: String] = [:]) -> Set<String> {
        let access = AccessControl(bindings: [AccessBinding(name: "b", role: role, principals: ["alice"], environments: ["*"])])
        return Set(PolicyAction.operations.filter { access.decide(F.request($0, on: F.secret("x", tags: tags))).isAllowed })
    }

    static let reader: Set = ["DescribeSecret", "GetSecretValue", "BatchGetSecretValue", "ListSecrets",
                              "ListSecretVersionIds", "GetResourcePolicy"]

    @Test func names() throws {
        #expect(AccessControl.builtinRoles.map(\.name) == ["admin", "reader", "writer", "config-reader"])
        #expect(AccessControl.builtinRoles.allSatisfy { $0.isBuiltIn })
        for role in AccessControl.builtinRoles { try AccessControl.validate(role: role) }
    }

    @Test func admin() {
        #expect(Self.allowed("admin") == Set(PolicyAction.operations))
    }

    @Test func reader() {
        #expect(Self.allowed("reader") == Self.reader)
    }

    @Test func writer() {
        #expect(Self.allowed("writer") == Self.reader.union([
            "CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage", "TagResource", "UntagResource",
            "DeleteSecret", "RestoreSecret", "RotateSecret", "CancelRotateSecret", "GetRandomPassword"]))
        let adminOnly = Set(PolicyAction.operations).subtracting(Self.allowed("writer"))
        #expect(adminOnly == ["PutResourcePolicy", "DeleteResourcePolicy", "ValidateResourcePolicy",
                              "ReplicateSecretToRegions", "RemoveRegionsFromReplication", "StopReplicationToReplica"])
    }

    @Test func configReader() {
        #expect(Self.allowed("config-reader") == [])
        #expect(Self.allowed("config-reader", tags: ["sejf:kind": "config"]) == Self.reader)
        #expect(Self.allowed("config-reader", tags: ["sejf:kind": "secret"]) == [])
    }
}

struct WhoCanTests {
    @Test func listsAllowedPrincipalsInOrder() {
        let access = AccessControl(
            roles: [AccessRole(name: "no-db", rules: [AccessRule(effect: .deny, actions: ["*"], secrets: ["db/*"])])],
            bindings: [
                AccessBinding(name: "readers", role: "reader", principals: ["carol", "alice", "bob"], environments: ["prod"]),
                AccessBinding(name: "fence", role: "no-db", principals: ["bob"], environments: ["*"]),
                AccessBinding(name: "dev-admins", role: "admin", principals: ["dave"], environments: ["dev"]),
            ])
        let everyone = ["alice", "bob", "carol", "dave", "erin", "alice"]
        #expect(access.whoCan(F.request("GetSecretValue"), among: everyone) == ["alice", "carol"])
        #expect(access.whoCan(F.request("GetSecretValue", on: F.secret("api/key")), among: everyone) == ["alice", "bob", "carol"])
        #expect(access.whoCan(F.request("DeleteSecret"), among: everyone) == [])
        #expect(access.whoCan(F.request("DeleteSecret", on: F.secret("x", env: "dev"), env: "dev"), among: everyone) == ["dave"])
    }

    @Test func includesResourcePolicyGrants() {
        let secret = F.secret("db/credentials", policy: #"""
            {"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/erin"},
                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}
            """#)
        #expect(AccessControl().whoCan(F.request(on: secret), among: ["alice", "erin"]) == ["erin"])
    }
}

struct AccessDeniedMessageTests {
    let arn = "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf"

    @Test func implicit() {
        let request = F.request(as: "bob")
        #expect(AccessDecision.implicitDeny.accessDeniedMessage(for: request)
            == "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: \(arn) because no identity-based policy allows the secretsmanager:GetSecretValue action")
    }

    @Test func explicitInRole() {
        let decision = AccessDecision.denied(by: "role ops (binding b), rule 2 (deny)", inResourcePolicy: false)
        #expect(decision.accessDeniedMessage(for: F.request(as: "bob"))
            == "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: \(arn) with an explicit deny in an identity-based policy")
    }

    @Test func explicitInResourcePolicy() {
        let decision = AccessDecision.denied(by: "resource policy statement 'DenyAll'", inResourcePolicy: true)
        #expect(decision.accessDeniedError(for: F.request(as: "bob")) == SejfError(.accessDenied,
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: secretsmanager:GetSecretValue on resource: \(arn) with an explicit deny in a resource-based policy"))
    }

    @Test func accountLevelResourceIsStar() {
        #expect(AccessDecision.implicitDeny.accessDeniedMessage(for: F.request("ListSecrets", as: "bob", on: nil))
            == "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: secretsmanager:ListSecrets on resource: * because no identity-based policy allows the secretsmanager:ListSecrets action")
    }

    @Test func noneWhenAllowed() {
        #expect(AccessDecision.allowed(by: "x").accessDeniedMessage(for: F.request()) == nil)
        #expect(AccessDecision.allowed(by: "x").accessDeniedError(for: F.request()) == nil)
    }
}
