import Foundation
import SejfCore
import SejfStore

/// Seeds a data directory made by `sejf init`: secrets with their versions, then the audit
/// trail. Everything goes through the store's public writer API, so values are real envelopes
/// under the environment's key and the audit chain is real and verifies (`sejf audit verify`).
public enum Seeder {
    /// Runs `plan` against `directory`; `log` gets progress lines. Returns what it wrote.
    ///
    /// - Throws: when the directory is not initialised, the environment does not exist, or the
    ///   store refuses a write.
    public static func run(_ plan: SeedPlan, in directory: DataDirectory, log: @escaping (String) -> Void = { _ in }) throws
        -> (report: SeedReport, secrets: [SeededSecret]) {
        guard directory.isInitialised else {
            throw SejfError(.invalidRequest, "No Sejf data in \(directory.path): run `sejf init` first.")
        }
        var random = SeedRandom(seed: plan.seed)
        let (secrets, secondsForSecrets, secondsForAudit) = try seed(plan, directory: directory, random: &random, log: log)
        let report = SeedReport(environment: plan.environment, secrets: plan.secrets, versions: plan.versions,
                                auditEvents: plan.auditEvents, principals: plan.principals,
                                secretsSeconds: secondsForSecrets, auditSeconds: secondsForAudit,
                                databaseBytes: databaseBytes(directory))
        return (report, secrets)
    }

    /// Both phases, timed, with the store open only inside this function (closed on return, so
    /// the size measured after it includes a checkpointed WAL).
    private static func seed(_ plan: SeedPlan, directory: DataDirectory, random: inout SeedRandom,
                             log: @escaping (String) -> Void) throws -> ([SeededSecret], Double, Double) {
        let store = try SQLiteSecretStore(path: directory.databasePath, keyRing: KeyRing(directory: directory))
        let environment = try EnvironmentName(plan.environment)
        let account = try store.read { reader -> String in
            guard try reader.environment(environment) != nil else {
                throw SejfError(.resourceNotFound, "No environment '\(plan.environment)' in \(directory.path).")
            }
            return try reader.accountId()
        }
        let clock = PhaseClock()
        let secrets = try SecretSeeder(plan: plan, environment: environment, account: account)
            .seedAll(into: store, random: &random, progress: clock.progress("secrets", of: plan.secrets, log: log))
        let secondsForSecrets = clock.lap()
        try AuditSeeder(plan: plan, secrets: secrets)
            .seedAll(into: store, random: &random, progress: clock.progress("audit events", of: plan.auditEvents, log: log))
        return (secrets, secondsForSecrets, clock.lap())
    }

    /// The database file and its WAL, in bytes.
    static func databaseBytes(_ directory: DataDirectory) -> Int64 {
        ["", "-wal"].reduce(Int64(0)) { total, suffix in
            let size = (try? FileManager.default.attributesOfItem(atPath: directory.databasePath + suffix)[.size]) as? NSNumber
            return total + (size?.int64Value ?? 0)
        }
    }
}

/// Wall time of the phases, and progress lines at most every 10 seconds.
final class PhaseClock {
    private var phaseStart = Date()
    private var lastLine = Date()

    /// Seconds since the phase started; the next phase starts now.
    func lap() -> Double {
        let seconds = Date().timeIntervalSince(phaseStart)
        phaseStart = Date()
        lastLine = phaseStart
        return seconds
    }

    /// A progress callback for `total` items of `what`.
    func progress(_ what: String, of total: Int, log: @escaping (String) -> Void) -> (Int) -> Void {
        { [self] done in
            guard done == total || Date().timeIntervalSince(lastLine) >= 10 else { return }
            lastLine = Date()
            let seconds = Date().timeIntervalSince(phaseStart)
            log("\(done)/\(total) \(what) in \(String(format: "%.1f", seconds)) s (\(Int(Double(done) / max(seconds, 1e-9)))/s)")
        }
    }
}
