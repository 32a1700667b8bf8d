import Testing
@testable import SejfRender

@Suite("model and errors")
struct RenderModelTests {
    @Test("printing, interpolating or dumping a variable never shows its value")
    func redaction() {
        let variable = RenderVariable(name: "DB_PASSWORD", value: "hunter2-secret", kind: .secret,
                                      sources: [RenderSource(arn: "arn:aws:secretsmanager:prod:1:secret:db-AbCdEf", versionId: "v1")])
        var dumped = ""
        dump(variable, to: &dumped)
        for text in [variable.description, variable.debugDescription, "\(variable)", String(reflecting: variable), dumped,
                     String(describing: [variable])] {
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(text.contains("DB_PASSWORD"))
        }
        #expect(variable.description == "RenderVariable(name: \"DB_PASSWORD\", kind: secret, value: <14 bytes>, sources: 1)")
    }

    @Test("names in messages are quoted on one line, escaped and shortened")
    func quotedNames() {
        #expect(Names.quoted("A") == "\"A\"")
        #expect(Names.quoted("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(Names.quoted("a\nb\u{0}é") == "\"a\\u{a}b\\u{0}\\u{e9}\"")
        #expect(Names.quoted(String(repeating: "x", count: 150)) == "\"" + String(repeating: "x", count: 100) + "…\"")
    }

    @Test("every refusal is one line that names the variable and leaves the value out")
    func messages() throws {
        let value = "p@ss\nw0rd\r\u{0}'$`\\"
        let variable = RenderVariable(name: "BAD", value: value, kind: .secret)
        let failures: [() throws -> String] = [
            { try DotenvRenderer.render([variable]) },
            { try DockerEnvFileRenderer.render([variable]) },
            { try ShellRenderer.render([variable]) },
        ]
        for render in failures {
            let error = try #require(throws: RenderError.self) { try render() }
            #expect(error.variable == "BAD")
            #expect(error.message.contains("\"BAD\""))
            #expect(!error.message.contains("p@ss") && !error.message.contains("w0rd"))
            #expect(!error.message.contains("\n") && !error.message.contains("\r"))
            #expect(error.description == error.message)
        }
    }

    @Test("error codes compare by kind")
    func codes() {
        #expect(RenderError.Code.invalidName == .invalidName)
        #expect(RenderError.Code.invalidName != .duplicateName)
        #expect(RenderError.Code.unrepresentableValue.description == "unrepresentableValue")
    }

    @Test("environment names", arguments: [("A", true), ("_", true), ("a_1", true), ("_9", true), ("1A", false), ("", false),
                                              ("A-B", false), ("Ä", false), ("A=B", false), ("A ", false)])
    func environmentNames(name: String, valid: Bool) {
        #expect(Names.isEnvironmentName(name) == valid)
    }
}
