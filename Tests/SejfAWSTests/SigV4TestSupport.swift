import Foundation
import SejfAWS

/// The AWS SigV4 test suite in `Fixtures/sigv4-testsuite` (see its README.md) and its fixed inputs.
enum SigV4Suite {
    static let accessKeyId = "AKIDEXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let region = "us-east-1"
    static let service = "service"
    /// 2015-08-30T12:36:00Z, the suite's `X-Amz-Date`.
    static let now = Date(timeIntervalSince1970: 1_440_938_160)

    /// The suite's folder: from the test bundle's resources, or next to this file when the bundle
    /// cannot be found.
    static let root: URL = {
        if let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) {
            let url = fixtures.appendingPathComponent("sigv4-testsuite")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sigv4-testsuite")
    }()

    /// Every case, as its folder path relative to ``root`` (`get-vanilla`, `normalize-path/get-slash`):
    /// any folder holding a `<folder name>.req`.
    static let caseNames: [String] = {
        let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return paths.filter { $0.hasSuffix(".req") }.compactMap { path -> String? in
            let folder = (path as NSString).deletingLastPathComponent
            let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return (folder as NSString).lastPathComponent == base ? folder : nil
        }.sorted()
    }()

    /// The five files of one case, `\r` removed as botocore's runner does.
    struct Case {
        let name: String
        let req: String
        let sreq: String
        let creq: String
        let sts: String
        let authz: String
    }

    static func load(_ name: String) throws -> Case {
        let base = (name as NSString).lastPathComponent
        func read(_ ext: String) throws -> String {
            let url = root.appendingPathComponent(name).appendingPathComponent("\(base).\(ext)")
            return try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\r", with: "")
        }
        return Case(name: name, req: try read("req"), sreq: try read("sreq"), creq: try read("creq"),
                    sts: try read("sts"), authz: try read("authz"))
    }

    static func secret(for accessKeyId: String) -> [UInt8]? {
        accessKeyId == Self.accessKeyId ? Array(secretKey.utf8) : nil
    }
}

/// Reads the suite's raw HTTP text into a ``SigV4Request``: request line (`METHOD target
/// HTTP/1.1`, where the target may even hold a literal space), `Name:value` headers (a line
/// starting with whitespace continues the previous value, kept with its line break), a blank line,
/// then the body.
enum RawHTTP {
    static func parse(_ text: String) -> SigV4Request {
        let lines = text.replacingOccurrences(of: "\r", with: "")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines[0]
        let firstSpace = requestLine.firstIndex(of: " ")!
        let lastSpace = requestLine.lastIndex(of: " ")!
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        let path: String
        let query: String
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
            query = ""
        }

        var headers: [(name: String, value: String)] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
            index += 1
        }
        let body = index + 1 < lines.count ? lines[(index + 1)...].joined(separator: "\n") : ""
        return SigV4Request(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }
}
