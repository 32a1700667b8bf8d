import Foundation
import Testing
@testable import SejfCore

/// The export lines Swift writes against `schemas/audit-event.schema.json`, validated by Python's
/// `jsonschema` (Draft 2020-12), which `scripts/test.sh` installs before `swift test`.
/// `Tests/python/test_audit_schema.py` checks the schema itself against good and bad lines.
struct AuditSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schema = repository.appendingPathComponent("schemas/audit-event.schema.json")

    static let validator = """
        import json, sys
        from jsonschema import Draft202012Validator
        with open(sys.argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        failed = 0
        for number, line in enumerate(sys.stdin.read().splitlines(), 1):
            for error in validator.iter_errors(json.loads(line)):
                failed += 1
                print(f"line {number}: {'/'.join(map(str, error.path))}: {error.message}")
        sys.exit(1 if failed else 0)
        """

    /// Runs the validator over `lines`; returns its exit status and output.
    func validate(_ lines: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.validator, Self.schema.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func exportedLinesMatchTheSchema() throws {
        var events = AuditSamples.events(4)
        events[1] = AuditEvent(
            time: AuditTime(milliseconds: 1_793_491_201_007), environment: "prod", principal: "",
            accessKeyId: "AKIAIOSFODNN7EXAMPLE", action: AuditAction.authenticate, outcome: .denied,
            errorCode: "IncompleteSignatureException", sourceAddress: "203.0.113.9", userAgent: "curl/8.5.0",
            requestId: "4f1c")
        events[2].accessKeyId = nil
        events[2].sourceAddress = "local"
        events[2].userAgent = "sejf-cli \"quoted\" ünïcode 🔐\n"
        events[3].versionStages = []
        events[3].outcome = .error
        events[3].errorCode = "ResourceNotFoundException"
        let lines = AuditChain.build(events, hash: standInHash()).map(AuditExport.line)
        let (status, output) = try validate(lines)
        #expect(status == 0, "\(output)")
    }

    @Test func theValidatorRejectsABadLine() throws {
        // Guards the test above against a validator that accepts anything.
        let line = AuditExport.line(AuditChain.build([AuditSamples.read()], hash: standInHash())[0])
        let (status, output) = try validate([line.replacingOccurrences(of: "\"outcome\":\"allowed\"", with: "\"outcome\":\"maybe\"")])
        #expect(status == 1)
        #expect(output.contains("outcome"))
    }
}
