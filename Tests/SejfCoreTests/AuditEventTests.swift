import Foundation
import Testing
@testable import SejfCore

/// A test stand-in for keyed BLAKE2b-256 (SejfCore does no cryptography): FNV-1a 64 over
/// `key ‖ lane ‖ bytes` in four lanes, concatenated to 32 bytes. Deterministic, and any byte
/// change moves it — **not** a cryptographic hash.
func standInHash(key: String = "audit-key") -> @Sendable ([UInt8]) -> [UInt8] {
    let key = Array(key.utf8)
    return { bytes in
        var out: [UInt8] = []
        for lane in UInt8(0)..<4 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in key + [lane] + bytes {
                h ^= UInt64(byte)
                h &*= 0x0000_0100_0000_01B3
            }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: h >> UInt64(shift))) }
        }
        return out
    }
}

enum AuditSamples {
    static let arn = "arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf"
    static let configArn = "arn:aws:secretsmanager:prod:123456789012:secret:config/api-XyZ123"

    /// A read of `db/credentials` at `seconds` after 2026-11-01T00:00:00Z.
    static func read(_ seconds: Int64 = 0, principal: String = "api", secretArn: String? = arn,
                     action: String = AuditAction.getSecretValue, outcome: AuditOutcome = .allowed) -> AuditEvent {
        AuditEvent(
            time: AuditTime(milliseconds: (1_793_491_200 + seconds) * 1000), environment: "prod", principal: principal,
            accessKeyId: "AKIAIOSFODNN7EXAMPLE", action: action, secretArn: secretArn,
            versionId: "7a2b4c6d-0000-4000-8000-000000000001", versionStages: ["AWSCURRENT"],
            outcome: outcome, errorCode: outcome == .allowed ? nil : "AccessDeniedException",
            sourceAddress: "10.0.3.7", userAgent: "Boto3/1.43.11 Python/3.12", requestId: "req-\(seconds)")
    }

    /// `count` events a second apart, alternating principals and actions a little.
    static func events(_ count: Int) -> [AuditEvent] {
        (0..<count).map { i in
            var event = read(Int64(i), principal: i % 3 == 0 ? "api" : "worker")
            if i % 4 == 3 { event.action = "secretsmanager:PutSecretValue" }
            return event
        }
    }

    /// One change per field of ``AuditEvent``, each to a value that differs from ``read(_:principal:secretArn:action:outcome:)``'s.
    static let fieldChanges: [(field: String, change: @Sendable (inout AuditEvent) -> Void)] = [
        ("time", { $0.time.milliseconds += 1 }),
        ("environment", { $0.environment = "prod2" }),
        ("principal", { $0.principal = "apj" }),
        ("accessKeyId", { $0.accessKeyId = nil }),
        ("action", { $0.action = AuditAction.batchGetSecretValue }),
        ("secretArn", { $0.secretArn = configArn }),
        ("versionId", { $0.versionId = "7a2b4c6d-0000-4000-8000-000000000002" }),
        ("versionStages", { $0.versionStages.append("AWSPREVIOUS") }),
        ("outcome", { $0.outcome = .error }),
        ("errorCode", { $0.errorCode = "ResourceNotFoundException" }),
        ("sourceAddress", { $0.sourceAddress = "10.0.3.8" }),
        ("userAgent", { $0.userAgent = "Boto3/1.43.12 Python/3.12" }),
        ("requestId", { $0.requestId = "req-0x" }),
    ]
}

struct AuditCanonicalEncodingTests {
    @Test func isDeterministic() {
        let a = AuditSamples.read(5), b = AuditSamples.read(5)
        #expect(a.canonicalEncoding(sequence: 9) == b.canonicalEncoding(sequence: 9))
        #expect(a.canonicalEncoding(sequence: 9) == a.canonicalEncoding(sequence: 9))
    }

    @Test func fieldChangesCoverEveryField() {
        #expect(AuditSamples.fieldChanges.map(\.field) == AuditEvent.CodingKeys.allCases.map(\.rawValue))
    }

    @Test(arguments: AuditSamples.fieldChanges.map(\.field))
    func changesWhenAnyFieldChanges(field: String) throws {
        let original = AuditSamples.read()
        var changed = original
        try #require(AuditSamples.fieldChanges.first { $0.field == field }).change(&changed)
        #expect(changed != original)
        #expect(changed.canonicalEncoding(sequence: 1) != original.canonicalEncoding(sequence: 1))
    }

