import Foundation

/// Runs a command as `sejf run` does: no shell, the variables added to its environment,
/// SIGINT/SIGTERM/SIGHUP/SIGQUIT forwarded, and its exit status returned (128 + the signal when
/// it was killed by one, as shells report it).
enum ChildProcess {
    static func run(_ arguments: [String], adding variables: [(name: String, value: String)]) throws -> Int32 {
        guard let command = arguments.first else { throw CommandLineFailure("give the command to run after --") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(command))
        process.arguments = Array(arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in variables { environment[name] = value }
        process.environment = environment
        let forwarded = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        let sources = forwarded.map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { if process.isRunning { kill(process.processIdentifier, number) } }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            for number in forwarded { signal(number, SIG_DFL) }
        }
        do {
            try process.run()
        } catch {
            throw CommandLineFailure("cannot run \(command): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// A command name is looked up in `PATH`, as `execvp` would; a path is used as given.
    static func resolve(_ command: String) throws -> String {
        if command.contains("/") { return command }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CommandLineFailure("\(command): command not found in PATH")
    }
}
