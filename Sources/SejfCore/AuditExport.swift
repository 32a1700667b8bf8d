import Foundation  // JSONEncoder/JSONDecoder only: formatting, no I/O

/// The audit export format (`sejf audit export`): JSON Lines, one ``StoredAuditEvent`` per line,
/// described by `schemas/audit-event.schema.json`.
///
/// ```json
/// {"accessKeyId":"AKIAEXAMPLE","action":"secretsmanager:GetSecretValue","environment":"prod","errorCode":null,
///  "hash":"5f0c…","outcome":"allowed","principal":"api","requestId":"2c1d…",
///  "secretArn":"arn:aws:secretsmanager:prod:123456789012:secret:db/credentials-AbCdEf","sequence":42,
///  "sourceAddress":"10.0.3.7","time":"2026-11-01T10:00:00.123Z","userAgent":"Boto3/1.43.11",
///  "versionId":"0b3c…","versionStages":["AWSCURRENT"]}
/// ```
///
/// (Shown wrapped; each event is one line.) Keys are sorted, every key is always present (absent
/// optional values are `null`), `/` is not escaped, and the line holds everything the hash
/// covers, so an exported file can be verified against the audit key without the database:
/// decode each line and pass the events to ``AuditChain/verify(events:startingAfter:hash:)``.
public enum AuditExport {
    /// One export line for `event`, without the trailing newline.
    public static func line(_ event: StoredAuditEvent) -> String {
        encode(event)
    }

    /// One line for an exported checkpoint: `{"hash":"…","sequence":1042,"time":"…"}`.
    public static func line(_ checkpoint: AuditCheckpoint) -> String {
        encode(checkpoint)
    }

    /// Decodes an export line.
    /// - Throws: ``SejfError`` (`InvalidParameterException`) naming the field that is missing or wrong.
    public static func event(fromLine line: String) throws -> StoredAuditEvent {
        try decode(StoredAuditEvent.self, line, what: "audit event")
    }

    /// Decodes an exported checkpoint line.
    /// - Throws: ``SejfError`` (`InvalidParameterException`) naming the field that is missing or wrong.
    public static func checkpoint(fromLine line: String) throws -> AuditCheckpoint {
        try decode(AuditCheckpoint.self, line, what: "audit checkpoint")
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            // Strings, integers and arrays of strings always encode; only non-finite floats can fail.
            preconditionFailure("audit export encoding failed: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ line: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(line.utf8))
        } catch let error as DecodingError {
            throw SejfError(.invalidParameter, "Invalid \(what): \(reason(error)).")
        } catch {
            throw SejfError(.invalidParameter, "Invalid \(what): \(error).")
        }
    }

    static func reason(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, _):
            return "field '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty
                ? "expected a JSON object" : "field '\(field(context.codingPath))' has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON" : "field '\(field(context.codingPath))': \(context.debugDescription.trimmingSuffix("."))"
        @unknown default:
            return "\(error)"
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
