import Foundation
import Testing

/// `sejf role`, `bind`, `unbind`, `apply`, `can-i` and `who-can` through the built binary.
/// (Enforcement of requests signed by these principals is tested through the server elsewhere: the
/// embedded CLI always acts as the local operator, admin.)
@Suite("Access control commands")
struct AccessTests {
    // MARK: Roles

    @Test("role create, list, show and delete; delete is refused while a binding gives the role")
    func roleLifecycle() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()

        let list = sandbox.sejf(["role", "list"])
        expectSuccess(list)
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["NAME", "BUILT-IN", "RULES", "DESCRIPTION"])
        #expect(rows.dropFirst().map { Array($0.prefix(3)) } == [
            ["admin", "yes", "1"], ["reader", "yes", "1"], ["writer", "yes", "1"], ["config-reader", "yes", "1"],
        ])

        expectSuccess(sandbox.sejf(["role", "create", "db-reader", "--actions", "GetSecretValue,secretsmanager:DescribeSecret",
                                    "--secrets", "db/*", "--secrets", "api/*", "--description", "Reads credentials"]))
        let roles = try roleList(sandbox)
        #expect(roles.map { $0["name"] as? String } == ["admin", "reader", "writer", "config-reader", "db-reader"])
        #expect(roles.map { $0["builtIn"] as? Bool } == [true, true, true, true, false])
        let created = try #require(roles.last)
        #expect(created["description"] as? String == "Reads credentials")
        let rules = try #require(created["rules"] as? [[String: Any]])
        #expect(rules.count == 1)
        #expect(rules.first?["effect"] as? String == "allow")
        #expect(rules.first?["actions"] as? [String] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
        #expect(rules.first?["secrets"] as? [String] == ["db/*", "api/*"])
        #expect(rules.first?["tags"] == nil)
        #expect(sandbox.sejf(["role", "list"]).stdout.contains("db-reader      no        1      Reads credentials"))

        let show = sandbox.sejf(["role", "show", "db-reader"])
        expectSuccess(show)
        let shown = show.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(shown.contains(["RULE", "EFFECT", "ACTIONS", "SECRETS", "TAGS"]))
        #expect(shown.contains(["1", "allow", "secretsmanager:GetSecretValue", "db/*", "-"]))
        #expect(shown.contains(["secretsmanager:DescribeSecret", "api/*"]))
        #expect(show.stdout.contains("Bindings: none"))

        // A deny rule with a tag condition.
        expectSuccess(sandbox.sejf(["role", "create", "no-config-writes", "--deny", "--actions", "PutSecretValue,UpdateSecret",
                                    "--secrets", "*", "--tag", "sejf:kind=config"]))
        let deny = try jsonObject(sandbox.sejf(["role", "show", "no-config-writes", "--output", "json"]))
        let denyRule = try #require((deny["rules"] as? [[String: Any]])?.first)
        #expect(denyRule["effect"] as? String == "deny")
        #expect(denyRule["tags"] as? [String: String] == ["sejf:kind": "config"])
        #expect(deny["builtIn"] as? Bool == false)
        #expect((deny["bindings"] as? [Any])?.isEmpty == true)

        expectFailure(sandbox.sejf(["role", "create", "db-reader", "--actions", "GetSecretValue", "--secrets", "x"]),
                      code: "ResourceExistsException", mentioning: ["db-reader"])
        expectFailure(sandbox.sejf(["role", "create", "reader", "--actions", "GetSecretValue", "--secrets", "x"]),
                      code: "InvalidParameterException", mentioning: ["reserved"])
        expectFailure(sandbox.sejf(["role", "create", "typo", "--actions", "GetSecret", "--secrets", "x"]),
                      code: "InvalidParameterException", mentioning: ["secretsmanager:GetSecret'"])
        expectFailure(sandbox.sejf(["role", "create", "Bad_Name", "--actions", "GetSecretValue", "--secrets", "x"]),
                      code: "InvalidParameterException", mentioning: ["Bad_Name"])
        expectFailure(sandbox.sejf(["role", "create", "no-secrets", "--actions", "GetSecretValue"]), mentioning: ["--secrets"])
        expectFailure(sandbox.sejf(["role", "create", "no-actions", "--secrets", "x"]), mentioning: ["--actions"])
        expectFailure(sandbox.sejf(["role", "create", "bad-tag", "--actions", "*", "--secrets", "x", "--tag", "novalue"]),
                      mentioning: ["key=value"])
        #expect(try roleList(sandbox).count == 6, "a refused create wrote a role")

        // Bound: delete refused, naming the binding; unbound: deleted.
        expectSuccess(sandbox.sejf(["principal", "create", "alice"]))
        expectSuccess(sandbox.sejf(["bind", "db-reader", "--principal", "alice", "--env", "dev"]))
        expectFailure(sandbox.sejf(["role", "delete", "db-reader"]), code: "InvalidRequestException", mentioning: ["db-reader-alice"])
        let bound = sandbox.sejf(["role", "show", "db-reader"])
        #expect(bound.stdout.split(separator: "\n").contains { $0.split(separator: " ") == ["db-reader-alice", "alice", "dev"] })
        expectSuccess(sandbox.sejf(["unbind", "db-reader", "--principal", "alice"]))
        let deleted = sandbox.sejf(["role", "delete", "db-reader"])
        expectSuccess(deleted)
        #expect(deleted.stdout == "Deleted role db-reader.\n")
        expectFailure(sandbox.sejf(["role", "show", "db-reader"]), code: "ResourceNotFoundException", mentioning: ["db-reader"])
        expectFailure(sandbox.sejf(["role", "delete", "db-reader"]), code: "InvalidRequestException")
        expectFailure(sandbox.sejf(["role", "delete", "reader"]), code: "InvalidRequestException", mentioning: ["built-in"])
        #expect(try roleList(sandbox).map { $0["name"] as? String }.contains("reader"))
    }

    // MARK: Bindings

    @Test("bind adds environments, unbind takes some or all; role bindings lists them")
    func bindAndUnbind() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        for name in ["alice", "bob"] { expectSuccess(sandbox.sejf(["principal", "create", name])) }

        let bind = sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "dev,staging"])
        expectSuccess(bind)
        #expect(bind.stdout == "alice has role reader in dev, staging (binding reader-alice).\n")
        let more = try jsonObject(sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "prod", "--output", "json"]))
        #expect(more["name"] as? String == "reader-alice")
        #expect(more["role"] as? String == "reader")
        #expect(more["principals"] as? [String] == ["alice"])
        #expect(more["environments"] as? [String] == ["dev", "staging", "prod"])
        #expect(try environments(sandbox, "reader-alice") == ["dev", "staging", "prod"])

        let unbind = sandbox.sejf(["unbind", "reader", "--principal", "alice", "--env", "staging"])
        expectSuccess(unbind)
        #expect(unbind.stdout == "Took role reader from alice in staging.\n")
        #expect(try environments(sandbox, "reader-alice") == ["dev", "prod"])
        expectFailure(sandbox.sejf(["unbind", "reader", "--principal", "alice", "--env", "staging"]), mentioning: ["nothing to take"])
        expectSuccess(sandbox.sejf(["unbind", "reader", "--principal", "alice"]))
        #expect(try environments(sandbox, "reader-alice") == nil)
        expectFailure(sandbox.sejf(["unbind", "reader", "--principal", "alice"]), code: "ResourceNotFoundException")

        // '*': every environment; taking one environment from it is refused (it would change nothing).
        let everywhere = sandbox.sejf(["bind", "writer", "--principal", "bob", "--env", "*"])
        expectSuccess(everywhere)
        #expect(everywhere.stdout == "bob has role writer in every environment (binding writer-bob).\n")
        expectFailure(sandbox.sejf(["unbind", "writer", "--principal", "bob", "--env", "dev"]), mentioning: ["'*'"])
        #expect(try environments(sandbox, "writer-bob") == ["*"])

        // A binding of several principals (from apply): taking one environment from one principal
        // would take it from the others, so it is refused; taking the whole role is not.
        let file = try sandbox.file("pair.yaml", Array("""
            bindings:
              - name: pair
                role: reader
                principals: [alice, bob]
                environments: [dev, prod]
            """.utf8))
        expectSuccess(sandbox.sejf(["apply", "-f", file]))
        expectFailure(sandbox.sejf(["unbind", "reader", "--principal", "alice", "--env", "dev"]), mentioning: ["pair", "bob"])
        #expect(try binding(sandbox, "pair")?["principals"] as? [String] == ["alice", "bob"])
        expectSuccess(sandbox.sejf(["unbind", "reader", "--principal", "alice"]))
        #expect(try binding(sandbox, "pair")?["principals"] as? [String] == ["bob"])
        #expect(try binding(sandbox, "pair")?["environments"] as? [String] == ["dev", "prod"])

        // Filters of `role bindings`, and its table.
        let onlyBob = try #require(try jsonValue(sandbox.sejf(["role", "bindings", "--principal", "bob", "--output", "json"])) as? [[String: Any]])
        #expect(Set(onlyBob.compactMap { $0["name"] as? String }) == ["writer-bob", "pair"])
        let onlyWriter = try #require(try jsonValue(sandbox.sejf(["role", "bindings", "writer", "--output", "json"])) as? [[String: Any]])
        #expect(onlyWriter.compactMap { $0["name"] as? String } == ["writer-bob"])
        let table = sandbox.sejf(["role", "bindings"])
        expectSuccess(table)
        #expect(table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) } == [
            ["NAME", "ROLE", "PRINCIPALS", "ENVIRONMENTS"], ["admin", "admin", "admin", "*"], ["pair", "reader", "bob", "dev,prod"],
            ["writer-bob", "writer", "bob", "*"],
        ])

        // Refused, changing nothing.
        let before = sandbox.sejf(["role", "bindings", "--output", "json"]).stdout
        expectFailure(sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "qa"]), mentioning: ["'qa'", "dev, prod, staging"])
        expectFailure(sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "Prod!"]), mentioning: ["Prod!"])
        expectFailure(sandbox.sejf(["bind", "reader", "--principal", "carol", "--env", "dev"]), code: "ResourceNotFoundException",
                      mentioning: ["carol"])
        expectFailure(sandbox.sejf(["bind", "auditor", "--principal", "alice", "--env", "dev"]), code: "ResourceNotFoundException",
                      mentioning: ["auditor"])
        expectFailure(sandbox.sejf(["bind", "reader", "--principal", "alice"]), mentioning: ["--env"])
        expectFailure(sandbox.sejf(["role", "bindings", "auditor"]), code: "ResourceNotFoundException")
        #expect(sandbox.sejf(["role", "bindings", "--output", "json"]).stdout == before)
    }

    // MARK: can-i and who-can

    @Test("can-i answers yes or no with what decided, exit 0 or 1")
    func canI() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        for name in ["alice", "carol"] { expectSuccess(sandbox.sejf(["principal", "create", name])) }
        try sandbox.put("db/password", "pw-dev")
        try sandbox.put("db/password", "pw-prod", env: "prod")
        expectSuccess(sandbox.sejf(["config", "set", "app/flags", "beta=on", "--env", "dev"]))
        expectSuccess(sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "dev"]))

        func canI(_ args: [String]) -> CLIResult { sandbox.sejf(["can-i"] + args) }

        // reader bound in dev: yes in dev, no in prod.
        let yes = canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "dev"])
        #expect(yes.status == 0 && yes.stderr.isEmpty, "\(yes)")
        #expect(yes.stdout == "yes — allowed by role reader (binding reader-alice), rule 1\n")
        #expect(canI(["secretsmanager:GetSecretValue", "db/password", "--as", "alice", "--env", "dev"]).stdout == yes.stdout)
        let no = canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "prod"])
        #expect(no.status == 1 && no.stderr.isEmpty && !no.terminatedBySignal, "\(no)")
        #expect(no.stdout == "no — denied: no role or resource policy allows it\n")
        #expect(canI(["PutSecretValue", "db/password", "--as", "alice", "--env", "dev"]).status == 1, "reader cannot write")

        // JSON: the answer, with the same exit status.
        let json = canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "prod", "--output", "json"])
        #expect(json.status == 1)
        let answer = try jsonObject(json)
        #expect(answer["allowed"] as? Bool == false)
        #expect(answer["reason"] as? String == "denied: no role or resource policy allows it")

        // A deny rule beats reader's allow, for the actions it names only.
        expectSuccess(sandbox.sejf(["role", "create", "no-db", "--deny", "--actions", "GetSecretValue", "--secrets", "db/*"]))
        expectSuccess(sandbox.sejf(["bind", "no-db", "--principal", "alice", "--env", "dev"]))
        let denied = canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "dev"])
        #expect(denied.status == 1)
        #expect(denied.stdout == "no — denied by role no-db (binding no-db-alice), rule 1 (deny)\n")
        #expect(canI(["DescribeSecret", "db/password", "--as", "alice", "--env", "dev"]).status == 0)
        #expect(canI(["GetSecretValue", "app/flags", "--as", "alice", "--env", "dev"]).status == 0)

        // config-reader sees only secrets tagged sejf:kind=config.
        expectSuccess(sandbox.sejf(["bind", "config-reader", "--principal", "carol", "--env", "dev"]))
        let config = canI(["GetSecretValue", "app/flags", "--as", "carol", "--env", "dev"])
        #expect(config.status == 0)
        #expect(config.stdout == "yes — allowed by role config-reader (binding config-reader-carol), rule 1\n")
        let secret = canI(["GetSecretValue", "db/password", "--as", "carol", "--env", "dev"])
        #expect(secret.status == 1)
        #expect(secret.stdout.hasPrefix("no — denied: "))

        // Account-level actions take `-`; a secret that does not exist yet is answered by name.
        #expect(canI(["ListSecrets", "-", "--as", "alice", "--env", "dev"]).status == 0)
        #expect(canI(["ListSecrets", "-", "--as", "alice", "--env", "staging"]).status == 1)
        #expect(canI(["DescribeSecret", "db/not-yet", "--as", "alice", "--env", "dev"]).status == 0)
        // Without --as: the local operator, admin.
        #expect(canI(["DeleteSecret", "db/password", "--env", "prod"]).stdout == "yes — allowed by role admin (binding admin), rule 1\n")

        // Questions that cannot be answered fail with one line on stderr.
        expectFailure(canI(["GetSecretValue", "-", "--as", "alice", "--env", "dev"]), mentioning: ["ListSecrets"])
        expectFailure(canI(["GetSecretValue", "db/password", "--as", "mallory", "--env", "dev"]), code: "ResourceNotFoundException",
                      mentioning: ["mallory"])
        expectFailure(canI(["GetSecret", "db/password", "--as", "alice", "--env", "dev"]), code: "InvalidParameterException",
                      mentioning: ["GetSecret"])
        expectFailure(canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "qa"]), mentioning: ["qa"])
        expectFailure(canI(["GetSecretValue", "db/password", "--as", "alice"]), mentioning: ["--env"])
        expectFailure(canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "dev", "--source-ip", "10.0.0.300"]),
                      mentioning: ["--source-ip"])
        #expect(canI(["GetSecretValue", "db/password", "--as", "alice", "--env", "dev", "--source-ip", "2001:db8::1"]).status == 1)
    }

    @Test("who-can lists the principals a request would be allowed for")
    func whoCan() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        for name in ["alice", "bob", "carol"] { expectSuccess(sandbox.sejf(["principal", "create", name])) }
        try sandbox.put("db/password", "pw")
        expectSuccess(sandbox.sejf(["bind", "reader", "--principal", "alice", "--env", "dev"]))
        expectSuccess(sandbox.sejf(["bind", "writer", "--principal", "bob", "--env", "*"]))
        expectSuccess(sandbox.sejf(["bind", "config-reader", "--principal", "carol", "--env", "dev"]))

        let dev = sandbox.sejf(["who-can", "GetSecretValue", "db/password", "--env", "dev"])
        expectSuccess(dev)
        #expect(Set(dev.stdout.split(separator: "\n")) == ["admin", "alice", "bob"])
        #expect(dev.stdout.hasSuffix("\n"))
        let prod = sandbox.sejf(["who-can", "secretsmanager:GetSecretValue", "db/password", "--env", "prod", "--output", "json"])
        expectSuccess(prod)
        #expect(Set(try #require(try jsonValue(prod) as? [String])) == ["admin", "bob"])
        let writers = try #require(try jsonValue(sandbox.sejf(["who-can", "PutSecretValue", "db/password", "--env", "dev", "--output", "json"])) as? [String])
        #expect(Set(writers) == ["admin", "bob"])
        let listers = try #require(try jsonValue(sandbox.sejf(["who-can", "ListSecrets", "-", "--env", "dev", "--output", "json"])) as? [String])
        #expect(Set(listers) == ["admin", "alice", "bob", "carol"])
        let replicators = try #require(try jsonValue(sandbox.sejf(["who-can", "ReplicateSecretToRegions", "db/password", "--env", "dev", "--output", "json"])) as? [String])
        #expect(replicators == ["admin"])

        expectFailure(sandbox.sejf(["who-can", "GetSecretValue", "-", "--env", "dev"]), mentioning: ["ListSecrets"])
        expectFailure(sandbox.sejf(["who-can", "Fly", "db/password", "--env", "dev"]), code: "InvalidParameterException")
    }

    // MARK: apply

    @Test("apply of examples/access.yaml creates, then changes nothing; the example's rules hold")
    func applyExample() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        let example = CLI.packageRoot + "/examples/access.yaml"

        let first = sandbox.sejf(["apply", "-f", example])
        expectSuccess(first)
        let created = first.stdout.split(separator: "\n").map(String.init)
        #expect(created.count == 17)
        #expect(created.allSatisfy { $0.hasSuffix(" created") }, "\(created)")
        #expect(Array(created.prefix(5)) == ["api-dev", "api-staging", "api-prod", "ci-deployer", "auditor"].map { "principal \($0) created" })
        #expect(created.contains("role api-runtime created"))
        #expect(created.contains("role release-rotator created"))
        #expect(created.contains("binding no-root-secrets-prod created"))

        let second = sandbox.sejf(["apply", "-f", example])
        expectSuccess(second)
        #expect(second.stdout == first.stdout.replacingOccurrences(of: " created\n", with: " unchanged\n"))

        let fromStdin = sandbox.sejf(["apply", "-f", "-", "--output", "json"], stdin: try Data(contentsOf: URL(fileURLWithPath: example)))
        expectSuccess(fromStdin)
        let changes = try #require(try jsonValue(fromStdin) as? [[String: String]])
        #expect(changes.count == 17)
        #expect(changes.allSatisfy { $0["change"] == "unchanged" && Set($0.keys) == ["object", "name", "change"] })
        #expect(changes.first == ["object": "principal", "name": "api-dev", "change": "unchanged"])

        // What the example means.
        func allowed(_ action: String, _ secret: String, as principal: String, in environment: String) -> Bool {
            sandbox.sejf(["can-i", action, secret, "--as", principal, "--env", environment]).status == 0
        }
        try sandbox.put("db/credentials", "pw", env: "prod")
        try sandbox.put("root/postgres", "pw", env: "prod")
        #expect(allowed("GetSecretValue", "db/credentials", as: "api-prod", in: "prod"))
        #expect(!allowed("GetSecretValue", "db/credentials", as: "api-dev", in: "prod"))
        #expect(!allowed("PutSecretValue", "db/credentials", as: "api-prod", in: "prod"))
        #expect(allowed("RotateSecret", "db/credentials", as: "ci-deployer", in: "prod"))
        #expect(!allowed("DeleteSecret", "db/credentials", as: "ci-deployer", in: "prod"))
        #expect(allowed("DeleteSecret", "db/credentials", as: "ci-deployer", in: "dev"))
        #expect(allowed("DescribeSecret", "db/credentials", as: "auditor", in: "prod"))
        #expect(!allowed("GetSecretValue", "db/credentials", as: "auditor", in: "prod"))
        #expect(allowed("GetSecretValue", "root/postgres", as: "admin", in: "prod"))
        let root = sandbox.sejf(["can-i", "GetSecretValue", "root/postgres", "--as", "ci-deployer", "--env", "prod"])
        #expect(root.stdout == "no — denied by role no-root-secrets (binding no-root-secrets-prod), rule 1 (deny)\n")
        let whoReadsRoot = try #require(try jsonValue(sandbox.sejf(["who-can", "GetSecretValue", "root/postgres", "--env", "prod", "--output", "json"])) as? [String])
        #expect(whoReadsRoot == ["admin"])

        // A changed file: what changed is updated, the rest unchanged.
        let text = try String(contentsOfFile: example, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "    principals: [api-dev]\n    environments: [dev]",
                                                with: "    principals: [api-dev]\n    environments: [dev, staging]")
        try #require(changed != text)
        let third = sandbox.sejf(["apply", "-f", "-"], stdin: Data(changed.utf8))
        expectSuccess(third)
        let lines = third.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.hasSuffix(" unchanged") } == ["binding api-runtime-dev updated"])
        #expect(allowed("GetSecretValue", "db/credentials", as: "api-dev", in: "staging"))
    }

    @Test("apply refuses a bad file as a whole, naming file, line and field", arguments: BadAccessFile.all)
    func applyRejects(_ bad: BadAccessFile) throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        expectSuccess(sandbox.sejf(["principal", "create", "alice"]))
        let before = try snapshot(sandbox)
        let path = try sandbox.file("access.yaml", Array(bad.yaml.utf8))

        let place = try #require(bad.position, "the marker \(bad.at.debugDescription) is not exactly once in the file")
        var mentions = ["\(path):\(place.line):\(place.column): "] + bad.mentions
        if let field = bad.field { mentions.append("field '\(field)': ") }
        expectFailure(sandbox.sejf(["apply", "-f", path]), mentioning: mentions)
        #expect(try snapshot(sandbox) == before, "a refused file changed something")

        // From stdin, the file is called <stdin>.
        expectFailure(sandbox.sejf(["apply", "-f", "-"], stdin: Data(bad.yaml.utf8)),
                      mentioning: ["<stdin>:\(place.line):\(place.column): "] + bad.mentions)
        #expect(try snapshot(sandbox) == before, "a refused file changed something")
    }

    @Test("apply names the file when it cannot be read or is empty")
    func applyUnreadable() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        expectFailure(sandbox.sejf(["apply", "-f", sandbox.root + "/missing.yaml"]), mentioning: ["missing.yaml"])
        let empty = try sandbox.file("empty.yaml", Array("# nothing yet\n".utf8))
        expectFailure(sandbox.sejf(["apply", "-f", empty]), mentioning: ["\(empty): is empty"])
        let binary = try sandbox.file("binary.yaml", [0xFF, 0xFE, 0x00])
        expectFailure(sandbox.sejf(["apply", "-f", binary]), mentioning: [binary, "UTF-8"])
    }

    // MARK: Helpers

    private func roleList(_ sandbox: Sandbox) throws -> [[String: Any]] {
        let result = sandbox.sejf(["role", "list", "--output", "json"])
        try #require(result.status == 0, "role list failed: \(result)")
        return try #require(try jsonValue(result) as? [[String: Any]])
    }

    private func binding(_ sandbox: Sandbox, _ name: String) throws -> [String: Any]? {
        let result = sandbox.sejf(["role", "bindings", "--output", "json"])
        try #require(result.status == 0, "role bindings failed: \(result)")
        return try #require(try jsonValue(result) as? [[String: Any]]).first { $0["name"] as? String == name }
    }

    private func environments(_ sandbox: Sandbox, _ name: String) throws -> [String]? {
        try binding(sandbox, name).map { try #require($0["environments"] as? [String]) }
    }

    /// Roles, bindings and principals, as JSON text.
    private func snapshot(_ sandbox: Sandbox) throws -> [String] {
        try [["role", "list"], ["role", "bindings"], ["principal", "list"]].map { args in
            let result = sandbox.sejf(args + ["--output", "json"])
            try #require(result.status == 0, "\(args) failed: \(result)")
            return result.stdout
        }
    }
}