    @Test func changesWithTheSequenceNumber() {
        let event = AuditSamples.read()
        #expect(event.canonicalEncoding(sequence: 1) != event.canonicalEncoding(sequence: 2))
    }

    @Test func absentDiffersFromEmpty() {
        var absent = AuditSamples.read()
        absent.accessKeyId = nil
        var empty = absent
        empty.accessKeyId = ""
        #expect(absent.canonicalEncoding(sequence: 1) != empty.canonicalEncoding(sequence: 1))
    }

    @Test func fieldBoundariesAreUnambiguous() {
        var a = AuditSamples.read(), b = AuditSamples.read()
        a.versionStages = ["AB"]
        b.versionStages = ["A", "B"]
        #expect(a.canonicalEncoding(sequence: 1) != b.canonicalEncoding(sequence: 1))
        a = AuditSamples.read()
        b = a
        a.environment = "prod"
        a.principal = "api"
        b.environment = "proda"
        b.principal = "pi"
        #expect(a.canonicalEncoding(sequence: 1) != b.canonicalEncoding(sequence: 1))
    }

    @Test func textIsHashedAsGivenWithoutNormalisation() {
        var composed = AuditSamples.read(), decomposed = composed
        composed.principal = "zo\u{00E9}"
        decomposed.principal = "zoe\u{0301}"
        #expect(composed == decomposed)  // Swift's String equality is canonical equivalence…
        #expect(composed.canonicalEncoding(sequence: 1) != decomposed.canonicalEncoding(sequence: 1))  // …the hash is not
    }

    /// Format 1, byte for byte: the layout other implementations (and SQL tooling) must match.
    @Test func formatOneLayout() {
        let event = AuditEvent(
            time: AuditTime(milliseconds: 0x0102), environment: "e", principal: "", accessKeyId: nil, action: "a",
            secretArn: "s", versionId: nil, versionStages: ["L1", "L2"], outcome: .denied, errorCode: "X",
            sourceAddress: "ip", userAgent: "u", requestId: "r")
        let expected: [UInt8] = [0x01]
            + [0, 0, 0, 0, 0, 0, 0, 7]  // sequence
            + [0, 0, 0, 0, 0, 0, 1, 2]  // time, milliseconds
            + [0, 0, 0, 1] + Array("e".utf8)
            + [0, 0, 0, 0]  // principal: empty
            + [0]  // accessKeyId: absent
            + [0, 0, 0, 1] + Array("a".utf8)
            + [1, 0, 0, 0, 1] + Array("s".utf8)
            + [0]  // versionId: absent
            + [0, 0, 0, 2] + [0, 0, 0, 2] + Array("L1".utf8) + [0, 0, 0, 2] + Array("L2".utf8)
            + [0, 0, 0, 6] + Array("denied".utf8)
            + [1, 0, 0, 0, 1] + Array("X".utf8)
            + [0, 0, 0, 2] + Array("ip".utf8)
            + [0, 0, 0, 1] + Array("u".utf8)
            + [0, 0, 0, 1] + Array("r".utf8)
        #expect(event.canonicalEncoding(sequence: 7) == expected)
    }

    @Test func negativeNumbersUseTwosComplement() {
        let event = AuditEvent(time: AuditTime(milliseconds: -1), environment: "", principal: "", action: "",
                               outcome: .allowed, sourceAddress: "", userAgent: "", requestId: "")
        let bytes = event.canonicalEncoding(sequence: 0)
        #expect(Array(bytes[1..<9]) == [UInt8](repeating: 0, count: 8))
        #expect(Array(bytes[9..<17]) == [UInt8](repeating: 0xFF, count: 8))
    }
}

struct AuditEventTests {
    @Test func userAgentIsCutAtACharacterBoundary() {
        let long = String(repeating: "é", count: 600)  // 1,200 bytes
        let event = AuditEvent(time: AuditTime(milliseconds: 0), environment: "prod", principal: "api",
                               action: AuditAction.getSecretValue, outcome: .allowed, sourceAddress: "local",
                               userAgent: long, requestId: "r")
        #expect(event.userAgent.utf8.count == 1024)
        #expect(event.userAgent == String(repeating: "é", count: 512))
        let odd = AuditEvent(time: AuditTime(milliseconds: 0), environment: "prod", principal: "api",
                             action: AuditAction.getSecretValue, outcome: .allowed, sourceAddress: "local",
                             userAgent: "x" + long, requestId: "r")
        #expect(odd.userAgent.utf8.count == 1023)
        let short = AuditSamples.read()
        #expect(short.userAgent == "Boto3/1.43.11 Python/3.12")
    }

