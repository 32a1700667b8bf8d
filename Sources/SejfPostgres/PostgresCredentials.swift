import Foundation
import SejfCore

/// The connection details in a PostgreSQL secret, in AWS's shape:
///
/// ```json
/// {"engine": "postgres", "host": "db.internal", "port": 5432, "username": "app",
///  "password": "…", "dbname": "shop", "masterarn": "arn:…:secret:db/master-AbCdEf"}
/// ```
///
/// `host`, `username` and `password` are required; `port` (a number or a numeric string)
/// defaults to 5432, `dbname` to `postgres`; `engine`, when present, must name PostgreSQL.
/// Members Sejf does not use are kept unchanged by ``replacing(username:password:)``.
public struct PostgresCredentials: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String
    public var dbname: String
    /// The ARN (or name) of the secret holding a privileged user's credentials.
    public var masterARN: String?

    /// The JSON the credentials were read from, so re-encoding keeps the other members.
    private let json: String

    /// The `engine` values accepted for PostgreSQL.
    public static let engines: Set<String> = ["postgres", "postgresql", "aurora-postgresql"]

    /// Parses a secret's string value.
    /// - Throws: `SejfError` (`InvalidRequestException`) naming the missing or malformed member;
    ///   the message never contains the value.
    public init(json: String) throws {
        let object = try Self.object(json)
        func string(_ key: String, required: Bool) throws -> String? {
            switch object[key] {
            case nil, is NSNull:
                if required { throw Self.invalid("has no '\(key)' field") }
                return nil
            case let value as String:
                if required, value.isEmpty { throw Self.invalid("has an empty '\(key)' field") }
                return value
            default:
                throw Self.invalid("has a '\(key)' field that is not a string")
            }
        }
        if let engine = try string("engine", required: false), !Self.engines.contains(engine) {
            throw Self.invalid("names engine '\(engine)', not postgres")
        }
        host = try string("host", required: true)!
        username = try string("username", required: true)!
        password = try string("password", required: true)!
        dbname = try string("dbname", required: false).flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        masterARN = try string("masterarn", required: false)
        port = try Self.port(object["port"])
        self.json = json
    }

    /// The same JSON with `username` and `password` replaced, every other member unchanged
    /// (keys sorted).
    public func replacing(username: String, password: String) throws -> String {
        var object = try Self.object(json)
        object["username"] = username
        object["password"] = password
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `host:port`, for messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func object(_ json: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw invalid("is not a JSON object")
        }
        return object
    }

    private static func port(_ value: Any?) throws -> Int {
        let port: Int?
        switch value {
        case nil, is NSNull: return 5432
        case let text as String: port = Int(text)
        // JSON `true` is an NSNumber of type "c"; `value is Bool` would also match 0 and 1.
        case let number as NSNumber where String(cString: number.objCType) != "c": port = Int(exactly: number.doubleValue)
        default: port = nil
        }
        guard let port, (1...65535).contains(port) else { throw invalid("has a 'port' field that is not a port number") }
        return port
    }

    private static func invalid(_ problem: String) -> SejfError {
        SejfError(.invalidRequest, "The PostgreSQL secret JSON \(problem).")
    }
}
