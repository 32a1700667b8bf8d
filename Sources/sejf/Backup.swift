import ArgumentParser
import Foundation
import SejfCore
import SejfService
import SejfStore

/// `sejf backup --out FILE`: a consistent, still-encrypted snapshot of the database, taken with
/// SQLite's online backup API (a running server keeps serving), then verified as a restore would.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent snapshot of the database to a new file (works while the server runs).",
        discussion: """
            The snapshot is one SQLite file (mode 0600) taken in one read transaction, so it holds \
            every write acknowledged before it started. Values stay encrypted and no key is in it: \
            back up the key directory (or the SEJF_KEY_* variables) separately — without the keys \
            the snapshot cannot be read. Right after writing, the snapshot is checked (integrity, \
            schema, audit chain, and that the keys at hand open every environment); a snapshot that \
            fails is removed. The backup is recorded in the audit trail as sejf:Backup. An existing \
            file is never overwritten.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("The snapshot file to create (must not exist).", valueName: "file"))
    var out: String

    func run() throws {
        try requireLocal(store, "backup")
        let directory = store.directory
        let report = try SQLiteSecretStore.backup(directory, to: out, keyRing: KeyRing(directory: directory),
                                                  audit: AdministrativeAudit(principal: Principal.localOperator.name))
        if store.output == .json { return try Output.json(report) }
        Output.line("Backed up \(report.database) to \(report.path): \(bytes(report.bytes)) in \(seconds(report.backupSeconds)) (\(seconds(report.totalSeconds)) with verification).")
        printSnapshot(report.snapshot)
        Output.line("The snapshot holds no keys: keep a copy of \(directory.keyDirectory) (or the SEJF_KEY_* variables) apart from it.")
    }
}

/// `sejf restore FILE`: verifies a snapshot with the keys at hand, then swaps it in.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the database with a snapshot made by `sejf backup`, after verifying it.",
        discussion: """
            The snapshot is verified first — SQLite integrity, a schema this version knows, the \
            audit chain (with the audit key at hand), and that the keys at hand open every \
            environment and access key — and nothing is touched when that fails. With --dry-run it \
            stops there and says what it would do. Otherwise it refuses while another process (a \
            running sejf server) holds the data directory, keeps the current database as \
            sejf.db.before-restore-<UTC time> (never deleted), and moves the snapshot into place \
            atomically. The restore is recorded in the restored audit trail as sejf:Restore.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The snapshot file.", valueName: "file"))
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Verify the snapshot and report what would be replaced; change nothing.")
    var dryRun = false

    func run() throws {
        try requireLocal(store, "restore")
        let directory = store.directory
        let report = try SQLiteSecretStore.restore(file, into: directory, keyRing: KeyRing(directory: directory), dryRun: dryRun,
                                                   audit: AdministrativeAudit(principal: Principal.localOperator.name))
        if store.output == .json { return try Output.json(report) }
        Output.line("Verified \(report.snapshot.path) (\(bytes(report.snapshot.bytes))).")
        printSnapshot(report.snapshot)
        let previous = report.previousDatabase ?? ""
        if report.dryRun {
            if report.replacesExisting {
                Output.line("Dry run: would replace \(report.database) (\(bytes(report.previousBytes ?? 0))) with this snapshot, keeping the current database as \(previous). Nothing was changed.")
            } else {
                Output.line("Dry run: would create \(report.database) from this snapshot (there is no database there now). Nothing was changed.")
            }
            Output.line("A restore is refused while a sejf server (or another restore) holds \(directory.lockFilePath).")
            return
        }
        if report.replacesExisting {
            Output.line("Restored \(report.snapshot.path) into \(report.database). The previous database is kept as \(previous) (with its -wal/-shm, if it had them).")
        } else {
            Output.line("Restored \(report.snapshot.path) into \(report.database) (there was no database before).")
        }
        if let sequence = report.auditSequence { Output.line("Recorded as audit event \(sequence) (sejf:Restore).") }
    }
}

/// Backups and restores work on the data directory itself, never through a server.
private func requireLocal(_ store: StoreOptions, _ command: String) throws {
    if store.endpoint != nil {
        throw CommandLineFailure("sejf \(command) works on the data directory (--data), not through a server; drop --endpoint")
    }
}

private func printSnapshot(_ snapshot: SnapshotReport) {
    let pending = snapshot.pendingMigrations.isEmpty ? "" : "; a restore migrates it to this version (\(snapshot.pendingMigrations.count) migrations)"
    let pruned = snapshot.auditPrunedThrough == 0 ? "" : " (pruned through event \(snapshot.auditPrunedThrough))"
    Output.line("ok: integrity \(snapshot.integrity); schema '\(snapshot.schema)'\(pending); account \(snapshot.account).")
    Output.line("ok: \(snapshot.environments.count) environments, \(snapshot.secrets) secrets, \(snapshot.versions) versions, \(snapshot.principals) principals, \(snapshot.accessKeys) access keys.")
    Output.line("ok: audit chain intact: \(snapshot.auditVerified) events verified, head \(snapshot.auditEvents) \(AuditText.hex(snapshot.auditHead.hash))\(pruned).")
    Output.table(["ENVIRONMENT", "KEY ID", "SECRETS", "VERSIONS", "NEWEST VERSION"],
                 snapshot.environments.map { [$0.name, $0.keyId, "\($0.secrets)", "\($0.versions)", $0.newestVersionDecrypted ? "decrypts" : "-"] })
}

private func bytes(_ count: Int64) -> String {
    count < 10 * 1024 ? "\(count) bytes" : count < 10 * 1024 * 1024 ? "\(count / 1024) KiB" : "\(count / (1024 * 1024)) MiB"
}

private func seconds(_ value: Double) -> String {
    String(format: "%.3f s", value)
}