    @Test func readActionsAreTheValueReads() {
        #expect(AuditAction.valueReads == ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"])
        #expect(AuditAction.authenticate == "sejf:Authenticate")
    }
}

struct AuditExportTests {
    let hash = standInHash()

    @Test func lineHasEveryFieldSortedWithNullsAndHexHash() throws {
        let stored = AuditChain.build([AuditSamples.read(1)], hash: hash)[0]
        let line = AuditExport.line(stored)
        #expect(!line.contains("\n"))
        #expect(line.contains("\"secretArn\":\"arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf\""))
        #expect(line.contains("\"errorCode\":null"))
        #expect(line.contains("\"time\":\"2026-11-01T00:00:01.000Z\""))
        #expect(line.contains("\"sequence\":1"))
        #expect(line.contains("\"hash\":\"\(AuditHex.encode(stored.hash))\""))

        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let expectedKeys = Set(AuditEvent.CodingKeys.allCases.map(\.rawValue) + ["sequence", "hash"])
        #expect(Set(object.keys) == expectedKeys)
        #expect(object.count == 15)
        let keysInLine = line.split(separator: ",").compactMap { part -> String? in
            guard let quote = part.firstIndex(of: "\""), let colon = part.range(of: "\":") else { return nil }
            return String(part[part.index(after: quote)..<colon.lowerBound])
        }.filter(expectedKeys.contains)
        #expect(keysInLine == keysInLine.sorted())
    }

    @Test func roundTripsEveryEvent() throws {
        var events = AuditSamples.events(6)
        events[1].accessKeyId = nil
        events[1].principal = ""
        events[1].action = AuditAction.authenticate
        events[1].secretArn = nil
        events[1].versionId = nil
        events[1].versionStages = []
        events[1].outcome = .denied
        events[1].errorCode = "InvalidSignatureException"
        events[2].userAgent = "quote \" backslash \\ newline \n tab \t nul \u{0} emoji 🔐 ünïcode"
        events[3].time = AuditTime(milliseconds: 1_793_491_200_999)
        let chain = AuditChain.build(events, hash: hash)
        let lines = chain.map(AuditExport.line)
        #expect(lines.allSatisfy { !$0.contains("\n") })
        let decoded = try lines.map(AuditExport.event(fromLine:))
        #expect(decoded == chain)
        // Byte-exact, so an exported file verifies without the database.
        #expect(zip(decoded, chain).allSatisfy { $0.canonicalEncoding == $1.canonicalEncoding })
        #expect(AuditChain.verify(events: decoded, hash: hash).isIntact)
    }

    @Test func checkpointLineRoundTrips() throws {
        let chain = AuditChain.build(AuditSamples.events(3), hash: hash)
        let checkpoint = chain[2].checkpoint
        let line = AuditExport.line(checkpoint)
        #expect(line == "{\"hash\":\"\(AuditHex.encode(checkpoint.hash))\",\"sequence\":3,\"time\":\"2026-11-01T00:00:02.000Z\"}")
        #expect(try AuditExport.checkpoint(fromLine: line) == checkpoint)
    }

    @Test func rejectsBadLinesNamingTheField() throws {
        let line = AuditExport.line(AuditChain.build([AuditSamples.read()], hash: hash)[0])
        func mutated(_ change: (inout [String: Any]) -> Void) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            change(&object)
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let cases: [(String, String)] = [
            (try mutated { $0["principal"] = nil }, "Invalid audit event: field 'principal' is missing."),
            (try mutated { $0["accessKeyId"] = nil }, "Invalid audit event: field 'accessKeyId' is missing."),
            (try mutated { $0["sequence"] = "1" }, "Invalid audit event: field 'sequence' has the wrong type."),
            (try mutated { $0["outcome"] = "maybe" }, "Invalid audit event: field 'outcome'"),
            (try mutated { $0["hash"] = "ABCD" }, "Invalid audit event: field 'hash': Invalid hash: expected 64 lower-case hex digits."),
            (try mutated { $0["time"] = "2026-11-01T00:00:00Z" }, "Invalid audit event: field 'time': Invalid time"),
            ("[1]", "Invalid audit event: expected a JSON object."),
            ("{", "Invalid audit event: not valid JSON."),
        ]
        for (bad, message) in cases {
            let error = try #require(throws: SejfError.self) { try AuditExport.event(fromLine: bad) }
            #expect(error.code == .invalidParameter)
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }
}
