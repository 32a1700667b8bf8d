import Foundation
import Testing

/// The README's quick start, end to end through the built binary.
@Suite("Quick start")
struct QuickStartTests {
    @Test("create, put from stdin, get, --json-key, --output json")
    func roundTrip() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()

        let created = sandbox.sejf(["secret", "create", "db/credentials", "--env", "dev",
                                    "--value", #"{"username":"api","password":"s3cr3t"}"#])
        expectSuccess(created)
        let arn = created.stdout.trimmingCharacters(in: .newlines)
        #expect(created.stdout == arn + "\n")
        let arnPattern = try Regex(#"arn:aws:secretsmanager:dev:\d{12}:secret:db/credentials-[A-Za-z0-9]{6}"#)
        #expect(arn.wholeMatch(of: arnPattern) != nil, "ARN \(arn.debugDescription)")

        // `echo -n hunter2 | sejf secret put db/password --env prod --value-file -` creates it.
        let put = sandbox.sejf(["secret", "put", "db/password", "--env", "prod", "--value-file", "-"], stdin: Data("hunter2".utf8))
        expectSuccess(put)
        let versionLine = try Regex(#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}  AWSCURRENT\n"#)
        #expect(put.stdout.wholeMatch(of: versionLine) != nil, "put printed \(put.stdout.debugDescription)")

        #expect(try sandbox.get("db/password", env: "prod") == "hunter2\n")
        #expect(try sandbox.get("db/credentials") == #"{"username":"api","password":"s3cr3t"}"# + "\n")
        #expect(try sandbox.get("db/credentials", extra: ["--json-key", "password"]) == "s3cr3t\n")
        #expect(try sandbox.get("db/credentials", extra: ["--json-key", "username"]) == "api\n")

        let missingKey = sandbox.sejf(["secret", "get", "db/credentials", "--env", "dev", "--json-key", "nope"])
        expectFailure(missingKey, mentioning: ["'nope'"])

        // The secret is per environment: prod's db/password is not in dev.
        expectFailure(sandbox.sejf(["secret", "get", "db/password", "--env", "dev"]), code: "ResourceNotFoundException")

        let json = sandbox.sejf(["secret", "get", "db/credentials", "--env", "dev", "--output", "json"])
        expectSuccess(json)
        let object = try jsonObject(json)
        #expect(Set(object.keys) == ["ARN", "Name", "VersionId", "SecretString", "VersionStages", "CreatedDate"])
        #expect(object["ARN"] as? String == arn)
        #expect(object["Name"] as? String == "db/credentials")
        #expect(object["SecretString"] as? String == #"{"username":"api","password":"s3cr3t"}"#)
        #expect(object["VersionStages"] as? [String] == ["AWSCURRENT"])
        #expect((object["CreatedDate"] as? NSNumber)?.doubleValue ?? 0 > 1_600_000_000)
    }
}
