import Foundation
import Testing
@testable import SejfRender

/// Reads a `.env` file the two ways the format promises, and returns name → value.
enum DotenvReaders {
    /// `dotenv_values(path)` with python-dotenv's defaults (interpolation on). Fails on any
    /// warning python-dotenv prints (a line it could not parse).
    static func python(_ file: URL) throws -> [String: String?] {
        try Tools.requirePythonModule("dotenv", pip: "python-dotenv==1.2.2")
        let result = try Tools.python(
            "import json, sys; from dotenv import dotenv_values; sys.stdout.write(json.dumps(dotenv_values(sys.argv[1])))",
            [file.path])
        try #require(result.status == 0, "python-dotenv failed: \(result.err)")
        #expect(result.err.isEmpty, "python-dotenv warned: \(result.err)")
        return try decodeStringMap(result.stdout)
    }

    /// `set -a; . FILE; set +a` in `shell`, then the child process's environment: each name must
    /// be exported with its exact value.
    static func shell(_ shell: String, _ file: URL, names: [String]) throws -> [String: String?] {
        let python = try Tools.python3()
        let script = """
            set -a; . "$1"; set +a; shift
            exec "$0" -c 'import json, os, sys; sys.stdout.write(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))' "$@"
            """
        let result = try Tools.run(shell, ["-c", script, python, file.path] + names)
        try #require(result.status == 0, "\(shell) failed: \(result.err)")
        #expect(result.err.isEmpty, "\(shell) complained: \(result.err)")
        return try decodeStringMap(result.stdout)
    }

    static let shells = ["/bin/sh", "/bin/bash"]
}

@Suite("dotenv")
struct DotenvRendererTests {
    @Test("awkward values read back exactly through python-dotenv, /bin/sh and bash")
    func roundTrip() throws {
        let text = try DotenvRenderer.render(Awkward.variables())
        let expected = Awkward.expected.mapValues { Optional($0) }
        try withTemporaryDirectory { dir in
            let file = try write(text, to: ".env", in: dir)
            #expect(try DotenvReaders.python(file) == expected)
            for shell in DotenvReaders.shells {
                #expect(try DotenvReaders.shell(shell, file, names: Array(expected.keys)) == expected, "\(shell)")
            }
        }
    }

