import Foundation
import Testing
@testable import SejfRender

@Suite("shell")
struct ShellRendererTests {
    /// `sh -c 'eval "$(cat FILE)"; printf %s "$NAME"'`, as a user would.
    static func printed(_ shell: String, _ file: URL, name: String) throws -> String {
        let result = try Tools.run(shell, ["-c", "eval \"$(cat \"$1\")\"; printf %s \"$\(name)\"", "sh", file.path])
        try #require(result.status == 0, "\(shell) failed: \(result.err)")
        #expect(result.err.isEmpty, "\(shell) complained: \(result.err)")
        return result.out
    }

    /// After `eval`, what a child process sees: the variables must be exported.
    static func exported(_ shell: String, _ file: URL, names: [String]) throws -> [String: String?] {
        let script = """
            eval "$(cat "$1")"; shift
            exec "$0" -c 'import json, os, sys; sys.stdout.write(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))' "$@"
            """
        let result = try Tools.run(shell, ["-c", script, try Tools.python3(), file.path] + names)
        try #require(result.status == 0, "\(shell) failed: \(result.err)")
        return try decodeStringMap(result.stdout)
    }

    @Test("each awkward value prints back exactly after eval, in /bin/sh and bash")
    func roundTrip() throws {
        let text = try ShellRenderer.render(Awkward.variables())
        try withTemporaryDirectory { dir in
            let file = try write(text, to: "env.sh", in: dir)
            for shell in DotenvReaders.shells {
                for (name, value) in Awkward.values {
                    #expect(try Self.printed(shell, file, name: name) == value, "\(shell) \(name)")
                }
                #expect(try Self.exported(shell, file, names: Awkward.values.map(\.name)) == Awkward.expected.mapValues { Optional($0) },
                        "\(shell)")
            }
        }
    }

    @Test("random awkward values, carriage returns included, read back exactly")
    func fuzz() throws {
        let values = randomAwkwardValues(count: 1500, seed: 7, extra: ["\r", "\u{1}", "\u{7F}"])
        let variables = values.enumerated().map { RenderVariable(name: "V\($0.offset)", value: $0.element, kind: .config) }
        let text = try ShellRenderer.render(variables)
        let expected = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, Optional($0.value)) })
        try withTemporaryDirectory { dir in
            let file = try write(text, to: "env.sh", in: dir)
            for shell in DotenvReaders.shells {
                #expect(try Self.exported(shell, file, names: variables.map(\.name)) == expected, "\(shell)")
            }
        }
    }

    @Test("the exact lines: export NAME='…', ' written as '\\''")
    func exactLines() throws {
        let text = try ShellRenderer.render([
            RenderVariable(name: "B", value: "it's $HOME", kind: .secret),
            RenderVariable(name: "A", value: "", kind: .config),
        ])
        #expect(text == "export A=''\nexport B='it'\\''s $HOME'\n")
        #expect(try ShellRenderer.render([]) == "")
    }

    @Test("a NUL, an invalid name and a repeated name are refused")
    func refusals() throws {
        let nul = try #require(throws: RenderError.self) {
            try ShellRenderer.render([RenderVariable(name: "N", value: "a\u{0}b", kind: .secret)])
        }
        #expect(nul.code == .unrepresentableValue)
        #expect(nul.message == "shell: variable \"N\": value contains a NUL character, which no environment variable can hold")
        let name = try #require(throws: RenderError.self) {
            try ShellRenderer.render([RenderVariable(name: "A;rm -rf /", value: "v", kind: .secret)])
        }
        #expect(name.code == .invalidName)
        #expect(name.variable == "A;rm -rf /")
        let duplicate = try #require(throws: RenderError.self) {
            try ShellRenderer.render([RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "A", value: "1", kind: .secret)])
        }
        #expect(duplicate.code == .duplicateName)
    }
}
