import Foundation
import Testing

@Suite("Diff and promote")
struct DiffTests {
    func prepared() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.initialise(environments: "dev,staging,prod")
        expectSuccess(sandbox.sejf(["config", "set", "api/debug", "false", "--env", "staging"]))
        expectSuccess(sandbox.sejf(["config", "set", "api/debug", "true", "--env", "prod"]))
        expectSuccess(sandbox.sejf(["config", "set", "api/hosts", "shop.example", "--env", "staging"]))
        try sandbox.put("db/password", "staging-secret-value", env: "staging")
        try sandbox.put("db/password", "prod-secret-value", env: "prod")
        try sandbox.put("db/same", "identical", env: "staging")
        try sandbox.put("db/same", "identical", env: "prod")
        return sandbox
    }

    func rows(_ result: CLIResult) throws -> [String: [String: String]] {
        let list = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: String]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["key"]!, $0) })
    }

    @Test("diff shows config side by side, secrets only as same/different, and missing keys")
    func diff() throws {
        let sandbox = try prepared()
        let text = sandbox.sejf(["diff", "--env", "staging", "--env", "prod"])
        expectSuccess(text)
        #expect(!text.stdout.contains("staging-secret-value") && !text.stdout.contains("prod-secret-value"))
        let json = sandbox.sejf(["diff", "--env", "staging", "--env", "prod", "--output", "json"])
        let diff = try rows(json)
        #expect(diff["api/debug"] == ["key": "api/debug", "kind": "config", "status": "different", "left": "false", "right": "true"])
        #expect(diff["api/hosts"]?["status"] == "only-left")
        #expect(diff["db/password"] == ["key": "db/password", "kind": "secret", "status": "different"])
        #expect(diff["db/same"]?["status"] == "same")
        expectFailure(sandbox.sejf(["diff", "--env", "staging"]), mentioning: ["two environments"])
    }

    @Test("diff --app compares only the keys that app uses")
    func diffApp() throws {
        let sandbox = try prepared()
        try sandbox.put("api/django-secret-key", "staging-key", env: "staging")
        let definitions = CLI.packageRoot + "/environments"
        let json = sandbox.sejf(["diff", "--env", "staging", "--env", "prod", "--app", "api", "--definitions", definitions, "--output", "json"])
        expectSuccess(json)
        let diff = try rows(json)
        #expect(Set(diff.keys) == ["api/debug", "api/django-secret-key"])  // api/hosts, db/password: not the app's
        #expect(diff["api/django-secret-key"]?["status"] == "only-left")
        expectFailure(sandbox.sejf(["diff", "--env", "staging", "--env", "prod", "--app", "nope", "--definitions", definitions]),
                      mentioning: ["nope"])
    }

    @Test("promote copies configuration, needs --secrets for secrets, and --dry-run changes nothing")
    func promote() throws {
        let sandbox = try prepared()
        expectSuccess(sandbox.sejf(["promote", "--from", "staging", "--to", "prod", "api/debug", "api/hosts", "--dry-run"]))
        #expect(try sandbox.get("api/debug", env: "prod") == "true\n")
        expectSuccess(sandbox.sejf(["promote", "--from", "staging", "--to", "prod", "api/debug", "api/hosts"]))
        #expect(try sandbox.get("api/debug", env: "prod") == "false\n")
        #expect(try sandbox.get("api/hosts", env: "prod") == "shop.example\n")
        let described = sandbox.sejf(["secret", "describe", "api/hosts", "--env", "prod", "--output", "json"])
        #expect(described.stdout.contains("sejf:kind"))
        expectFailure(sandbox.sejf(["promote", "--from", "staging", "--to", "prod", "db/password"]), mentioning: ["--secrets"])
        #expect(try sandbox.get("db/password", env: "prod") == "prod-secret-value\n")
        expectSuccess(sandbox.sejf(["promote", "--from", "staging", "--to", "prod", "db/password", "--secrets"]))
        #expect(try sandbox.get("db/password", env: "prod") == "staging-secret-value\n")
        expectFailure(sandbox.sejf(["promote", "--from", "staging", "--to", "prod", "no/such"]), mentioning: ["no/such"])
        // Each copy is an audited write in the target environment.
        let events = sandbox.sejf(["audit", "list", "--env", "prod", "--action", "PutSecretValue", "--output", "json"])
        #expect(try #require(try JSONSerialization.jsonObject(with: events.stdoutData) as? [Any]).count >= 2)
    }
}
