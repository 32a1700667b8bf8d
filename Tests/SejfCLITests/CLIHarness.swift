import Foundation
import Testing

/// What one run of a child process produced.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    /// True when the child died of a signal (a crash), not by calling `exit`.
    var terminatedBySignal: Bool
    var timedOut: Bool
    var stdoutData: Data
    var stderr: String

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stderr.hasSuffix("\n") ? 1 : 0) }

    var description: String {
        "status \(status)\(terminatedBySignal ? " (signal)" : "")\(timedOut ? " (timed out)" : ""), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)"
    }
}

/// Runs the built `sejf` binary (and a few helper tools) as child processes.
enum CLI {
    /// The package root: three levels up from `Tests/SejfCLITests/CLIHarness.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `$SEJF_BIN`, else `<package root>/.build/debug/sejf`.
    static var binaryPath: String {
        if let explicit = ProcessInfo.processInfo.environment["SEJF_BIN"], !explicit.isEmpty { return explicit }
        return packageRoot + "/.build/debug/sejf"
    }

    /// The test process's environment without any `SEJF_*` variable (so a developer's SEJF_DATA,
    /// SEJF_ENV, SEJF_KEY_* or SEJF_PASSPHRASE_* never leaks in), plus `extra`.
    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SEJF_") }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Runs `sejf args…`.
    static func run(_ args: [String], stdin: Data? = nil, env: [String: String] = [:]) -> CLIResult {
        run(executable: binaryPath, args, stdin: stdin, env: env)
    }

    /// Runs any executable with a clean environment, collecting stdout and stderr concurrently.
    static func run(executable: String, _ args: [String], stdin: Data? = nil, env: [String: String] = [:],
                    timeout: TimeInterval = 60) -> CLIResult {
        ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.environment = childEnvironment(env)
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe

        let out = Collected()
        let err = Collected()
        let group = DispatchGroup()
        do {
            try process.run()
        } catch {
            return CLIResult(status: -1, terminatedBySignal: false, timedOut: false, stdoutData: Data(),
                             stderr: "cannot launch \(executable): \(error)")
        }
        let outHandle = outPipe.fileHandleForReading
        let errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: group) { out.data = outHandle.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { err.data = errHandle.readDataToEndOfFile() }
        if let stdin {
            let inHandle = inPipe.fileHandleForWriting
            DispatchQueue.global().async(group: group) {
                try? inHandle.write(contentsOf: stdin)
                try? inHandle.close()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
        }
        process.waitUntilExit()
        group.wait()
        return CLIResult(status: process.terminationStatus, terminatedBySignal: process.terminationReason == .uncaughtSignal,
                         timedOut: timedOut, stdoutData: out.data, stderr: String(decoding: err.data, as: UTF8.self))
    }

    /// Runs a Python 3 script (for editing the SQLite file directly).
    static func python(_ script: String, _ args: [String]) -> CLIResult {
        run(executable: "/usr/bin/env", ["python3", "-c", script] + args)
    }

    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()
}

private final class Collected: @unchecked Sendable {
    var data = Data()
}

/// A temporary directory for one test, removed (after unmounting anything mounted in it) when the
/// sandbox is released. `data` is the Sejf data directory every `sejf` call gets via `--data`.
final class Sandbox {
    let root: String
    var data: String
    private var mounts: [String] = []

