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
