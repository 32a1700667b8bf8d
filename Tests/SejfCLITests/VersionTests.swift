import Foundation
import Testing

/// Versions, staging labels and ClientRequestToken idempotency.
@Suite("Versions and labels")
struct VersionTests {
    /// `secret versions --output json --include-deprecated` as `[(id, stages)]`, newest first.
    private func versions(_ sandbox: Sandbox, _ name: String) throws -> [(id: String, stages: [String])] {
        let result = sandbox.sejf(["secret", "versions", name, "--env", "dev", "--output", "json", "--include-deprecated"])
        try #require(result.status == 0, "versions failed: \(result)")
        let list = try #require(try jsonObject(result)["Versions"] as? [[String: Any]])
        return try list.map { (try #require($0["VersionId"] as? String), $0["VersionStages"] as? [String] ?? []) }
    }

    @Test("AWSCURRENT/AWSPREVIOUS move on put; label moves AWSCURRENT back; a custom label leaves it")
    func labels() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        let old = try sandbox.put("app/token", "first-value")
        let new = try sandbox.put("app/token", "second-value")

        var listed = try versions(sandbox, "app/token")
        #expect(listed.map(\.id) == [new, old])
        #expect(listed.first?.stages == ["AWSCURRENT"])
        #expect(listed.last?.stages == ["AWSPREVIOUS"])

        // The text table too: newest first, with the stages.
        let table = sandbox.sejf(["secret", "versions", "app/token", "--env", "dev"])
        expectSuccess(table)
        let rows = table.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 2)
        #expect(rows.first?.hasPrefix(new) == true && rows.first?.hasSuffix("AWSCURRENT") == true)
        #expect(rows.last?.hasPrefix(old) == true && rows.last?.hasSuffix("AWSPREVIOUS") == true)

        #expect(try sandbox.get("app/token") == "second-value\n")
        #expect(try sandbox.get("app/token", extra: ["--label", "AWSPREVIOUS"]) == "first-value\n")
        #expect(try sandbox.get("app/token", extra: ["--version-id", old]) == "first-value\n")

        // Roll back: AWSCURRENT onto the old version; the newer one becomes AWSPREVIOUS.
        expectSuccess(sandbox.sejf(["secret", "label", "app/token", "AWSCURRENT", "--to", old, "--env", "dev"]))
        listed = try versions(sandbox, "app/token")
        #expect(listed.first { $0.id == old }?.stages == ["AWSCURRENT"])
        #expect(listed.first { $0.id == new }?.stages == ["AWSPREVIOUS"])
        #expect(try sandbox.get("app/token") == "first-value\n")
        #expect(try sandbox.get("app/token", extra: ["--label", "AWSPREVIOUS"]) == "second-value\n")

        // A version staged under a custom label does not become current.
        let staged = sandbox.sejf(["secret", "put", "app/token", "--env", "dev", "--value", "third-value",
                                   "--label", "STAGING-TEST", "--output", "json"])
        expectSuccess(staged)
        let stagedObject = try jsonObject(staged)
        let stagedId = try #require(stagedObject["VersionId"] as? String)
        #expect(stagedObject["VersionStages"] as? [String] == ["STAGING-TEST"])
        #expect(try sandbox.get("app/token") == "first-value\n")
        #expect(try sandbox.get("app/token", extra: ["--label", "STAGING-TEST"]) == "third-value\n")
        listed = try versions(sandbox, "app/token")
        #expect(listed.first { $0.id == stagedId }?.stages == ["STAGING-TEST"])
        #expect(listed.first { $0.id == old }?.stages == ["AWSCURRENT"])
        #expect(listed.first { $0.id == new }?.stages == ["AWSPREVIOUS"])

        // An unknown label is ResourceNotFoundException.
        expectFailure(sandbox.sejf(["secret", "get", "app/token", "--env", "dev", "--label", "NOPE"]),
                      code: "ResourceNotFoundException", mentioning: ["NOPE"])
    }

    @Test("put --token: same value is a no-op, another value is ResourceExistsException")
    func idempotentToken() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("api/key", "initial-value")
        let token = UUID().uuidString.lowercased()
        #expect(token.count == 36)

        let first = try sandbox.put("api/key", "retried-value", extra: ["--token", token])
        let second = try sandbox.put("api/key", "retried-value", extra: ["--token", token])
        #expect(first == token, "the token becomes the version id")
        #expect(second == first)
        #expect(try versions(sandbox, "api/key").count == 2, "the retry must not add a version")
        #expect(try sandbox.get("api/key") == "retried-value\n")

        let conflict = sandbox.sejf(["secret", "put", "api/key", "--env", "dev", "--value", "other-value", "--token", token])
        let message = expectFailure(conflict, code: "ResourceExistsException")
        #expect(!message.contains("other-value") && !message.contains("retried-value"), "a value leaked: \(message)")
        #expect(try versions(sandbox, "api/key").count == 2)
        #expect(try sandbox.get("api/key") == "retried-value\n")
    }
}