    init() throws {
        let binary = CLI.binaryPath
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "no sejf binary at \(binary): run `swift build --build-tests` or set SEJF_BIN")
        var template = Array((NSTemporaryDirectory() + "/sejf-cli-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let path = try #require(made.map { String(cString: $0) }, "mkdtemp failed")
        root = URL(fileURLWithPath: path).standardizedFileURL.path
        data = root + "/data"
    }

    deinit {
        for mount in mounts.reversed() {
            _ = CLI.run(executable: "/bin/mount", ["-o", "remount,rw", mount])
            _ = CLI.run(executable: "/bin/umount", [mount])
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// `sejf args… --data <data>`.
    func sejf(_ args: [String], stdin: Data? = nil, env: [String: String] = [:]) -> CLIResult {
        CLI.run(args + ["--data", data], stdin: stdin, env: env)
    }

    /// `sejf init --environments dev,staging,prod`, required to succeed.
    @discardableResult
    func initialise(environments: String = "dev,staging,prod", extra: [String] = [], env: [String: String] = [:],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let result = sejf(["init", "--environments", environments] + extra, env: env)
        try #require(result.status == 0, "sejf init failed: \(result)", sourceLocation: sourceLocation)
        return result
    }

    /// `sejf secret put NAME --env ENV --value VALUE`, required to succeed; returns the version id.
    @discardableResult
    func put(_ name: String, _ value: String, env environment: String = "dev", extra: [String] = [],
             variables: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = sejf(["secret", "put", name, "--env", environment, "--value", value, "--output", "json"] + extra, env: variables)
        try #require(result.status == 0, "put \(name) failed: \(result)", sourceLocation: sourceLocation)
        return try #require(try jsonObject(result)["VersionId"] as? String, sourceLocation: sourceLocation)
    }

    /// `sejf secret get NAME --env ENV`'s stdout, required to succeed.
    func get(_ name: String, env environment: String = "dev", extra: [String] = [], variables: [String: String] = [:],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = sejf(["secret", "get", name, "--env", environment] + extra, env: variables)
        try #require(result.status == 0, "get \(name) failed: \(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "stderr of a successful get: \(result.stderr.debugDescription)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Writes a file under the sandbox root and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = root + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Mounts a tmpfs of `size` at `<root>/<name>` (unmounted when the sandbox goes away).
    func mountTmpfs(_ name: String, size: String) throws -> String {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = CLI.run(executable: "/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
        try #require(result.status == 0, "mount -t tmpfs failed (these tests need root): \(result)")
        mounts.append(path)
        return path
    }

    /// `mount -o remount,<mode> path`, required to succeed.
    func remount(_ path: String, _ mode: String) throws {
        let result = CLI.run(executable: "/bin/mount", ["-o", "remount,\(mode)", path])
        try #require(result.status == 0, "remount \(mode) failed: \(result)")
    }

    /// `sejf secret list --env dev` still opens the store.
    func expectStoreOpens(sourceLocation: SourceLocation = #_sourceLocation) {
        let result = sejf(["secret", "list", "--env", "dev"])
        #expect(result.status == 0, "the store no longer opens: \(result)", sourceLocation: sourceLocation)
    }
}

/// The stdout of `result`, parsed as a JSON object.
func jsonObject(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: result.stdoutData)
    return try #require(value as? [String: Any], "not a JSON object: \(result.stdout)", sourceLocation: sourceLocation)
}

/// The stdout of `result`, parsed as JSON.
func jsonValue(_ result: CLIResult) throws -> Any {
    try JSONSerialization.jsonObject(with: result.stdoutData, options: [.fragmentsAllowed])
}

/// Checks a successful run: status 0, nothing on stderr.
func expectSuccess(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 0 && !result.terminatedBySignal, "expected success: \(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.isEmpty, "stderr of a successful run: \(result.stderr.debugDescription)", sourceLocation: sourceLocation)
}

/// Checks a failed run the way the CLI promises to fail: exit status 1 (not a signal), nothing on
/// stdout, exactly one line on stderr starting `sejf: error: ` (then `<code>: ` when the service
/// produced the error), containing every string of `mentioning`. Returns the message.
@discardableResult
func expectFailure(_ result: CLIResult, code: String? = nil, mentioning: [String] = [],
                   sourceLocation: SourceLocation = #_sourceLocation) -> String {
    #expect(!result.terminatedBySignal && !result.timedOut, "crashed or hung: \(result)", sourceLocation: sourceLocation)
    #expect(result.status == 1, "expected exit status 1: \(result)", sourceLocation: sourceLocation)
    #expect(result.stdoutData.isEmpty, "stdout of a failed run: \(result.stdout.debugDescription)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1 && result.stderr.hasSuffix("\n"),
            "expected one line on stderr: \(result.stderr.debugDescription)", sourceLocation: sourceLocation)
    let line = result.stderrLines.first.map(String.init) ?? ""
    let prefix = "sejf: error: " + (code.map { "\($0): " } ?? "")
    #expect(line.hasPrefix(prefix), "stderr should start with \(prefix.debugDescription): \(line.debugDescription)",
            sourceLocation: sourceLocation)
    for text in mentioning {
        #expect(line.contains(text), "stderr should mention \(text.debugDescription): \(line.debugDescription)",
                sourceLocation: sourceLocation)
    }
    return line
}

/// A random 32-byte key in base64, as SEJF_KEY_<ENV> takes.
func randomKeyBase64() -> String {
    Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
}

/// The POSIX permission bits of `path`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue) & 0o777
}
