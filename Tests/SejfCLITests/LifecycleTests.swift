import Foundation
import Testing

/// describe, list, tag, untag, delete, restore; configuration values.
@Suite("Secret lifecycle and configuration")
struct LifecycleTests {
    private func describe(_ sandbox: Sandbox, _ name: String) throws -> [String: Any] {
        let result = sandbox.sejf(["secret", "describe", name, "--env", "dev", "--output", "json"])
        try #require(result.status == 0, "describe failed: \(result)")
        return try jsonObject(result)
    }

    private func tags(_ object: [String: Any]) -> [String: String] {
        let list = object["Tags"] as? [[String: String]] ?? []
        return Dictionary(list.map { ($0["Key"] ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { $1 })
    }

    private func listedNames(_ sandbox: Sandbox, includeDeleted: Bool = false) throws -> [String] {
        let result = sandbox.sejf(["secret", "list", "--env", "dev", "--output", "json"] + (includeDeleted ? ["--include-deleted"] : []))
        try #require(result.status == 0, "list failed: \(result)")
        let list = try #require(try jsonObject(result)["SecretList"] as? [[String: Any]])
        return list.compactMap { $0["Name"] as? String }
    }

    @Test("tag, untag, delete with recovery, list, restore, force delete")
    func lifecycle() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("svc/a", "value-a")
        try sandbox.put("svc/b", "value-b")

        expectSuccess(sandbox.sejf(["secret", "tag", "svc/a", "team=payments", "owner=ops", "--env", "dev"]))
        var described = try describe(sandbox, "svc/a")
        #expect(tags(described) == ["team": "payments", "owner": "ops"])
        #expect(described["Name"] as? String == "svc/a")
        #expect(described["SecretString"] == nil, "describe must never show the value")

        expectSuccess(sandbox.sejf(["secret", "untag", "svc/a", "owner", "--env", "dev"]))
        described = try describe(sandbox, "svc/a")
        #expect(tags(described) == ["team": "payments"])

        // Default deletion: a 30-day recovery window.
        let deleted = sandbox.sejf(["secret", "delete", "svc/a", "--env", "dev", "--output", "json"])
        expectSuccess(deleted)
        let deletion = try jsonObject(deleted)
        let deletionDate = try #require((deletion["DeletionDate"] as? NSNumber)?.doubleValue)
        let days = (deletionDate - Date().timeIntervalSince1970) / 86_400
        #expect(days > 29.9 && days <= 30, "DeletionDate \(days) days away")

        expectFailure(sandbox.sejf(["secret", "get", "svc/a", "--env", "dev"]), code: "InvalidRequestException")
        #expect(try describe(sandbox, "svc/a")["DeletedDate"] != nil)
        #expect(try listedNames(sandbox) == ["svc/b"])
        #expect(try listedNames(sandbox, includeDeleted: true) == ["svc/a", "svc/b"])
        // The name stays taken while it is scheduled for deletion.
        expectFailure(sandbox.sejf(["secret", "create", "svc/a", "--env", "dev", "--value", "again"]), code: "InvalidRequestException")

        expectSuccess(sandbox.sejf(["secret", "restore", "svc/a", "--env", "dev"]))
        #expect(try sandbox.get("svc/a") == "value-a\n")
        #expect(try listedNames(sandbox) == ["svc/a", "svc/b"])
        #expect(try describe(sandbox, "svc/a")["DeletedDate"] == nil)

        expectSuccess(sandbox.sejf(["secret", "delete", "svc/a", "--env", "dev", "--force"]))
        expectFailure(sandbox.sejf(["secret", "describe", "svc/a", "--env", "dev"]), code: "ResourceNotFoundException")
        expectFailure(sandbox.sejf(["secret", "get", "svc/a", "--env", "dev"]), code: "ResourceNotFoundException")
        #expect(try listedNames(sandbox, includeDeleted: true) == ["svc/b"])

        expectFailure(sandbox.sejf(["secret", "delete", "svc/b", "--env", "dev", "--recovery-days", "3"]),
                      code: "InvalidParameterException")
        #expect(try sandbox.get("svc/b") == "value-b\n", "a refused delete must leave the secret alone")
    }

    @Test("config set/get/list, the sejf:kind tag, env list counts")
    func config() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()

        let set = sandbox.sejf(["config", "set", "api/debug", "false", "--env", "dev"])
        expectSuccess(set)
        #expect(set.stdout.isEmpty)

        let get = sandbox.sejf(["config", "get", "api/debug", "--env", "dev"])
        expectSuccess(get)
        #expect(get.stdout == "false\n")

        let list = sandbox.sejf(["config", "list", "--env", "dev", "--output", "json"])
        expectSuccess(list)
        #expect(try jsonValue(list) as? [String: String] == ["api/debug": "false"])

        #expect(tags(try describe(sandbox, "api/debug"))["sejf:kind"] == "config")

        let environments = sandbox.sejf(["env", "list", "--output", "json"])
        expectSuccess(environments)
        let summaries = try #require(try jsonValue(environments) as? [[String: Any]])
        #expect(summaries.compactMap { $0["name"] as? String }.sorted() == ["dev", "prod", "staging"])
        let dev = try #require(summaries.first { $0["name"] as? String == "dev" })
        #expect(dev["configs"] as? Int == 1)
        #expect(dev["secrets"] as? Int == 0)
        let prod = try #require(summaries.first { $0["name"] as? String == "prod" })
        #expect(prod["configs"] as? Int == 0)
    }
}
