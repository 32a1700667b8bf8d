import Foundation
import Testing

/// One input the CLI must refuse with a one-line error, leaving the store as it was.
struct RejectedInput: Sendable, CustomTestStringConvertible {
    var label: String
    /// Arguments; `{root}` becomes the sandbox root. `--data` is appended.
    var args: [String]
    /// Files to write under the sandbox root first.
    var files: [String: [UInt8]] = [:]
    /// Run through `/bin/sh` so that `{ff}` in an argument becomes the raw byte 0xFF.
    var rawBytesViaShell = false
    var code: String?
    var mentions: [String]

    var testDescription: String { label }

    static let all: [RejectedInput] = [
        RejectedInput(label: "invalid name", args: ["secret", "create", "bad name!", "--env", "dev", "--value", "x"],
                      code: "InvalidParameterException", mentions: ["name"]),
        RejectedInput(label: "513-character name",
                      args: ["secret", "create", String(repeating: "a", count: 513), "--env", "dev", "--value", "x"],
                      code: "ValidationException", mentions: ["512"]),
        RejectedInput(label: "value over 65536 bytes", args: ["secret", "put", "big", "--env", "dev", "--value-file", "{root}/big.txt"],
                      files: ["big.txt": Array(repeating: UInt8(ascii: "a"), count: 65_537)],
                      code: "ValidationException", mentions: ["65536"]),
        RejectedInput(label: "unknown environment", args: ["secret", "put", "x", "--env", "qa", "--value", "x"],
                      mentions: ["'qa'"]),
        RejectedInput(label: "missing --env", args: ["secret", "put", "x", "--value", "x"], mentions: ["--env"]),
        RejectedInput(label: "invalid UTF-8 in --value", args: ["secret", "put", "x", "--env", "dev", "--value", "{ff}"],
                      rawBytesViaShell: true, mentions: ["UTF-8"]),
        RejectedInput(label: "invalid UTF-8 in --value-file", args: ["secret", "put", "x", "--env", "dev", "--value-file", "{root}/bin"],
                      files: ["bin": [0xFF, 0x00, 0x01]], mentions: ["UTF-8", "--binary-file"]),
    ]
}

@Suite("Bad input")
struct BadInputTests {
    @Test("is refused with one line on stderr and leaves the store usable", arguments: RejectedInput.all)
    func rejected(_ input: RejectedInput) throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        for (name, bytes) in input.files { _ = try sandbox.file(name, bytes) }
        let args = input.args.map { $0.replacingOccurrences(of: "{root}", with: sandbox.root) }

        let result: CLIResult
        if input.rawBytesViaShell {
            // Swift strings cannot hold invalid UTF-8, so let the shell make the byte: each argument
            // is passed as a positional parameter and `{ff}` becomes `$(printf '\377')`.
            var script = "exec \"$0\""
            for index in args.indices {
                script += args[index] == "{ff}" ? " \"$(printf '\\377')\"" : " \"${\(index + 1)}\""
            }
            script += " --data \"${\(args.count + 1)}\""
            result = CLI.run(executable: "/bin/sh", ["-c", script, CLI.binaryPath] + args + [sandbox.data])
        } else {
            result = sandbox.sejf(args)
        }

        expectFailure(result, code: input.code, mentioning: input.mentions)
        sandbox.expectStoreOpens()
        let list = sandbox.sejf(["secret", "list", "--env", "dev", "--output", "json"])
        #expect(try jsonObject(list)["SecretList"] as? [Any] != nil)
        #expect((try jsonObject(list)["SecretList"] as? [Any])?.isEmpty == true, "a refused request wrote something")
    }

    @Test("--binary-file round-trips bytes exactly")
    func binaryRoundTrip() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        let bytes: [UInt8] = [0xFF, 0x00, 0x01]
        let path = try sandbox.file("blob", bytes)
        expectSuccess(sandbox.sejf(["secret", "put", "blob", "--env", "dev", "--binary-file", path]))
        let get = sandbox.sejf(["secret", "get", "blob", "--env", "dev"])
        expectSuccess(get)
        #expect([UInt8](get.stdoutData) == bytes)

        // From stdin as well, and in JSON as base64 SecretBinary.
        expectSuccess(sandbox.sejf(["secret", "put", "blob", "--env", "dev", "--binary-file", "-"], stdin: Data([0x00, 0xFE])))
        #expect([UInt8](sandbox.sejf(["secret", "get", "blob", "--env", "dev"]).stdoutData) == [0x00, 0xFE])
        let json = try jsonObject(sandbox.sejf(["secret", "get", "blob", "--env", "dev", "--output", "json"]))
        #expect(json["SecretBinary"] as? String == Data([0x00, 0xFE]).base64EncodedString())
        #expect(json["SecretString"] == nil)
    }

    @Test("commands before init say to run sejf init")
    func beforeInit() throws {
        let sandbox = try Sandbox()
        for args in [["secret", "list", "--env", "dev"], ["secret", "get", "x", "--env", "dev"],
                     ["secret", "put", "x", "--env", "dev", "--value", "v"], ["env", "list"], ["config", "list", "--env", "dev"]] {
            expectFailure(sandbox.sejf(args), mentioning: ["sejf init"])
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.data), "a failed command created the data directory")
    }

    @Test("init twice fails and keeps the first store")
    func initTwice() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("kept", "kept-value", env: "prod")
        let keyBefore = FileManager.default.contents(atPath: sandbox.data + "/keys/prod.key")
        let databaseBefore = FileManager.default.contents(atPath: sandbox.data + "/sejf.db")

        expectFailure(sandbox.sejf(["init", "--environments", "dev,staging,prod"]), mentioning: ["already initialised"])
        expectFailure(sandbox.sejf(["init", "--environments", "qa"]), mentioning: ["already initialised"])

        #expect(FileManager.default.contents(atPath: sandbox.data + "/keys/prod.key") == keyBefore)
        #expect(FileManager.default.contents(atPath: sandbox.data + "/sejf.db") == databaseBefore)
        #expect(try sandbox.get("kept", env: "prod") == "kept-value\n")
        sandbox.expectStoreOpens()
    }
}
