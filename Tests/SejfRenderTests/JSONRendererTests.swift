import Foundation
import Testing
@testable import SejfRender

@Suite("json")
struct JSONRendererTests {
    @Test("Python's json module reads back every value, keys in sorted order")
    func roundTrip() throws {
        let extra = randomAwkwardValues(count: 200, seed: 99, extra: ["\r", "\u{0}", "\u{1}", "\u{7F}", "/"])
            .enumerated().map { RenderVariable(name: "fuzz.\($0.offset)", value: $0.element, kind: .config) }
        let variables = Awkward.variables() + extra + [RenderVariable(name: "lower", value: "l", kind: .secret),
                                                       RenderVariable(name: "_under", value: "u", kind: .secret)]
        let text = try JSONRenderer.render(variables)
        let result = try Tools.python(
            """
            import json, sys
            pairs = json.load(sys.stdin, object_pairs_hook=list)
            sys.stdout.write(json.dumps({"keys": [k for k, _ in pairs], "object": dict(pairs)}))
            """,
            stdin: Data(text.utf8))
        try #require(result.status == 0, "python failed: \(result.err)")
        struct Parsed: Decodable { var keys: [String]; var object: [String: String] }
        let parsed = try JSONDecoder().decode(Parsed.self, from: result.stdout)
        #expect(parsed.object == Dictionary(uniqueKeysWithValues: variables.map { ($0.name, $0.value) }))
        #expect(parsed.keys == parsed.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(parsed.keys.count == variables.count)
    }

    @Test("the exact text: pretty, sorted, slashes unescaped, trailing newline")
    func exactText() throws {
        let text = try JSONRenderer.render([
            RenderVariable(name: "b", value: "x/y", kind: .secret),
            RenderVariable(name: "B", value: "line\n\"q\"", kind: .config),
            RenderVariable(name: "_", value: "zażółć 🚀", kind: .config),
        ])
        #expect(text == """
            {
              "B" : "line\\n\\"q\\"",
              "_" : "zażółć 🚀",
              "b" : "x/y"
            }

            """)
        #expect(try JSONRenderer.render([]) == "{}\n")
    }

    @Test("any name is a key, but only once")
    func names() throws {
        #expect(try JSONRenderer.render([RenderVariable(name: "not an env name!", value: "v", kind: .secret)])
            == "{\n  \"not an env name!\" : \"v\"\n}\n")
        let error = try #require(throws: RenderError.self) {
            try JSONRenderer.render([RenderVariable(name: "A", value: "1", kind: .secret), RenderVariable(name: "A", value: "2", kind: .secret)])
        }
        #expect(error.code == .duplicateName)
        #expect(error.message == "json: variable \"A\" is given more than once")
    }
}