/// An access file `sejf apply` must refuse. Each is a valid document (a principal, a role and a
/// binding that would all apply) with one mistake, so "nothing applied" is a real check.
struct BadAccessFile: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    /// Text that occurs exactly once in `yaml` and starts where the error points.
    var at: String
    var field: String?
    var mentions: [String] = []

    var testDescription: String { label }

    /// The 1-based line and column of `at`.
    var position: (line: Int, column: Int)? {
        let parts = yaml.components(separatedBy: at)
        guard parts.count == 2 else { return nil }
        let before = parts[0].split(separator: "\n", omittingEmptySubsequences: false)
        return (before.count, (before.last?.count ?? 0) + 1)
    }

    /// A valid file, with `principals`, `roles` and `bindings` lines appended to those sections.
    static func document(principals: String = "", roles: String = "", bindings: String = "") -> String {
        """
        principals:
          - name: newbie
            description: Someone new.
        \(principals)roles:
          - name: ok-role
            rules:
              - actions: [secretsmanager:DescribeSecret]
                secrets: ["db/*"]
        \(roles)bindings:
          - name: ok-binding
            role: ok-role
            principals: [newbie, alice]
            environments: [dev]
        \(bindings)
        """
    }

    static let all: [BadAccessFile] = [
        BadAccessFile(label: "unknown field", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: [secretsmanager:GetSecretValue]
                    secrets: ["api/*"]
                    resources: ["api/*"]

            """), at: "resources", field: "roles[1].rules[0].resources", mentions: ["not a known field"]),
        BadAccessFile(label: "unknown top-level field", yaml: "version: 1\n" + document(), at: "version",
                      field: "version", mentions: ["principals, roles, bindings"]),
        BadAccessFile(label: "wrong type: a string for a list", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: secretsmanager:GetSecretValue
                    secrets: ["api/*"]

            """), at: "secretsmanager:GetSecretValue", field: "roles[1].rules[0].actions", mentions: ["must be a list, not a string"]),
        BadAccessFile(label: "wrong type: a number for a name", yaml: document(principals: """
              - name: 42

            """), at: "42", field: "principals[1].name", mentions: ["must be a string, not a number"]),
        BadAccessFile(label: "wrong type: a mapping for a list", yaml: document(bindings: """
              - name: extra
                role: reader
                principals: {name: alice}
                environments: [dev]

            """), at: "{name: alice}", field: "bindings[1].principals", mentions: ["must be a list, not a mapping"]),
        BadAccessFile(label: "unknown role in a binding", yaml: document(bindings: """
              - name: extra
                role: ghost-role
                principals: [alice]
                environments: [dev]

            """), at: "ghost-role", field: "bindings[1].role", mentions: ["'ghost-role' does not exist"]),
        BadAccessFile(label: "unknown principal in a binding", yaml: document(bindings: """
              - name: extra
                role: reader
                principals: [alice, mallory]
                environments: [dev]

            """), at: "mallory", field: "bindings[1].principals[1]", mentions: ["'mallory' does not exist"]),
        BadAccessFile(label: "unknown environment in a binding", yaml: document(bindings: """
              - name: extra
                role: reader
                principals: [alice]
                environments: [dev, uat]

            """), at: "uat", field: "bindings[1].environments[1]", mentions: ["'uat' does not exist"]),
        BadAccessFile(label: "bad action name", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: [secretsmanager:GetSecretValue, secretsmanager:GetSecret]
                    secrets: ["api/*"]

            """), at: "secretsmanager:GetSecret]", field: "roles[1].rules[0].actions[1]",
                      mentions: ["'secretsmanager:GetSecret' matches no Secrets Manager action"]),
        BadAccessFile(label: "action without secretsmanager:", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: [ListSecrets]
                    secrets: ["*"]

            """), at: "ListSecrets", field: "roles[1].rules[0].actions[0]", mentions: ["write 'secretsmanager:ListSecrets'"]),
        BadAccessFile(label: "bad effect", yaml: document(roles: """
              - name: extra
                rules:
                  - effect: Deny
                    actions: ["*"]
                    secrets: ["*"]

            """), at: "Deny", field: "roles[1].rules[0].effect", mentions: ["allow or deny"]),
        BadAccessFile(label: "bad secret pattern", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: ["*"]
                    secrets: ["db/*", "db passwords"]

            """), at: "\"db passwords\"", field: "roles[1].rules[0].secrets[1]", mentions: ["not a secret name or ARN pattern"]),
        BadAccessFile(label: "missing required field", yaml: document(bindings: """
              - name: extra
                role: reader
                principals: [alice]

            """), at: "name: extra", field: "bindings[1].environments", mentions: ["is required"]),
        BadAccessFile(label: "empty rules", yaml: document(roles: """
              - name: extra
                rules: []

            """), at: "[]", field: "roles[1].rules", mentions: ["at least one rule"]),
        BadAccessFile(label: "built-in role redefined", yaml: document(roles: """
              - name: writer
                rules:
                  - actions: ["*"]
                    secrets: ["*"]

            """), at: "writer", field: "roles[1].name", mentions: ["built-in"]),
        BadAccessFile(label: "role name with upper case", yaml: document(roles: """
              - name: Extra
                rules:
                  - actions: ["*"]
                    secrets: ["*"]

            """), at: "Extra", field: "roles[1].name", mentions: ["lower-case"]),
        BadAccessFile(label: "role defined twice", yaml: document(roles: """
              - name: ok-role   # again
                rules:
                  - actions: ["*"]
                    secrets: ["*"]

            """), at: "name: ok-role   # again", field: "roles[1].name", mentions: ["defined twice"]),
        BadAccessFile(label: "tag value not a string", yaml: document(roles: """
              - name: extra
                rules:
                  - actions: ["*"]
                    secrets: ["*"]
                    tags: {"sejf:kind": yes}

            """), at: "yes}", field: "roles[1].rules[0].tags.sejf:kind", mentions: ["quote it"]),
        BadAccessFile(label: "not YAML", yaml: document(bindings: """
              - name: extra
                role: reader: writer
                principals: [alice]
                environments: [dev]

            """), at: ": writer", field: nil, mentions: ["not valid YAML", "mapping values are not allowed"]),
    ]
}
