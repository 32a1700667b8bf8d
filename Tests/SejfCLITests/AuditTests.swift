import Foundation
import Testing

/// `sejf audit`: what reads leave in the trail, and how the trail's hash chain catches someone who
/// edits the database file directly (without the audit key).
@Suite("Audit")
struct AuditTests {
    // MARK: - Helpers

    /// Edits `audit_events` as an attacker holding the database file would: drops the append-only
    /// triggers, changes rows, puts the triggers back. Modes:
    /// - `edit SEQ COLUMN JSON`: sets one column of event SEQ (`"+1"` adds one to an integer;
    ///   `hash` flips a bit of the stored hash);
    /// - `delete SEQ`; `swap SEQ SEQ` (the two rows trade places); `truncate FROM` (deletes
    ///   events FROM and later);
    /// - `fakeprune SEQ`: deletes events 1…SEQ and records SEQ as a prune checkpoint, as `prune` would;
    /// - `forge`: removes the audit key's id from `meta` and rechains every event with unkeyed
    ///   BLAKE2b-256, after changing event 2's principal.
    private static let tamperScript = """
        import hashlib, json, sqlite3, struct, sys
        path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
        db = sqlite3.connect(path)
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        if mode == "edit":
            seq, column, value = int(args[0]), args[1], json.loads(args[2])
            if column == "hash":
                (old,) = db.execute("SELECT hash FROM audit_events WHERE sequence = ?", (seq,)).fetchone()
                value = bytes([old[0] ^ 1]) + old[1:]
            elif value == "+1":
                (old,) = db.execute(f"SELECT {column} FROM audit_events WHERE sequence = ?", (seq,)).fetchone()
                value = old + 1
            assert db.execute(f"UPDATE audit_events SET {column} = ? WHERE sequence = ?", (value, seq)).rowcount == 1
        elif mode == "delete":
            assert db.execute("DELETE FROM audit_events WHERE sequence = ?", (int(args[0]),)).rowcount == 1
        elif mode == "swap":
            a, b = int(args[0]), int(args[1])
            db.execute("UPDATE audit_events SET sequence = -1 WHERE sequence = ?", (a,))
            db.execute("UPDATE audit_events SET sequence = ? WHERE sequence = ?", (a, b))
            db.execute("UPDATE audit_events SET sequence = ? WHERE sequence = -1", (b,))
        elif mode == "truncate":
            assert db.execute("DELETE FROM audit_events WHERE sequence >= ?", (int(args[0]),)).rowcount > 0
        elif mode == "fakeprune":
            seq = int(args[0])
            row = db.execute("SELECT sequence, hash, time_ms FROM audit_events WHERE sequence = ?", (seq,)).fetchone()
            db.execute("DELETE FROM audit_events WHERE sequence <= ?", (seq,))
            # Without the audit key the forger can only guess the checkpoint's MAC.
            db.execute("INSERT INTO audit_checkpoints (sequence, hash, time_ms, mac) VALUES (?, ?, ?, ?)", row + (bytes(32),))
        elif mode == "forge":
            def s(text):
                data = text.encode()
                return struct.pack(">I", len(data)) + data
            def o(text):
                return b"\\x00" if text is None else b"\\x01" + s(text)
            db.execute("DELETE FROM meta WHERE key = 'audit_key_id'")
            db.execute("UPDATE audit_events SET principal = 'mallory' WHERE sequence = 2")
            previous = bytes(32)
            rows = db.execute("SELECT sequence, time_ms, environment, principal, access_key_id, action, secret_arn, version_id, "
                              "version_stages, outcome, error_code, source_address, user_agent, request_id "
                              "FROM audit_events ORDER BY sequence").fetchall()
            for (seq, time_ms, env, principal, key, action, arn, version, stages, outcome, error, source, agent, request) in rows:
                stages = json.loads(stages)
                encoding = (b"\\x01" + struct.pack(">qq", seq, time_ms) + s(env) + s(principal) + o(key) + s(action) + o(arn)
                            + o(version) + struct.pack(">I", len(stages)) + b"".join(s(x) for x in stages) + s(outcome)
                            + o(error) + s(source) + s(agent) + s(request))
                previous = hashlib.blake2b(previous + encoding, digest_size=32).digest()
                db.execute("UPDATE audit_events SET hash = ? WHERE sequence = ?", (previous, seq))
        else:
            sys.exit("unknown mode " + mode)
        db.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
        db.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
        db.commit()
        db.close()
        """

