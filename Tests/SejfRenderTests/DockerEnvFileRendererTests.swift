import Foundation
import Testing
@testable import SejfRender

/// There is no Docker engine here, so the format is pinned line by line; `kubectl create secret
/// generic --from-env-file` (the same reading rules: split at the first `=`, value verbatim)
/// is the live reader, in ``KubernetesRendererTests``.
@Suite("docker env-file")
struct DockerEnvFileRendererTests {
    static var singleLine: [RenderVariable] {
        Awkward.variables().filter { (try? DockerEnvFileRenderer.check($0)) != nil }
    }

    @Test("NAME=value lines, sorted, value verbatim to the end of the line")
    func exactLines() throws {
        let text = try DockerEnvFileRenderer.render([
            RenderVariable(name: "Z", value: "  padded  ", kind: .secret),
            RenderVariable(name: "A", value: "say \"hi\" it's $HOME `x` #no-comment \\n a=b", kind: .config),
            RenderVariable(name: "EMPTY", value: "", kind: .secret),
            RenderVariable(name: "U", value: "zażółć 🚀", kind: .secret),
        ])
        #expect(text == "A=say \"hi\" it's $HOME `x` #no-comment \\n a=b\nEMPTY=\nU=zażółć 🚀\nZ=  padded  \n")
        #expect(try DockerEnvFileRenderer.render([]) == "")
    }

    @Test("every single-line awkward value renders as NAME= followed by the value's exact bytes")
    func awkwardSingleLine() throws {
        let variables = Self.singleLine
        #expect(Set(variables.map(\.name)).isSuperset(of: ["HOME_REF", "BACKTICKS", "HASH", "BACKSLASHES", "UNICODE", "EMPTY", "SPACES"]))
        let lines = try DockerEnvFileRenderer.render(variables).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        for (line, variable) in zip(lines, Names.sortedByName(variables)) {
            #expect(Array(line.utf8) == Array("\(variable.name)=\(variable.value)".utf8))
        }
    }

    @Test("a line break is refused, naming the variable", arguments: ["PEM_KEY", "NEWLINES_ONLY", "TRAILING_NEWLINE", "KITCHEN_SINK"])
    func lineBreak(name: String) throws {
        let value = try #require(Awkward.expected[name])
        let error = try #require(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: name, value: value, kind: .secret)])
        }
        #expect(error.code == .unrepresentableValue)
        #expect(error.variable == name)
        #expect(error.message == "docker env-file: variable \"\(name)\": value contains a line break; docker reads one variable per line")
    }

    @Test("a carriage return or NUL is refused", arguments: ["a\rb", "a\r", "a\u{0}b"])
    func controlCharacters(value: String) throws {
        let error = try #require(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: "X", value: value, kind: .secret)])
        }
        #expect(error.code == .unrepresentableValue)
        #expect(error.variable == "X")
    }

    @Test("a value wrapped in matching quotes is refused (newer docker CLIs strip them)",
          arguments: ["\"quotes\"", "'single'", "\"\"", "''", "\"a'b\""])
    func wrappedInQuotes(value: String) throws {
        let error = try #require(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: "Q", value: value, kind: .secret)])
        }
        #expect(error.code == .unrepresentableValue)
        #expect(error.variable == "Q")
        #expect(!error.message.contains(value))
    }

    @Test("quotes that do not wrap the whole value are kept", arguments: ["\"", "'", "\"a'", "a\"", "\"a\" b", "'a' 'b' c"])
    func quotesKept(value: String) throws {
        #expect(try DockerEnvFileRenderer.render([RenderVariable(name: "Q", value: value, kind: .secret)]) == "Q=\(value)\n")
    }

    @Test("lines longer than Go's bufio.Scanner reads are refused; the longest one it reads is not")
    func lineLength() throws {
        let longest = String(repeating: "x", count: DockerEnvFileRenderer.maxLineBytes - 2)
        #expect(try DockerEnvFileRenderer.render([RenderVariable(name: "A", value: longest, kind: .secret)]).utf8.count == 65_536)
        let error = try #require(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: "A", value: longest + "x", kind: .secret)])
        }
        #expect(error.message == "docker env-file: variable \"A\": the line would be 65536 bytes; docker and kubectl read at most 65535 bytes per line")
        #expect(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: "BIG", value: Awkward.big, kind: .secret)])
        }
    }

    /// kubectl reads env-files with the same Go `bufio.Scanner`; at 65,536 bytes it silently
    /// drops the rest of the file, which is why the renderer refuses such lines.
    @Test("kubectl keeps a 65,535-byte line and loses everything from a 65,536-byte one")
    func lineLimitIsReal() throws {
        let kubectl = try Tools.kubectl()
        try withTemporaryDirectory { dir in
            func keys(_ valueBytes: Int) throws -> Set<String> {
                let file = try write("A=\(String(repeating: "x", count: valueBytes))\nB=1\n", to: "env", in: dir)
                let result = try Tools.run(kubectl, ["create", "secret", "generic", "s", "--from-env-file=\(file.path)",
                                                     "--dry-run=client", "-o", "json"])
                try #require(result.status == 0, "kubectl failed: \(result.err)")
                let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
                return Set((object?["data"] as? [String: String] ?? [:]).keys)
            }
            let longest = try keys(DockerEnvFileRenderer.maxLineBytes - 2)
            let tooLong = try keys(DockerEnvFileRenderer.maxLineBytes - 1)
            #expect(longest == ["A", "B"])
            #expect(tooLong == [])
        }
    }

    @Test("names must be environment variable names", arguments: ["1A", "A-B", "A.B", "A B", ""])
    func invalidNames(name: String) throws {
        let error = try #require(throws: RenderError.self) {
            try DockerEnvFileRenderer.render([RenderVariable(name: name, value: "v", kind: .secret)])
        }
        #expect(error.code == .invalidName)
        #expect(error.variable == name)
    }
}
