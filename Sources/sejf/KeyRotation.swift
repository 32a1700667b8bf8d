import ArgumentParser
import Foundation
import SejfCore
import SejfService
import SejfStore

// `sejf key rotate`, `sejf key retire`, `sejf key kek-list`: an environment's key-encryption keys
// (KEKs), not access keys. Administration of the data directory: always embedded.

/// Where the data lives (`--data`, `--key-dir`) and how to print (`--output`); no `--endpoint`:
/// environment keys are managed on the data directory itself, never through a server.
struct KeyAdministrationOptions: ParsableArguments {
    @OptionGroup var location: AuditDataOptions

    @Option(name: .long, help: "Output format: text, or json.")
    var output: OutputFormat = .text
}

/// The data directory's store and key ring, opened directly.
private struct KeyAdministration {
    let keyRing: KeyRing
    let store: SQLiteSecretStore

    init(_ options: KeyAdministrationOptions) throws {
        let directory = options.location.directory
        guard directory.isInitialised else {
            throw SejfError(.invalidRequest, "No Sejf data in \(directory.path): run `sejf init` first (or set --data / SEJF_DATA).")
        }
        keyRing = KeyRing(directory: directory)
        store = try SQLiteSecretStore(path: directory.databasePath, keyRing: keyRing)
    }

    static func administrator(_ context: RequestContext) -> KeyAdministrator {
        KeyAdministrator(principal: context.principal.name, sourceAddress: context.sourceAddress, userAgent: context.userAgent,
                         requestId: context.requestId)
    }
}

