import Foundation

/// A command that `sejf run` started: no shell, the given variables added to its environment.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    private var hasExited = false

    /// Starts `arguments` (a command looked up in `PATH`, as `execvp` would, then its arguments).
    init(_ arguments: [String], adding variables: [(name: String, value: String)]) throws {
        guard let command = arguments.first else { throw CommandLineFailure("give the command to run after --") }
        process.executableURL = URL(fileURLWithPath: try Self.resolve(command))
        process.arguments = Array(arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in variables { environment[name] = value }
        process.environment = environment
        process.terminationHandler = { [exited] _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw CommandLineFailure("cannot run \(command): \(error.localizedDescription)")
        }
    }

    /// Waits for the command to exit, at most until `deadline`; true when it has exited.
    func wait(until deadline: DispatchTime = .distantFuture) -> Bool {
        if !hasExited, exited.wait(timeout: deadline) == .success { hasExited = true }
        return hasExited
    }

    /// The exit status as shells report it: 128 + the signal when a signal killed it.
    var status: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    func send(_ signal: Int32) {
        if !hasExited, process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace` seconds; returns when it is gone.
    func stop(grace: Double) {
        send(SIGTERM)
        if !wait(until: .now() + grace) {
            send(SIGKILL)
            _ = wait()
        }
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

/// Forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to whichever child is current, and remembers
/// that one arrived (so `sejf run --watch` stops instead of restarting).
final class SignalForwarder: @unchecked Sendable {
    static let forwarded = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    private let lock = NSLock()
    private var child: ChildProcess?
    private var received = false
    private var sources: [any DispatchSourceSignal] = []

    init() {
        // A parent may have blocked these (a test harness, a supervisor); a blocked signal would
        // never reach the handlers, so unblock them for this thread and the ones it starts.
        var set = sigset_t()
        sigemptyset(&set)
        for number in Self.forwarded { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        sources = Self.forwarded.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in Self.forwarded { signal(number, SIG_DFL) }
    }

    /// The child that receives signals from now on.
    func forward(to child: ChildProcess?) {
        lock.withLock { self.child = child }
    }

    /// Whether a forwarded signal has arrived.
    var hasReceivedSignal: Bool { lock.withLock { received } }

    private func deliver(_ number: Int32) {
        let child = lock.withLock { () -> ChildProcess? in
            received = true
            return self.child
        }
        child?.send(number)
    }
}
