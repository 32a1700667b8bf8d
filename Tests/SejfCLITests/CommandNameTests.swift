import ArgumentParser
import Testing
@testable import sejf

/// Every command names itself in its configuration. Without `commandName`, ArgumentParser derives
/// the name with `String(describing:)` of the command's type, whose dynamic casts scan every
/// protocol conformance of every loaded library on a cold start: a quarter of a CLI run's CPU
/// (`sejf secret get` embedded: 46.9 → 38.0 ms, `python3 Benchmarks/bench.py --workloads cli`).
@Test("every command and subcommand has an explicit commandName")
func everyCommandHasAnExplicitName() {
    var unnamed: [String] = []
    var seen = 0
    func visit(_ command: any ParsableCommand.Type, path: String) {
        seen += 1
        let name = command.configuration.commandName
        if name == nil { unnamed.append("\(path) > \(command)") }
        for subcommand in command.configuration.subcommands {
            visit(subcommand, path: "\(path) \(name ?? "?")")
        }
    }
    visit(SejfCommand.self, path: "")
    #expect(unnamed.isEmpty, "commands without commandName: \(unnamed)")
    #expect(seen > 70)  // the whole tree was walked
}