extension KeyCommand {
    struct RotateKEK: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Rotate an environment's encryption key (KEK): a new key, then every data key re-wrapped under it.",
            discussion: """
                Not an access key: this replaces the key-encryption key that wraps the data key of \
                every secret version of the environment. The new key becomes the active one at once \
                (new versions are sealed with it); then the data keys under older keys are re-wrapped \
                in batches of --batch versions, each in its own short transaction, while a server keeps \
                serving. Values are not re-encrypted: only their wrapped data keys change.

                Where the new key comes from: for an environment whose keys are files, a new random key \
                in <key dir>/<env>.<key id>.key (mode 0600); the old key file keeps working until the \
                key is retired. For an environment whose key comes from SEJF_KEY_<ENV> or \
                SEJF_PASSPHRASE_<ENV>, from SEJF_NEW_KEY_<ENV> (base64 of 32 bytes) or \
                SEJF_NEW_PASSPHRASE_<ENV>: give the new variable to every sejf process (servers too) \
                before rotating; afterwards move the new value into SEJF_KEY_<ENV> (or \
                SEJF_PASSPHRASE_<ENV>) and keep the old one as SEJF_OLD_KEY_<ENV> (or \
                SEJF_OLD_PASSPHRASE_<ENV>) until it is retired. Every key is found by its id in any \
                of these places.

                If it stops (Ctrl-C, --max-batches, an error), run it again: while versions remain \
                under an older key, rotate finishes that re-wrap instead of making yet another key \
                (--resume: only ever finish). Audited as sejf:RotateKey.
                """)
        @OptionGroup var store: KeyAdministrationOptions
        @OptionGroup var environment: EnvironmentOption
        @Option(name: .long, help: "Versions re-wrapped per transaction.") var batch: Int = KeyRotationOptions.defaultBatchSize
        @Flag(name: .long, help: "Only finish an unfinished re-wrap; never make a new key.") var resume = false
        @Option(name: .customLong("max-batches"), help: ArgumentHelp("Stop after N batches (finish later with --resume).", valueName: "n"))
        var maxBatches: Int?

        func validate() throws {
            guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 100000") }
            if let maxBatches, maxBatches < 1 { throw ValidationError("--max-batches must be at least 1") }
        }

        func run() throws {
            let context = try environment.context()
            let admin = try KeyAdministration(store)
            let env = context.environment
            let options = KeyRotationOptions(batchSize: batch, resumeOnly: resume, maxBatches: maxBatches)
            let result = try admin.store.rotateKey(of: env, options: options, by: KeyAdministration.administrator(context),
                                                   progress: { step in
                let percent = step.total > 0 ? " (\(step.rewrapped * 100 / step.total)%)" : ""
                Output.note("re-wrapped \(step.rewrapped) of \(step.total) versions\(percent)")
            })
            if store.output == .json { return try Output.json(result) }
            let rate = result.seconds > 0 ? Int((Double(result.rewrapped) / result.seconds).rounded()) : 0
            if result.created {
                Output.line("Key \(result.keyId) is now the active key of environment '\(env)': new versions are sealed with it.")
            } else if result.rewrapped == 0 && result.remaining == 0 {
                Output.line("Nothing to re-wrap: every version of '\(env)' is under its active key \(result.keyId).")
                return
            } else {
                Output.line("Resumed the re-wrap to the active key \(result.keyId) of environment '\(env)'; no new key was made.")
            }
            Output.line("Re-wrapped \(result.rewrapped) version\(result.rewrapped == 1 ? "" : "s") in \(result.batches) batch\(result.batches == 1 ? "" : "es") "
                        + "(\(String(format: "%.2f", result.seconds)) s, \(rate) versions/s).")
            if result.remaining > 0 {
                Output.line("\(result.remaining) versions are still under an older key: finish with `sejf key rotate --env \(env) --resume`.")
                return
            }
            let names = EnvironmentKeyNames(environment: env)
            if let active = try admin.store.keyUsage(of: env).first(where: \.active), active.record.source != .file,
               let origin = try? admin.keyRing.locate(active.record).origin, [names.newKey, names.newPassphrase].contains(origin) {
                let (current, old) = active.record.source == .passphrase ? (names.passphrase, names.oldPassphrase) : (names.key, names.oldKey)
                Output.line("Move the value of \(origin) into \(current) for every sejf process, keeping the old one as \(old) until the old key is retired.")
            }
            for old in result.previousKeyIds {
                Output.line("The old key is no longer used: retire it with `sejf key retire --env \(env) --key-id \(old)`.")
            }
        }
    }

    struct RetireKEK: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Retire an environment's old encryption key (KEK) once nothing uses it.",
            discussion: """
                Not an access key. Refused while any secret version's data key is still wrapped under \
                the key (finish the rotation first) or while it is the environment's active key. \
                Deletes the key's record and, for a key kept in a key file, the file. Audited as \
                sejf:RetireKey.
                """)
        @OptionGroup var store: KeyAdministrationOptions
        @OptionGroup var environment: EnvironmentOption
        @Option(name: .customLong("key-id"), help: ArgumentHelp("The key's id (or a unique prefix of at least 8 digits), as `sejf key kek-list` shows it.", valueName: "id"))
        var keyId: String

        func run() throws {
            let context = try environment.context()
            let admin = try KeyAdministration(store)
            let retired = try admin.store.retireKey(keyId, of: context.environment, by: KeyAdministration.administrator(context))
            if let warning = retired.warning { throw CommandLineFailure(warning) }
            if store.output == .json {
                return try Output.json(retired)
            }
            var line = "Retired key \(retired.keyId) of environment '\(retired.environment)'"
            if !retired.deletedFiles.isEmpty {
                line += "; deleted \(retired.deletedFiles.joined(separator: ", "))"
            } else if retired.source != .file {
                let names = EnvironmentKeyNames(environment: context.environment)
                line += "; remove it from \(retired.source == .passphrase ? names.oldPassphrase : names.oldKey) (or wherever it is kept): nothing needs it any more"
            }
            Output.line(line + ".")
        }
    }

    struct ListKEKs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kek-list",
            abstract: "List an environment's encryption keys (KEKs): id, active, created, source, versions using each, where it was found.")
        @OptionGroup var store: KeyAdministrationOptions
        @OptionGroup var environment: EnvironmentOption

        struct Row: Codable {
            var keyId: String
            var active: Bool
            var createdDate: Double
            var source: String
            var versions: Int
            /// Where the key was found now (a key file's path or a variable's name), or nil.
            var location: String?
            /// Why it was not found, when it was not.
            var problem: String?
        }

        func run() throws {
            let context = try environment.context()
            let admin = try KeyAdministration(store)
            let rows = try admin.store.keyUsage(of: context.environment).map { usage -> Row in
                var row = Row(keyId: usage.record.id, active: usage.active, createdDate: usage.record.createdAt,
                              source: usage.record.source.rawValue, versions: usage.versions)
                do {
                    row.location = try admin.keyRing.locate(usage.record).origin
                } catch let error as SejfError {
                    row.problem = error.message
                }
                return row
            }
            if store.output == .json { return try Output.json(rows) }
            Output.table(["KEY ID", "ACTIVE", "CREATED", "SOURCE", "VERSIONS", "FOUND IN"], rows.map {
                [$0.keyId, $0.active ? "yes" : "no", Output.date($0.createdDate), $0.source, String($0.versions),
                 $0.location.map { ($0 as NSString).lastPathComponent } ?? "missing"]
            })
            for row in rows where row.problem != nil { Output.note("\(row.keyId): \(row.problem!)") }
        }
    }
}
