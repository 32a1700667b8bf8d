import Foundation
import SejfCore

/// JSON on the wire: AWS's member names, timestamps as epoch seconds, blobs as base64, and
/// decoding failures turned into the errors AWS returns for them.
enum WireJSON {
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        let data = body.isEmpty ? Data("{}".utf8) : Data(body)
        guard String(validating: body, as: UTF8.self) != nil else {
            throw AWSWireError.serialization("The request body is not valid UTF-8.")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw AWSWireError.serialization("The request body is not a JSON object.")
        }
        // A member given twice in one object (`{"SecretId":"a","SecretId":"b"}`) is refused:
        // JSONDecoder would silently take the first and other JSON parsers the last, so which
        // secret such a request names would depend on who reads it.
        if let name = duplicateMemberName(in: body) {
            throw AWSWireError.serialization("The member '\(name)' appears more than once in one JSON object.")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SejfError.constraint(memberPath(context.codingPath + [key]), "Member must not be null")
        } catch let DecodingError.valueNotFound(_, context) {
            throw SejfError.constraint(memberPath(context.codingPath), "Member must not be null")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw AWSWireError.serialization("Expected \(typeName(expected)) at '\(memberPath(context.codingPath))'.")
        } catch let DecodingError.dataCorrupted(context) {
            throw AWSWireError.serialization("Invalid value at '\(memberPath(context.codingPath))'.")
        }
    }

    /// The first member name that appears twice in one object of `body`, if any. `body` must
    /// already have parsed as JSON: the scan does not validate, and the parser's nesting limit
    /// (512) bounds the stack. Names compare as `JSONDecoder` compares them: escapes decoded,
    /// as Swift strings.
    static func duplicateMemberName(in body: [UInt8]) -> String? {
        var open: [Set<String>?] = []  // per open container: its member names, nil for an array
        var index = 0
        while index < body.count {
            switch body[index] {
            case UInt8(ascii: "{"): open.append([])
            case UInt8(ascii: "["): open.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !open.isEmpty { open.removeLast() }
            case UInt8(ascii: "\""):
                let start = index
                var escaped = false
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    if body[index] == UInt8(ascii: "\\") { escaped = true; index += 1 }
                    index += 1
                }
                let end = min(index, body.count - 1)
                var next = index + 1
                while next < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[next]) { next += 1 }
                // In valid JSON a string followed by ':' is a member name.
                guard next < body.count, body[next] == UInt8(ascii: ":"), let last = open.indices.last, open[last] != nil else { break }
                let raw = Array(body[start...end])
                let name = escaped
                    ? (try? JSONSerialization.jsonObject(with: Data(raw), options: .fragmentsAllowed)) as? String ?? String(decoding: raw, as: UTF8.self)
                    : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                if open[last]!.insert(name).inserted == false { return name }
            default: break
            }
            index += 1
        }
        return nil
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }

    /// `SecretId` → `secretId`, `Tags[2].Key` → `tags.2.member.key`, as AWS names members in
    /// validation messages.
    static func memberPath(_ path: [any CodingKey]) -> String {
        path.map { key in
            if let index = key.intValue { return "\(index + 1).member" }
            let name = key.stringValue
            return name.prefix(1).lowercased() + name.dropFirst()
        }.joined(separator: ".")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type: "a number"
        case is Data.Type: "a base64 blob"
        default: "a structure or list"
        }
    }
}
