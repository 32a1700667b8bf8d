import Foundation  // JSONDecoder/JSONEncoder, for the Codable round trips
import Testing
@testable import SejfCore

private func role(_ name: String = "db-reader", actions: [String] = ["secretsmanager:GetSecretValue"],
                  secrets: [String] = ["db/*"], tags: [String: String]? = nil) -> AccessRole {
    AccessRole(name: name, rules: [AccessRule(actions: actions, secrets: secrets, tags: tags)])
}

private func binding(_ name: String = "readers-dev", role: String = "reader", principals: [String] = ["alice"],
                     environments: [String] = ["dev"]) -> AccessBinding {
    AccessBinding(name: name, role: role, principals: principals, environments: environments)
}

/// The `InvalidParameterException` message `body` throws, or nil.
private func failure(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as SejfError {
        #expect(error.code == .invalidParameter)
        return error.message
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

struct AccessRoleValidationTests {
    @Test func validRoles() throws {
        try AccessControl.validate(role: role())
        try AccessControl.validate(role: role("a", actions: ["*"], secrets: ["*"]))
        try AccessControl.validate(role: role(String(repeating: "x", count: 64), actions: ["secretsmanager:Describe*", "secretsmanager:*"],
                                              secrets: ["arn:aws:secretsmanager:prod:*:secret:db/*", "config/*", "a?b"],
                                              tags: ["sejf:kind": "config", "team": ""]))
    }

    @Test(arguments: ["", "DB", "db_reader", "db reader", "db.reader", String(repeating: "x", count: 65)])
    func badNames(name: String) {
        #expect(failure { try AccessControl.validate(role: role(name)) }?.hasPrefix("Invalid role name") == true)
    }

    @Test func builtinNamesAreReserved() {
        #expect(failure { try AccessControl.validate(role: role("admin")) } == "The role name 'admin' is reserved for a built-in role.")
        #expect(failure { try AccessControl.validate(role: role("config-reader")) } != nil)
    }

    @Test func emptyLists() {
        #expect(failure { try AccessControl.validate(role: AccessRole(name: "r", rules: [])) } == "Role 'r' has no rules: give at least one.")
        #expect(failure { try AccessControl.validate(role: role("r", actions: [])) } == "Role 'r', rule 1 has no actions: give at least one.")
        #expect(failure { try AccessControl.validate(role: role("r", secrets: [])) }?.hasPrefix("Role 'r', rule 1 has no secrets") == true)
    }

    @Test(arguments: ["secretsmanager:NoSuchThing", "secretsmanager:Get", "kms:Decrypt", "s3:*", "GetSecretValue", "",
                      "secretsmanager:", "secretsmanager:Get Secret", "*:GetSecretValue", "secretsmanager:Get/*"])
    func badActions(action: String) {
        let message = failure { try AccessControl.validate(role: role("r", actions: ["secretsmanager:GetSecretValue", action])) }
        #expect(message?.hasPrefix("Role 'r', rule 1 has the action '\(action)', which matches no Secrets Manager action") == true)
    }

    @Test(arguments: ["secretsmanager:GetSecretValue", "secretsmanager:get*", "SECRETSMANAGER:LISTSECRETS", "secretsmanager:*Policy",
                      "secretsmanager:?etRandomPassword", "*"])
    func goodActions(action: String) throws {
        try AccessControl.validate(role: role(actions: [action]))
    }

    @Test(arguments: ["", "db credentials", "db/#", "db:x", "ARN:aws:x", String(repeating: "a", count: 513),
                      "arn:" + String(repeating: "a", count: 2045), "arn:aws:secretsmanager:prod:1:secret:db %"])
    func badSecretPatterns(pattern: String) {
        #expect(failure { try AccessControl.validate(role: role("r", secrets: [pattern])) }?.contains("which is not a secret name or ARN pattern") == true)
    }

    @Test func badTags() {
        #expect(failure { try AccessControl.validate(role: role("r", tags: ["": "x"])) }?.contains("tag key") == true)
        #expect(failure { try AccessControl.validate(role: role("r", tags: ["a": String(repeating: "v", count: 257)])) } != nil)
        #expect(failure { try AccessControl.validate(role: role("r", tags: ["a": "x#y"])) } != nil)
    }

    @Test func longDescription() {
        var r = role()
        r.description = String(repeating: "d", count: 1001)
        #expect(failure { try AccessControl.validate(role: r) } == "The description of role 'db-reader' is longer than 1000 characters.")
    }

    @Test func ruleNumberInMessages() {
        let r = AccessRole(name: "r", rules: [AccessRule(actions: ["*"], secrets: ["*"]), AccessRule(actions: ["secretsmanager:Nope"], secrets: ["*"])])
        #expect(failure { try AccessControl.validate(role: r) }?.hasPrefix("Role 'r', rule 2 ") == true)
    }
}

struct AccessBindingValidationTests {
    @Test func validBindings() throws {
        try AccessControl.validate(binding: binding(), roles: [])
        try AccessControl.validate(binding: binding(role: "db-reader", principals: ["*"], environments: ["*"]), roles: [role()])
        try AccessControl.validate(binding: binding(principals: ["api", "ci.bot@example.com", "A+b=c,d_e-f"], environments: ["dev", "qa-2"]), roles: [])
    }

    @Test func problems() {
        #expect(failure { try AccessControl.validate(binding: binding("Readers"), roles: []) }?.hasPrefix("Invalid binding name") == true)
        #expect(failure { try AccessControl.validate(binding: binding(role: "db-reader"), roles: []) }
            == "Binding 'readers-dev' refers to the role 'db-reader', which does not exist.")
        #expect(failure { try AccessControl.validate(binding: binding(principals: []), roles: []) }?.contains("has no principals") == true)
        #expect(failure { try AccessControl.validate(binding: binding(principals: ["a b"]), roles: []) }?.contains("principal 'a b'") == true)
        #expect(failure { try AccessControl.validate(binding: binding(principals: [String(repeating: "p", count: 65)]), roles: []) } != nil)
        #expect(failure { try AccessControl.validate(binding: binding(environments: []), roles: []) }?.contains("has no environments") == true)
        #expect(failure { try AccessControl.validate(binding: binding(environments: ["Prod"]), roles: []) }?.contains("environment 'Prod'") == true)
        #expect(failure { try AccessControl.validate(binding: binding(environments: ["dev*"]), roles: []) } != nil)
    }

    @Test func wholeConfiguration() throws {
        try AccessControl(roles: [role()], bindings: [binding(role: "db-reader")]).validate()
        #expect(failure { try AccessControl(roles: [role(), role()]).validate() } == "There are two roles named 'db-reader'.")
        #expect(failure { try AccessControl(bindings: [binding(), binding()]).validate() } == "There are two bindings named 'readers-dev'.")
        #expect(failure { try AccessControl(roles: [role("writer")]).validate() } != nil)
    }
}

struct AccessControlCodableTests {
    @Test func ruleDefaultsToAllow() throws {
        let rule = try JSONDecoder().decode(AccessRule.self, from: Data(#"{"actions": ["*"], "secrets": ["db/*"]}"#.utf8))
        #expect(rule == AccessRule(actions: ["*"], secrets: ["db/*"]))
        let deny = try JSONDecoder().decode(AccessRule.self, from: Data(
            #"{"effect": "deny", "actions": ["*"], "secrets": ["*"], "tags": {"sejf:kind": "config"}}"#.utf8))
        #expect(deny == AccessRule(effect: .deny, actions: ["*"], secrets: ["*"], tags: ["sejf:kind": "config"]))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AccessRule.self, from: Data(#"{"effect": "Deny", "actions": ["*"], "secrets": ["*"]}"#.utf8))
        }
    }

    @Test func roleRoundTripNeverBuiltIn() throws {
        let builtin = AccessControl.builtinRoles[1]
        let decoded = try JSONDecoder().decode(AccessRole.self, from: JSONEncoder().encode(builtin))
        #expect(decoded.name == "reader")
        #expect(decoded.rules == builtin.rules)
        #expect(!decoded.isBuiltIn)
        let forged = try JSONDecoder().decode(AccessRole.self, from: Data(#"{"name": "x", "rules": [], "isBuiltIn": true}"#.utf8))
        #expect(!forged.isBuiltIn)
        #expect(forged.description == "")
    }

    @Test func bindingRoundTrip() throws {
        let b = binding()
        #expect(try JSONDecoder().decode(AccessBinding.self, from: JSONEncoder().encode(b)) == b)
    }
}
