import Foundation
import Testing

/// A test could not run a tool it needs: a failure with the fix in the message, never a skip.
struct MissingTool: Error, CustomStringConvertible {
    let description: String
}

/// What a finished process left behind.
struct ToolOutput {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// The real readers the renderers are judged by: python-dotenv, `/bin/sh`, bash, kubectl,
/// kubernetes-validate.
enum Tools {
    static let python3Install = "install Python 3 (scripts/test.sh expects python3 on PATH)"

    /// The absolute path of `name` on `PATH`, or of the first existing `fallbacks`.
    static func executable(_ name: String, fallbacks: [String] = [], install: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/\(name)" } + fallbacks
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw MissingTool(description: "\(name) was not found on PATH: \(install)")
        }
        return found
    }

    static func python3() throws -> String { try executable("python3", install: python3Install) }

    static func kubectl() throws -> String {
        try executable("kubectl", fallbacks: ["/usr/bin/kubectl", "/usr/local/bin/kubectl"],
                       install: "install kubectl (https://kubernetes.io/docs/tasks/tools/)")
    }

    /// Fails unless `python3` can import `module`.
    static func requirePythonModule(_ module: String, pip: String) throws {
        let result = try run(python3(), ["-c", "import \(module)"])
        guard result.status == 0 else {
            throw MissingTool(description: "python3 cannot import \(module): run `python3 -m pip install \(pip)` (scripts/test.sh installs it)\n\(result.err)")
        }
    }

    /// Runs `executable` to completion. Output goes through files, not pipes, so a tool that
    /// writes a lot to both streams cannot deadlock the test.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                    environment: [String: String]? = nil) throws -> ToolOutput {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw MissingTool(description: "\(executable) is not an executable file: install it (the render tests need it)")
        }
        return try withTemporaryDirectory { dir in
            let inURL = dir.appendingPathComponent("stdin")
            let outURL = dir.appendingPathComponent("stdout")
            let errURL = dir.appendingPathComponent("stderr")
            try (stdin ?? Data()).write(to: inURL)
            FileManager.default.createFile(atPath: outURL.path, contents: nil)
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
            let input = try FileHandle(forReadingFrom: inURL)
            let output = try FileHandle(forWritingTo: outURL)
            let errors = try FileHandle(forWritingTo: errURL)
            defer {
                try? input.close()
                try? output.close()
                try? errors.close()
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            if let environment { process.environment = environment }
            try process.run()
            process.waitUntilExit()
            return ToolOutput(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                              stderr: try Data(contentsOf: errURL))
        }
    }

    /// Runs a Python script given as text, with `arguments`.
    static func python(_ script: String, _ arguments: [String] = [], stdin: Data? = nil) throws -> ToolOutput {
        try run(python3(), ["-c", script] + arguments, stdin: stdin)
    }
}

/// Calls `body` with a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sejf-render-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// Writes `text` to `name` in `dir` as UTF-8, byte for byte.
func write(_ text: String, to name: String, in dir: URL) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}

/// Decodes a JSON object of strings (python's output) into a dictionary; `null` becomes `nil`.
func decodeStringMap(_ data: Data) throws -> [String: String?] {
    try JSONDecoder().decode([String: String?].self, from: data)
}