    private func tamper(_ sandbox: Sandbox, _ mode: String, _ args: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = CLI.python(Self.tamperScript, [sandbox.data + "/sejf.db", mode] + args)
        try #require(result.status == 0, "python3 failed: \(result)", sourceLocation: sourceLocation)
    }

    /// `sejf audit export` (plus `args`), each line parsed.
    private func export(_ sandbox: Sandbox, _ args: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let result = sandbox.sejf(["audit", "export", "--format", "jsonl"] + args)
        expectSuccess(result, sourceLocation: sourceLocation)
        return try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                         "not a JSON object: \(line)", sourceLocation: sourceLocation)
        }
    }

    /// `sejf audit list --output json` (plus `args`).
    private func list(_ sandbox: Sandbox, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let result = sandbox.sejf(["audit", "list", "--output", "json"] + args)
        expectSuccess(result, sourceLocation: sourceLocation)
        return try #require(try jsonValue(result) as? [[String: Any]], "not a JSON array: \(result)", sourceLocation: sourceLocation)
    }

    /// A secret's ARN, from `secret describe`.
    private func arn(_ sandbox: Sandbox, _ name: String, env: String = "dev") throws -> String {
        let result = sandbox.sejf(["secret", "describe", name, "--env", env, "--output", "json"])
        try #require(result.status == 0, "describe failed: \(result)")
        return try #require(try jsonObject(result)["ARN"] as? String)
    }

    /// A sandbox with two secrets read a few times: 9 events (a new secret's `put` leaves a
    /// failed PutSecretValue and a CreateSecret; each `get` one GetSecretValue).
    private func populated() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("svc/a", "alpha-value-1")
        try sandbox.put("svc/b", "bravo-value-1")
        for name in ["svc/a", "svc/b", "svc/a"] { _ = try sandbox.get(name) }
        let count = try export(sandbox).count
        try #require(count == 7, "expected 7 events, found \(count)")
        _ = try sandbox.get("svc/b")
        _ = try sandbox.get("svc/a")
        return sandbox
    }

    private func verifyOK(_ sandbox: Sandbox, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let result = sandbox.sejf(["audit", "verify"] + extra)
        expectSuccess(result, sourceLocation: sourceLocation)
        return result.stdout
    }

    // MARK: - What reads leave

    @Test("each `secret get` is exactly one GetSecretValue event: who, from where, which version; never the value")
    func readsAreAudited() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        let value = "correct-horse-battery-staple-7f3a"
        let oldValue = "tr0ub4dor-and-3-91c2"
        let old = try sandbox.put("db/password", oldValue)
        let current = try sandbox.put("db/password", value)
        let arn = try arn(sandbox, "db/password")
        let before = try export(sandbox).count

        #expect(try sandbox.get("db/password") == value + "\n")
        #expect(try sandbox.get("db/password", extra: ["--label", "AWSPREVIOUS"]) == oldValue + "\n")
        #expect(try sandbox.get("db/password", extra: ["--version-id", current, "--output", "json"]).contains(value))

        let all = try export(sandbox)
        let added = Array(all.dropFirst(before))
        #expect(added.count == 3, "one event per read, no more: \(added)")
        #expect(added.allSatisfy { $0["action"] as? String == "secretsmanager:GetSecretValue" })
        for (event, (versionId, stages)) in zip(added, [(current, ["AWSCURRENT"]), (old, ["AWSPREVIOUS"]), (current, ["AWSCURRENT"])]) {
            #expect(event["principal"] as? String == "admin")
            #expect(event["sourceAddress"] as? String == "local")
            #expect(event["accessKeyId"] is NSNull, "the embedded CLI signs with no key")
            #expect(event["environment"] as? String == "dev")
            #expect(event["secretArn"] as? String == arn)
            #expect(event["versionId"] as? String == versionId)
            #expect(event["versionStages"] as? [String] == stages)
            #expect(event["outcome"] as? String == "allowed")
            #expect(event["errorCode"] is NSNull)
            #expect(event["userAgent"] as? String == "sejf-cli")
            #expect((event["requestId"] as? String)?.isEmpty == false)
            #expect((event["hash"] as? String)?.count == 64)
        }
        #expect(Set(added.compactMap { $0["requestId"] as? String }).count == 3, "each run is its own request")
        #expect(all.map { $0["sequence"] as? Int } == Array(1...all.count).map { $0 }, "sequence numbers without gaps")

        // A read of a secret that does not exist is one event too: an error, naming no ARN.
        expectFailure(sandbox.sejf(["secret", "get", "db/missing", "--env", "dev"]), code: "ResourceNotFoundException")
        let missing = try #require(try export(sandbox).last)
        #expect(missing["action"] as? String == "secretsmanager:GetSecretValue")
        #expect(missing["outcome"] as? String == "error")
        #expect(missing["errorCode"] as? String == "ResourceNotFoundException")
        #expect(missing["secretArn"] is NSNull)

        // No view of the trail shows a value, old or new.
        let views = [sandbox.sejf(["audit", "export", "--format", "jsonl"]), sandbox.sejf(["audit", "list"]),
                     sandbox.sejf(["audit", "list", "--output", "json"]),
                     sandbox.sejf(["audit", "who-read", "--env", "dev", "--output", "json"])]
        for view in views {
            expectSuccess(view)
            #expect(!view.stdout.contains(value) && !view.stdout.contains(oldValue), "a value leaked into the audit trail: \(view.stdout)")
            #expect(!view.stdout.contains(Data(value.utf8).base64EncodedString()))
        }
        let database = try #require(FileManager.default.contents(atPath: sandbox.data + "/sejf.db"))
        #expect(database.range(of: Data(value.utf8)) == nil, "the value is in the database file in clear")
    }

    // MARK: - Verify and tampering

    @Test("verify passes on an untouched trail and names its head; checkpoint prints that head")
    func verifyIntact() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        #expect(verifyOK(sandbox) == "ok: 0 events verified, head 0 \(String(repeating: "0", count: 64))\n")

        try sandbox.put("svc/a", "alpha-value-1")
        _ = try sandbox.get("svc/a")
        let events = try export(sandbox)
        let last = try #require(events.last)
        let hash = try #require(last["hash"] as? String)
        #expect(verifyOK(sandbox) == "ok: \(events.count) events verified, head \(events.count) \(hash)\n")

        let checkpoint = sandbox.sejf(["audit", "checkpoint"])
        expectSuccess(checkpoint)
        #expect(checkpoint.stdout == "{\"hash\":\"\(hash)\",\"sequence\":\(events.count),\"time\":\"\(last["time"] as? String ?? "")\"}\n")

        let json = sandbox.sejf(["audit", "verify", "--output", "json"])
        expectSuccess(json)
        let object = try jsonObject(json)
        #expect(object["intact"] as? Bool == true)
        #expect(object["verified"] as? Int == events.count)
        #expect((object["head"] as? [String: Any])?["hash"] as? String == hash)
    }

    /// Columns an attacker might change, with the new value (JSON).
    static let edits: [(column: String, value: String)] = [
        ("principal", "\"mallory\""), ("action", "\"secretsmanager:DescribeSecret\""), ("secret_arn", "null"),
        ("version_id", "\"00000000-0000-0000-0000-000000000000\""), ("version_stages", "\"[\\\"AWSPREVIOUS\\\"]\""),
        ("outcome", "\"denied\""), ("time_ms", "\"+1\""), ("access_key_id", "\"AKIAFORGED000000\""),
        ("source_address", "\"10.9.8.7\""), ("user_agent", "\"curl/8.0\""), ("request_id", "\"forged\""),
        ("environment", "\"prod\""), ("error_code", "\"AccessDeniedException\""), ("hash", "null"),
    ]

    @Test("editing one field of event k breaks the chain at k", arguments: edits)
    func editedField(_ edit: (column: String, value: String)) throws {
        let sandbox = try populated()
        try tamper(sandbox, "edit", ["5", edit.column, edit.value])
        expectFailure(sandbox.sejf(["audit", "verify"]), mentioning: ["tampered with at event 5:", "Event 5 was edited"])
        expectFailure(sandbox.sejf(["audit", "checkpoint"]), mentioning: ["event 5"])
        // New events chain after the edited one; the break stays where it was.
        _ = try sandbox.get("svc/a")
        expectFailure(sandbox.sejf(["audit", "verify"]), mentioning: ["tampered with at event 5:"])
    }

    @Test("deleting event k is named: missing (deleted)", arguments: [1, 5, 8])
    func deletedEvent(_ k: Int) throws {
        let sandbox = try populated()
        try tamper(sandbox, "delete", [String(k)])
        expectFailure(sandbox.sejf(["audit", "verify"]), mentioning: ["at event \(k): event \(k) is missing (deleted)"])
    }

    @Test("two events trading places break the chain at the first of them")
    func swappedEvents() throws {
        let sandbox = try populated()
        try tamper(sandbox, "swap", ["4", "6"])
        expectFailure(sandbox.sejf(["audit", "verify"]), mentioning: ["tampered with at event 4:"])

        let neighbours = try populated()
        try tamper(neighbours, "swap", ["7", "8"])
        expectFailure(neighbours.sejf(["audit", "verify"]), mentioning: ["tampered with at event 7:"])
    }

    @Test("a truncated tail passes verify, but not verify --checkpoint with an earlier checkpoint")
    func truncatedTail() throws {
        let sandbox = try populated()
        let checkpoint = sandbox.sejf(["audit", "checkpoint"])
        expectSuccess(checkpoint)
        let file = try sandbox.file("checkpoints.jsonl", Array(("{\"hash\":\"" + String(repeating: "ab", count: 32)
            + "\",\"sequence\":3,\"time\":\"2026-01-01T00:00:00.000Z\"}\n" + checkpoint.stdout).utf8))
        let matching = verifyOK(sandbox, ["--checkpoint", file])
        #expect(matching.hasPrefix("ok: 9 events verified, head 9 "))
        #expect(matching.contains("\nok: checkpoint 9 "), "the last line of the file is compared: \(matching)")

        try tamper(sandbox, "truncate", ["8"])
        #expect(verifyOK(sandbox).hasPrefix("ok: 7 events verified, head 7 "), "a cut tail leaves a valid chain")
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", file]),
                      mentioning: ["truncated", "ends at event 7", "up to 9"])

        // Events written after the cut reuse the numbers 8, 9…: the checkpoint's event 9 differs.
        _ = try sandbox.get("svc/a")
        _ = try sandbox.get("svc/a")
        #expect(verifyOK(sandbox).hasPrefix("ok: 9 events verified"))
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", file]), mentioning: ["diverged", "event 9"])

        // Unreadable or malformed checkpoint files are refused with the file named.
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", sandbox.root + "/nope"]), mentioning: ["cannot read"])
        let bad = try sandbox.file("bad.jsonl", Array("{\"sequence\":1}\n".utf8))
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", bad]), mentioning: [bad, "hash"])
    }

    @Test("old events deleted behind a forged prune checkpoint: the checkpoint does not authenticate")
    func forgedPruneCheckpoint() throws {
        let sandbox = try populated()
        let events = try export(sandbox)
        let early = try sandbox.file("early.jsonl", Array((try JSONSerialization.data(withJSONObject: [
            "sequence": 3, "hash": events[2]["hash"]!, "time": events[2]["time"]!])) + [0x0A]))
        expectSuccess(sandbox.sejf(["audit", "verify", "--checkpoint", early]))

        try tamper(sandbox, "fakeprune", ["5"])
        // A checkpoint carries a MAC under the audit key: one written without the key is refused.
        expectFailure(sandbox.sejf(["audit", "verify"]), code: "DecryptionFailure", mentioning: ["checkpoint at event 5", "forged"])
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", early]), code: "DecryptionFailure")
    }

    @Test("a chain rehashed without the key (after removing the audit key's id) does not verify")
    func forgedWithoutKey() throws {
        let sandbox = try populated()
        try tamper(sandbox, "forge", [])
        expectFailure(sandbox.sejf(["audit", "verify"]), code: "DecryptionFailure", mentioning: ["tampered with"])
        expectFailure(sandbox.sejf(["audit", "checkpoint"]), code: "DecryptionFailure")
        expectFailure(sandbox.sejf(["audit", "prune", "--before", "1s"]), code: "DecryptionFailure")
    }

    // MARK: - Queries

    @Test("list: newest first, filters (env, principal, secret name or ARN, action, outcome, since, until), limit, table and json")
    func listFilters() throws {
        let sandbox = try populated()
        try sandbox.put("svc/a", "alpha-prod", env: "prod")
        _ = try sandbox.get("svc/a", env: "prod")
        // The ARNs, from the trail (describing the secrets would add events).
        let created = try export(sandbox, ["--action", "CreateSecret", "--secret", "svc/a"])
        let devA = try #require(created.first { $0["environment"] as? String == "dev" }?["secretArn"] as? String)
        let prodA = try #require(created.first { $0["environment"] as? String == "prod" }?["secretArn"] as? String)

        let all = try list(sandbox, [])
        #expect(all.count == 12)
        #expect(all.map { $0["sequence"] as? Int } == Array((1...12).reversed()).map { $0 })
        #expect(try list(sandbox, ["--limit", "2"]).map { $0["sequence"] as? Int } == [12, 11])

        #expect(try list(sandbox, ["--env", "prod"]).count == 3)
        #expect(try list(sandbox, ["--principal", "admin"]).count == 12)
        #expect(try list(sandbox, ["--principal", "nobody"]).isEmpty)
        let byName = try list(sandbox, ["--secret", "svc/a"])
        #expect(byName.count == 6, "CreateSecret and three reads in dev, CreateSecret and a read in prod")
        #expect(Set(byName.compactMap { $0["secretArn"] as? String }) == [devA, prodA])
        #expect(try list(sandbox, ["--secret", "svc/a", "--limit", "2"]).map { $0["secretArn"] as? String } == [prodA, prodA])
        #expect(try list(sandbox, ["--secret", devA]).count == 4)
        #expect(try list(sandbox, ["--secret", "svc"]).isEmpty, "a name matches whole names only")

        let reads = try list(sandbox, ["--action", "GetSecretValue", "--env", "dev"])
        #expect(reads.count == 5)
        #expect(try list(sandbox, ["--action", "secretsmanager:getsecretvalue", "--env", "dev"]).count == 5)
        let failures = try list(sandbox, ["--outcome", "error"])
        #expect(failures.count == 3 && failures.allSatisfy { $0["errorCode"] as? String == "ResourceNotFoundException" })
        #expect(try list(sandbox, ["--outcome", "denied"]).isEmpty)

        #expect(try list(sandbox, ["--since", "1h"]).count == 12)
        #expect(try list(sandbox, ["--until", "1h"]).isEmpty)
        #expect(try list(sandbox, ["--since", "2000-01-01", "--until", "2000-01-02T00:00:00Z"]).isEmpty)

        // The table: a header and one row per event, names instead of ARNs, text as an alias.
        let table = sandbox.sejf(["audit", "list", "--secret", "svc/a", "--env", "prod"])
        expectSuccess(table)
        let rows = table.stdout.split(separator: "\n")
        #expect(rows.count == 3)
        #expect(rows.first?.hasPrefix("SEQ") == true && rows.first?.contains("PRINCIPAL") == true)
        #expect(rows[1].hasPrefix("12 ") && rows[1].contains("GetSecretValue") && rows[1].contains(" svc/a ") && rows[1].contains("allowed"))
        #expect(!table.stdout.contains("arn:aws"))
        #expect(sandbox.sejf(["audit", "list", "--output", "text", "--limit", "1"]).stdout.split(separator: "\n").count == 2)

        expectFailure(sandbox.sejf(["audit", "list", "--since", "yesterday"]), code: "InvalidParameterException", mentioning: ["yesterday"])
        expectFailure(sandbox.sejf(["audit", "list", "--since", "1h", "--until", "2h"]), mentioning: ["--since"])
        expectFailure(sandbox.sejf(["audit", "list", "--action", "Teleport"]), mentioning: ["unknown action"])
    }

    @Test("who-read: principal, secret, reads, last read; stale: secrets nobody read")
    func whoReadAndStale() throws {
        let sandbox = try populated()
        try sandbox.put("svc/unused", "never-read")
        try sandbox.put("svc/a", "alpha-prod", env: "prod")

        let table = sandbox.sejf(["audit", "who-read", "--env", "dev", "--since", "7d"])
        expectSuccess(table)
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["PRINCIPAL", "SECRET", "READS", "LAST", "READ"])
        #expect(rows.dropFirst().map { Array($0.prefix(3)) } == [["admin", "svc/a", "3"], ["admin", "svc/b", "2"]])

        let json = sandbox.sejf(["audit", "who-read", "--env", "dev", "--since", "7d", "--output", "json"])
        expectSuccess(json)
        let read = try #require(try jsonValue(json) as? [[String: Any]])
        #expect(read.map { $0["reads"] as? Int } == [3, 2])
        #expect(read.first?["secretArn"] as? String == (try arn(sandbox, "svc/a")))
        #expect(read.first?["principal"] as? String == "admin")

        let prodReads = sandbox.sejf(["audit", "who-read", "--env", "prod", "--since", "7d"])
        #expect(prodReads.stdout.split(separator: "\n").count == 1, "reads in dev are not reads in prod: \(prodReads)")
        #expect(sandbox.sejf(["audit", "who-read", "--env", "dev", "--since", "2099-01-01"]).stdout.split(separator: "\n").count == 1)
        expectFailure(sandbox.sejf(["audit", "who-read", "--env", "qa"]), code: "ResourceNotFoundException", mentioning: ["qa"])

        let stale = sandbox.sejf(["audit", "stale", "--env", "dev", "--days", "90"])
        expectSuccess(stale)
        #expect(stale.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
                == [["SECRET", "LAST", "READ"], ["svc/unused", "never"]])
        let staleJSON = sandbox.sejf(["audit", "stale", "--env", "prod", "--output", "json"])
        expectSuccess(staleJSON)
        #expect((try jsonValue(staleJSON) as? [[String: Any]])?.map { $0["name"] as? String } == ["svc/a"])
    }

    @Test("export: JSON Lines oldest first, every field, filtered like list")
    func exportLines() throws {
        let sandbox = try populated()
        let events = try export(sandbox)
        #expect(events.map { $0["sequence"] as? Int } == Array(1...9).map { $0 })
        let keys: Set<String> = ["sequence", "hash", "time", "environment", "principal", "accessKeyId", "action", "secretArn",
                                 "versionId", "versionStages", "outcome", "errorCode", "sourceAddress", "userAgent", "requestId"]
        #expect(events.allSatisfy { Set($0.keys) == keys })

        #expect(try export(sandbox, ["--secret", "svc/b"]).map { $0["sequence"] as? Int } == [4, 6, 8])
        #expect(try export(sandbox, ["--action", "CreateSecret"]).count == 2)
        #expect(try export(sandbox, ["--outcome", "error", "--env", "dev"]).map { $0["sequence"] as? Int } == [1, 3])
        #expect(try export(sandbox, ["--env", "prod"]).isEmpty)
        // The lines are exactly what list shows.
        let listed = try list(sandbox, ["--limit", "1"])
        #expect(listed.first?["hash"] as? String == events.last?["hash"] as? String)
    }

    @Test("prune keeps a checkpoint and the rest still verifies; a broken chain is not pruned")
    func prune() throws {
        let sandbox = try populated()
        // An instant between event 9 and event 10, so how long the commands below take (a
        // loaded machine) cannot move events across it.
        Thread.sleep(forTimeInterval: 0.05)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let cutoff = format.string(from: Date())
        Thread.sleep(forTimeInterval: 0.05)
        _ = try sandbox.get("svc/a")
        let before = try export(sandbox)
        let oldCheckpoint = sandbox.sejf(["audit", "checkpoint"])
        expectSuccess(oldCheckpoint)
        let old = try sandbox.file("old.jsonl", Array(oldCheckpoint.stdout.utf8))
        let early = try sandbox.file("early.jsonl", Array((try JSONSerialization.data(withJSONObject: [
            "sequence": 3, "hash": before[2]["hash"]!, "time": before[2]["time"]!])) + [0x0A]))

        expectFailure(sandbox.sejf(["audit", "prune", "--before", "2099-01-01"]), mentioning: ["future"])
        let pruned = sandbox.sejf(["audit", "prune", "--before", cutoff])
        expectSuccess(pruned)
        #expect(pruned.stdout.hasPrefix("Pruned events through 9; checkpoint kept: {\"hash\":\"\(before[8]["hash"] as? String ?? "")\",\"sequence\":9,"))
        #expect(try export(sandbox).map { $0["sequence"] as? Int } == [10])

        _ = try sandbox.get("svc/b")
        let verified = verifyOK(sandbox)
        #expect(verified.hasPrefix("ok: 2 events verified, head 11 "), "counted from the prune checkpoint: \(verified)")
        #expect(verified.hasSuffix("; pruned through event 9\n"))
        #expect(verifyOK(sandbox, ["--checkpoint", old]).contains("ok: checkpoint 10 "))
        expectFailure(sandbox.sejf(["audit", "verify", "--checkpoint", early]), mentioning: ["pruned"])
        // Reads before the prune are gone from who-read; nothing to prune twice.
        let reads = sandbox.sejf(["audit", "who-read", "--env", "dev", "--output", "json"])
        #expect((try jsonValue(reads) as? [[String: Any]])?.map { $0["reads"] as? Int } == [1, 1])
        #expect(sandbox.sejf(["audit", "prune", "--before", cutoff]).stdout.hasPrefix("Nothing to prune"))

        // Tampering after the checkpoint is still caught, and blocks pruning.
        try tamper(sandbox, "edit", ["11", "principal", "\"mallory\""])
        expectFailure(sandbox.sejf(["audit", "verify"]), mentioning: ["event 11"])
        expectFailure(sandbox.sejf(["audit", "prune", "--before", "1s"]), code: "InvalidRequestException", mentioning: ["refusing to prune"])
        #expect(try export(sandbox).count == 2, "nothing was pruned")
    }
}
