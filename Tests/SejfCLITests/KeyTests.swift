import Foundation
import Testing

/// Key files, key variables, passphrases, and what happens when a key is missing or wrong.
@Suite("Keys")
struct KeyTests {
    @Test("a missing key file is DecryptionFailure naming SEJF_KEY_PROD; other environments still work")
    func missingKeyFile() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("db/password", "prod-secret-value", env: "prod")
        try sandbox.put("db/password", "dev-secret-value", env: "dev")

        let keyFile = sandbox.data + "/keys/prod.key"
        try FileManager.default.moveItem(atPath: keyFile, toPath: keyFile + ".moved")
        let result = sandbox.sejf(["secret", "get", "db/password", "--env", "prod"])
        let message = expectFailure(result, code: "DecryptionFailure", mentioning: ["SEJF_KEY_PROD"])
        #expect(!message.contains("prod-secret-value"))
        #expect(try sandbox.get("db/password", env: "dev") == "dev-secret-value\n")

        // Nor can a new prod value be written without the key.
        expectFailure(sandbox.sejf(["secret", "put", "db/password", "--env", "prod", "--value", "x"]), code: "DecryptionFailure")

        try FileManager.default.moveItem(atPath: keyFile + ".moved", toPath: keyFile)
        #expect(try sandbox.get("db/password", env: "prod") == "prod-secret-value\n")
    }

    @Test("another valid key in prod.key is DecryptionFailure about the key id")
    func wrongKeyFile() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("db/password", "prod-secret-value", env: "prod")
        try sandbox.put("db/password", "dev-secret-value", env: "dev")

        try Data((randomKeyBase64() + "\n").utf8).write(to: URL(fileURLWithPath: sandbox.data + "/keys/prod.key"))
        let result = sandbox.sejf(["secret", "get", "db/password", "--env", "prod"])
        let message = expectFailure(result, code: "DecryptionFailure", mentioning: ["key id"])
        #expect(!message.contains("prod-secret-value"))
        #expect(try sandbox.get("db/password", env: "dev") == "dev-secret-value\n")
    }

    @Test("SEJF_KEY_DEV at init: no key file; reads need the variable")
    func keyFromVariable() throws {
        let sandbox = try Sandbox()
        let key = randomKeyBase64()
        let initialised = try sandbox.initialise(env: ["SEJF_KEY_DEV": key])
        #expect(!initialised.stdout.contains(key), "init printed the key")
        #expect(!FileManager.default.fileExists(atPath: sandbox.data + "/keys/dev.key"))
        #expect(FileManager.default.fileExists(atPath: sandbox.data + "/keys/prod.key"))
        #expect(FileManager.default.fileExists(atPath: sandbox.data + "/keys/staging.key"))

        let environments = try #require(try jsonValue(sandbox.sejf(["env", "list", "--output", "json"])) as? [[String: Any]])
        #expect(environments.first { $0["name"] as? String == "dev" }?["keySource"] as? String == "variable")

        try sandbox.put("app/secret", "from-variable-key", variables: ["SEJF_KEY_DEV": key])
        #expect(try sandbox.get("app/secret", variables: ["SEJF_KEY_DEV": key]) == "from-variable-key\n")

        let without = sandbox.sejf(["secret", "get", "app/secret", "--env", "dev"])
        expectFailure(without, code: "DecryptionFailure", mentioning: ["SEJF_KEY_DEV"])

        let other = sandbox.sejf(["secret", "get", "app/secret", "--env", "dev"], env: ["SEJF_KEY_DEV": randomKeyBase64()])
        expectFailure(other, code: "DecryptionFailure", mentioning: ["SEJF_KEY_DEV"])

        let malformed = sandbox.sejf(["secret", "get", "app/secret", "--env", "dev"], env: ["SEJF_KEY_DEV": "not-a-key"])
        let message = expectFailure(malformed, code: "DecryptionFailure", mentioning: ["SEJF_KEY_DEV"])
        #expect(!message.contains("not-a-key"), "the variable's content was echoed")
    }

    @Test("SEJF_PASSPHRASE_STAGING at init: no key file; the same passphrase reads, another does not")
    func keyFromPassphrase() throws {
        let sandbox = try Sandbox()
        let passphrase = "correct horse battery staple"
        try sandbox.initialise(extra: ["--kdf", "interactive"], env: ["SEJF_PASSPHRASE_STAGING": passphrase])
        #expect(!FileManager.default.fileExists(atPath: sandbox.data + "/keys/staging.key"))
        #expect(FileManager.default.fileExists(atPath: sandbox.data + "/keys/dev.key"))

        try sandbox.put("app/secret", "from-passphrase", env: "staging", variables: ["SEJF_PASSPHRASE_STAGING": passphrase])
        #expect(try sandbox.get("app/secret", env: "staging", variables: ["SEJF_PASSPHRASE_STAGING": passphrase]) == "from-passphrase\n")

        let wrong = sandbox.sejf(["secret", "get", "app/secret", "--env", "staging"],
                                 env: ["SEJF_PASSPHRASE_STAGING": "incorrect horse battery staple"])
        let message = expectFailure(wrong, code: "DecryptionFailure")
        #expect(!message.contains("horse"), "the passphrase was echoed: \(message)")

        let none = sandbox.sejf(["secret", "get", "app/secret", "--env", "staging"])
        expectFailure(none, code: "DecryptionFailure", mentioning: ["SEJF_PASSPHRASE_STAGING"])
    }

    @Test("key files 0600, key and data directories 0700, sejf.db 0600")
    func permissionsOnDisk() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("x", "y")
        #expect(try permissions(sandbox.data) == 0o700)
        #expect(try permissions(sandbox.data + "/keys") == 0o700)
        for name in ["dev", "staging", "prod", "_system", "_audit"] {
            #expect(try permissions(sandbox.data + "/keys/\(name).key") == 0o600, "\(name).key")
        }
        #expect(try permissions(sandbox.data + "/sejf.db") == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: sandbox.data + "/sejf.db" + suffix) {
            #expect(try permissions(sandbox.data + "/sejf.db" + suffix) == 0o600, "sejf.db\(suffix)")
        }
        // Only the key files and the database (and its WAL files) live there.
        let keys = try FileManager.default.contentsOfDirectory(atPath: sandbox.data + "/keys").sorted()
        #expect(keys == ["_audit.key", "_system.key", "dev.key", "prod.key", "staging.key"])
    }
}
