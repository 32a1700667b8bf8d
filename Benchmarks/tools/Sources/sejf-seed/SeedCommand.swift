import ArgumentParser
import Foundation
import SejfSeeding
import SejfStore

/// `sejf-seed`: fills a data directory made by `sejf init` with a benchmark data set.
@main
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sejf-seed",
        abstract: "Write a benchmark data set (secrets × versions, audit events) into a data directory made by `sejf init`.",
        discussion: """
            Secrets are named bench/secret-NNNNNN with ~100-byte JSON values; the audit events are spread over the \
            last --audit-days days. Everything goes through the store's API: real envelopes, a real audit chain. \
            Prints a JSON report on stdout, progress on stderr. Example: \
            sejf-seed --data D --secrets 100000 --versions 5 --audit-events 10000000
            """)

    @Option(help: ArgumentHelp("The data directory (made by `sejf init`).", valueName: "dir"))
    var data: String

    @Option(name: .customLong("key-dir"), help: ArgumentHelp("Directory of the key files (default: <data>/keys).", valueName: "dir"))
    var keyDirectory: String?

    @Option(name: .customLong("env"), help: "The environment to fill.")
    var environment = "dev"

    @Option(help: "Secrets to create.")
    var secrets = 1000

    @Option(help: "Versions per secret (the newest is AWSCURRENT).")
    var versions = 1

    @Option(name: .customLong("audit-events"), help: "Audit events to append.")
    var auditEvents = 0

    @Option(name: .customLong("audit-days"), help: "The audit events cover this many days up to now.")
    var auditDays = 7.0

    @Option(help: "Service principals in the audit trail.")
    var principals = 200

    @Option(name: .customLong("secrets-per-principal"), help: "Secrets each principal reads.")
    var secretsPerPrincipal = 50

    @Option(name: .customLong("secrets-per-transaction"), help: "Secrets per write transaction.")
    var secretsPerTransaction = 1000

    @Option(name: .customLong("events-per-transaction"), help: "Audit events per write transaction.")
    var eventsPerTransaction = 10_000

    @Option(help: "Seed of the generator (the same seed gives the same data).")
    var seed: UInt64 = 20_261_126

    @Option(name: .customLong("values-out"), help: ArgumentHelp("Also write {name: current value} as JSON to this file.", valueName: "file"))
    var valuesOut: String?

    func validate() throws {
        guard secrets >= 0, versions >= 1, auditEvents >= 0, auditDays > 0, principals >= 1, secretsPerPrincipal >= 1,
              secretsPerTransaction >= 1, eventsPerTransaction >= 1 else {
            throw ValidationError("Counts must be positive (--secrets and --audit-events may be 0; --versions at least 1).")
        }
    }

    func run() throws {
        let plan = SeedPlan(environment: environment, secrets: secrets, versions: versions, auditEvents: auditEvents,
                            auditDays: auditDays, principals: principals, secretsPerPrincipal: secretsPerPrincipal,
                            secretsPerTransaction: secretsPerTransaction, eventsPerTransaction: eventsPerTransaction, seed: seed)
        let (report, seeded) = try Seeder.run(plan, in: DataDirectory(path: data, keyDirectory: keyDirectory)) { line in
            FileHandle.standardError.write(Data("[sejf-seed] \(line)\n".utf8))
        }
        if let valuesOut { try writeValues(seeded, to: valuesOut) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// The current value of every secret, by name (for the benchmark's answer checks).
    private func writeValues(_ seeded: [SeededSecret], to path: String) throws {
        let values = Dictionary(uniqueKeysWithValues: seeded.map { ($0.name, $0.currentValue) })
        try JSONEncoder().encode(values).write(to: URL(fileURLWithPath: path))
    }
}