    @Test("random awkward values: every rendered one reads back exactly, refusals are documented reasons")
    func fuzz() throws {
        var variables: [RenderVariable] = []
        var refused = 0
        for (i, value) in randomAwkwardValues(count: 1500, seed: 0x5E1F).enumerated() {
            let variable = RenderVariable(name: "V\(i)", value: value, kind: .secret)
            do {
                _ = try DotenvRenderer.render([variable])
                variables.append(variable)
            } catch {
                #expect(error.code == .unrepresentableValue)
                #expect(error.variable == variable.name)
                refused += 1
            }
        }
        #expect(variables.count > 1000, "too many refusals: \(refused)")
        let expected = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, Optional($0.value)) })
        let text = try DotenvRenderer.render(variables)
        try withTemporaryDirectory { dir in
            let file = try write(text, to: ".env", in: dir)
            #expect(try DotenvReaders.python(file) == expected)
            for shell in DotenvReaders.shells {
                #expect(try DotenvReaders.shell(shell, file, names: Array(expected.keys)) == expected, "\(shell)")
            }
        }
    }

    @Test("the exact lines: double quotes with \\\\ and \\\" escapes, single quotes when $ or ` appears")
    func exactLines() throws {
        let text = try DotenvRenderer.render([
            RenderVariable(name: "B", value: "say \"hi\" \\o/\nbye", kind: .secret),
            RenderVariable(name: "A", value: "$HOME `x`", kind: .config),
            RenderVariable(name: "C", value: "", kind: .secret),
            RenderVariable(name: "D", value: "it's", kind: .secret),
        ])
        #expect(text == """
            A='$HOME `x`'
            B="say \\"hi\\" \\\\o/
            bye"
            C=""
            D="it's"

            """)
        #expect(try DotenvRenderer.render([]) == "")
    }

    @Test("values no .env quoting carries are refused, naming the variable, never showing the value",
          arguments: [
              ("NUL", "a\u{0}b"),
              ("CR", "line\r\nnext"),
              ("INTERPOLATED", "prefix ${HOME} suffix"),
              ("INTERPOLATED_DEFAULT", "${X:-fallback}"),
              ("INTERPOLATED_EMPTY", "${}"),
              ("TRAILING_BACKSLASH", "C:\\dir\\"),
              ("DOLLAR_AND_QUOTE", "it's $5"),
              ("BACKTICK_AND_QUOTE", "'`'"),
              ("DOLLAR_AND_DOUBLE_BACKSLASH", "\\\\server\\$share"),
          ])
    func refusals(name: String, value: String) throws {
        let error = try #require(throws: RenderError.self) {
            try DotenvRenderer.render([RenderVariable(name: name, value: value, kind: .secret)])
        }
        #expect(error.code == .unrepresentableValue)
        #expect(error.variable == name)
        #expect(error.message.hasPrefix("dotenv: variable \"\(name)\": "))
        #expect(!error.message.contains(value))
        #expect(!error.message.contains("\n"))
    }

    /// The refusals above are necessary, not caution: python-dotenv misreads each of them in the
    /// obvious quoting. If this starts failing, python-dotenv changed and a refusal may be lifted.
    @Test("python-dotenv really misreads what is refused")
    func refusalsAreNecessary() throws {
        try withTemporaryDirectory { dir in
            func read(_ line: String) throws -> String?? {
                try Tools.requirePythonModule("dotenv", pip: "python-dotenv==1.2.2")
                let file = try write(line + "\nNEXT=\"x\"\n", to: ".env", in: dir)
                let result = try Tools.python(
                    "import json, sys; from dotenv import dotenv_values; sys.stdout.write(json.dumps(dotenv_values(sys.argv[1])))",
                    [file.path])
                return try decodeStringMap(result.stdout)["V"]
            }
            let cases: [(line: String, value: String, why: String)] = [
                ("V='${HOME}'", "${HOME}", "interpolated even in single quotes"),
                ("V=\"a\\\\\"", "a\\", "the escaped trailing backslash swallows the closing quote"),
                ("V='it'\\''s'", "it's", "no '\\'' concatenation"),
                ("V='a\\\\b'", "a\\\\b", "\\\\ is an escape in single quotes"),
                ("V=\"a\rb\"", "a\rb", "text mode turns \\r into \\n"),
            ]
            for (line, value, why) in cases {
                let got = try read(line)
                #expect(got != value, "\(why)")
            }
        }
    }

    @Test("names must be environment variable names, each once", arguments: ["1ABC", "A-B", "A B", "", "É", "A\nB"])
    func invalidNames(name: String) throws {
        let error = try #require(throws: RenderError.self) {
            try DotenvRenderer.render([RenderVariable(name: name, value: "v", kind: .secret)])
        }
        #expect(error.code == .invalidName)
        #expect(error.variable == name)
        #expect(!error.message.contains("\n"))
    }

    @Test("a repeated name is refused")
    func duplicate() throws {
        let error = try #require(throws: RenderError.self) {
            try DotenvRenderer.render([
                RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "A", value: "2", kind: .config),
            ])
        }
        #expect(error.code == .duplicateName)
        #expect(error.message == "dotenv: variable \"A\" is given more than once")
    }

    @Test("the interpolation check agrees with python-dotenv's own pattern")
    func interpolationMatchesPython() throws {
        let extra: [Unicode.Scalar] = ["$", "{", "}", ":", "-", "$", "{", "}"]
        let samples = randomAwkwardValues(count: 3000, seed: 42, extra: extra)
            + ["${", "${}", "${a", "${a}", "${a:b}", "${a:-}", "${a:-b", "${a:-b}", "$${a:x}${b}", "${a:x} ${b:-c}", "${:-}"]
        let result = try Tools.python(
            """
            import json, sys
            from dotenv.variables import _posix_variable
            sys.stdout.write(json.dumps([_posix_variable.search(s) is not None for s in json.load(sys.stdin)]))
            """,
            stdin: try JSONEncoder().encode(samples))
        try #require(result.status == 0, "python failed: \(result.err)")
        let python = try JSONDecoder().decode([Bool].self, from: result.stdout)
        for (sample, expected) in zip(samples, python) {
            #expect(DotenvRenderer.containsInterpolation(sample) == expected, "\(sample.debugDescription)")
        }
    }
}
