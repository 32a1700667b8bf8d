import ArgumentParser
import Foundation
import SejfCore
import SejfService

extension AuditCommand {
    /// `sejf audit verify`: walks the hash chain; with `--checkpoint`, also compares an exported
    /// checkpoint, which catches a truncated tail.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify the audit trail's hash chain (exit status 1 on the first break).",
            discussion: """
                Prints `ok: N events verified, head SEQ HASH`. An edited, deleted, inserted or \
                reordered event breaks the chain; removing the newest events does not, so keep \
                checkpoints (`sejf audit checkpoint >> checkpoints.jsonl`) and pass them back with \
                --checkpoint (its last line is compared).
                """)

        @OptionGroup var store: AuditDataOptions

        @Option(name: .long, help: ArgumentHelp("A file of exported checkpoints (or - for stdin); the last line is compared.", valueName: "file"))
        var checkpoint: String?

        @Option(name: .long, help: "Output format: table (or text), or json.")
        var output: AuditOutputFormat = .table

        func run() throws {
            let exported = try checkpoint.map(Self.readCheckpoint)
            let service = try store.openService()
            let verification = try service.verifyAudit()
            guard verification.isIntact else { throw CommandLineFailure(verification.message) }
            let comparison = try exported.map { try service.compareAudit(with: $0) }
            if let comparison, !comparison.isConsistent { throw CommandLineFailure(comparison.message) }

            if output.isJSON {
                return try Output.json(VerifyJSON(verified: verification.verifiedCount, start: verification.start,
                                                  head: verification.head, checkpoint: exported))
            }
            let head = verification.head
            let start = verification.start.sequence == 0 ? "" : "; pruned through event \(verification.start.sequence)"
            Output.line("ok: \(verification.verifiedCount) events verified, head \(head.sequence) \(AuditText.hex(head.hash))\(start)")
            if let exported, case .matches(let newest) = comparison {
                Output.line("ok: checkpoint \(exported.sequence) \(AuditText.hex(exported.hash)) matches; newest event \(newest)")
            }
        }

        /// The last non-empty line of `path` (`-` is stdin), as a checkpoint.
        static func readCheckpoint(_ path: String) throws -> AuditCheckpoint {
            let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
            guard let data else { throw CommandLineFailure("cannot read \(path)") }
            let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard let last = lines.last else { throw CommandLineFailure("\(path) holds no checkpoint") }
            do {
                return try AuditExport.checkpoint(fromLine: last)
            } catch let error as SejfError {
                throw CommandLineFailure("\(path): \(error.message)")
            }
        }
    }

    /// `sejf audit checkpoint`: the newest verified event's checkpoint, as one JSON line to keep
    /// somewhere the database's owner cannot write.
    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the head of the verified audit chain as a checkpoint line, for `verify --checkpoint`.",
            discussion: "The chain is verified first: a checkpoint vouches for the events up to it. Example: sejf audit checkpoint >> /secure/checkpoints.jsonl")

        @OptionGroup var store: AuditDataOptions

        func run() throws {
            let verification = try store.openService().verifyAudit()
            guard verification.isIntact else { throw CommandLineFailure(verification.message) }
            Output.line(AuditExport.line(verification.head))
        }
    }
}

/// `sejf audit verify --output json`.
private struct VerifyJSON: Encodable {
    var intact = true
    var verified: Int64
    /// Where the walk began: the prune checkpoint, or sequence 0.
    var start: AuditCheckpoint
    var head: AuditCheckpoint
    /// The exported checkpoint compared, when one was given (it matched).
    var checkpoint: AuditCheckpoint?
}
