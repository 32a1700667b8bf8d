import Foundation
import Testing

/// Someone with write access to the database file (but not the keys) edits it.
@Suite("Tampering")
struct TamperingTests {
    /// Replaces the (only) version row of secret `target` in dev, with foreign keys off because the
    /// `versions_are_immutable` trigger forbids UPDATE of the ciphertext. `mode` is `flip` (one byte
    /// of the target's own ciphertext changed) or `copy` (wrapped key and ciphertext of `source`).
    private static let rewriteVersion = """
        import sqlite3, sys
        path, mode, target, source = sys.argv[1:5]
        db = sqlite3.connect(path)
        db.execute("PRAGMA foreign_keys=OFF")
        def version(name):
            rows = db.execute("SELECT v.secret_id, v.version_id, v.created_at, v.is_binary, v.key_id, v.wrapped_key, v.ciphertext "
                              "FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.environment = 'dev' AND s.name = ?",
                              (name,)).fetchall()
            assert len(rows) == 1, rows
            return rows[0]
        row = version(target)
        wrapped, ciphertext = row[5], bytearray(row[6])
        if mode == "flip":
            ciphertext[len(ciphertext) // 2] ^= 0x01
        else:
            other = version(source)
            wrapped, ciphertext = other[5], bytearray(other[6])
        db.execute("DELETE FROM versions WHERE secret_id = ? AND version_id = ?", (row[0], row[1]))
        db.execute("INSERT INTO versions (secret_id, version_id, created_at, is_binary, key_id, wrapped_key, ciphertext) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (row[0], row[1], row[2], row[3], row[4], wrapped, bytes(ciphertext)))
        db.commit()
        db.close()
        """

    private func tamper(_ sandbox: Sandbox, _ mode: String, target: String, source: String = "-") throws {
        let result = CLI.python(Self.rewriteVersion, [sandbox.data + "/sejf.db", mode, target, source])
        try #require(result.status == 0, "python3 failed: \(result)")
    }

    @Test("one flipped ciphertext byte is DecryptionFailure")
    func flippedByte() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("svc/a", "alpha-secret-value")
        try sandbox.put("svc/b", "bravo-secret-value")
        try tamper(sandbox, "flip", target: "svc/a")

        let message = expectFailure(sandbox.sejf(["secret", "get", "svc/a", "--env", "dev"]), code: "DecryptionFailure")
        #expect(!message.contains("alpha"))
        #expect(try sandbox.get("svc/b") == "bravo-secret-value\n")
    }

    @Test("a version's ciphertext and wrapped key copied onto another secret is DecryptionFailure")
    func copiedCiphertext() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        try sandbox.put("svc/a", "alpha-secret-value")
        try sandbox.put("svc/b", "bravo-secret-value")
        try tamper(sandbox, "copy", target: "svc/b", source: "svc/a")

        let message = expectFailure(sandbox.sejf(["secret", "get", "svc/b", "--env", "dev"]), code: "DecryptionFailure")
        #expect(!message.contains("alpha") && !message.contains("bravo-secret"))
        #expect(try sandbox.get("svc/a") == "alpha-secret-value\n")
    }

    @Test("a database truncated to half its size fails cleanly, without a crash")
    func truncatedDatabase() throws {
        let sandbox = try Sandbox()
        try sandbox.initialise()
        for index in 0..<5 { try sandbox.put("svc/\(index)", "value-\(index)") }
        let path = sandbox.data + "/sejf.db"
        for suffix in ["-wal", "-shm"] {
            #expect(!FileManager.default.fileExists(atPath: path + suffix), "expected a checkpointed database, found sejf.db\(suffix)")
        }
        let size = try #require((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue)
        #expect(truncate(path, off_t(size / 2)) == 0)

        for args in [["secret", "get", "svc/0", "--env", "dev"], ["secret", "get", "svc/4", "--env", "dev"],
                     ["secret", "list", "--env", "dev"], ["secret", "describe", "svc/2", "--env", "dev"],
                     ["secret", "put", "svc/9", "--env", "dev", "--value", "new"], ["env", "list"]] {
            let result = sandbox.sejf(args)
            expectFailure(result, code: "InternalServiceError", mentioning: ["damaged"])
        }
    }
}
