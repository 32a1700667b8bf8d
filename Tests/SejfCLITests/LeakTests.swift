import Foundation
import Testing

/// Values go to stdout only, and never into an error message.
@Suite("No value leaks")
struct LeakTests {
    @Test("get writes the value to stdout only; error messages never contain a value")
    func valuesStayOnStdout() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        let first = "leak-canary-ONE-7f3a"
        let second = "leak-canary-TWO-91c2"
        let token = UUID().uuidString.lowercased()
        try sandbox.put("canary", #"{"password":"\#(first)"}"#, extra: ["--token", token])

        for extra in [[], ["--output", "json"], ["--json-key", "password"], ["--label", "AWSCURRENT"]] {
            let result = sandbox.sejf(["secret", "get", "canary", "--env", "dev"] + extra)
            expectSuccess(result)
            #expect(result.stdout.contains(first), "\(extra): \(result.stdout)")
            #expect(!result.stderr.contains(first))
        }

        var failures: [CLIResult] = []
        // Token reuse with another value.
        failures.append(sandbox.sejf(["secret", "put", "canary", "--env", "dev", "--value", second, "--token", token]))
        // Creating an existing secret.
        failures.append(sandbox.sejf(["secret", "create", "canary", "--env", "dev", "--value", second]))
        // A JSON key that is not there.
        failures.append(sandbox.sejf(["secret", "get", "canary", "--env", "dev", "--json-key", "nope"]))
        // Two values at once.
        let file = try sandbox.file("value.txt", Array(second.utf8))
        failures.append(sandbox.sejf(["secret", "put", "canary", "--env", "dev", "--value", second, "--value-file", file]))
        // Bad tag and a too-long value (the value ends with the canary).
        failures.append(sandbox.sejf(["secret", "create", "other", "--env", "dev", "--value", second, "--tag", "aws:x=\(second)"]))
        let long = try sandbox.file("long.txt", Array((String(repeating: "x", count: 65_536) + second).utf8))
        failures.append(sandbox.sejf(["secret", "put", "canary", "--env", "dev", "--value-file", long]))
        // A wrong key.
        try Data((randomKeyBase64() + "\n").utf8).write(to: URL(fileURLWithPath: sandbox.data + "/keys/dev.key"))
        failures.append(sandbox.sejf(["secret", "get", "canary", "--env", "dev"]))

        for result in failures {
            let message = expectFailure(result)
            #expect(!message.contains(first) && !message.contains(second), "a value leaked into: \(message)")
        }
        #expect(failures[0].stderr.contains("ResourceExistsException"))
    }
}
