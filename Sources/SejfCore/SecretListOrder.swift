import Foundation

/// The order `ListSecrets` returns secrets in (AWS's `SortBy` and `SortOrder`), and where a page
/// starts: after a position in that order, which its `NextToken` names. A page then costs the
/// same at any depth, and secrets created or deleted between two pages shift no other secret.
public struct SecretListOrder: Sendable, Equatable {
    public enum Key: String, Sendable, CaseIterable {
        case createdDate = "created-date"
        case lastAccessedDate = "last-accessed-date"
        case lastChangedDate = "last-changed-date"
        case name
    }

    /// A secret's place in the order: its sort value (0 when sorting by name, and for a secret
    /// never accessed), then its name, which breaks ties.
    public struct Position: Codable, Sendable, Equatable {
        public var value: Double
        public var name: String

        public init(value: Double, name: String) {
            self.value = value
            self.name = name
        }
    }

    public var key: Key
    public var descending: Bool

    /// Validates AWS's `SortBy` (default `created-date`) and `SortOrder` (default `asc`).
    public init(sortBy: String?, sortOrder: String?) throws {
        guard let key = Key(rawValue: sortBy ?? Key.createdDate.rawValue) else {
            throw SejfError.constraint("sortBy", "Member must satisfy enum value set: [\(Key.allCases.map(\.rawValue).joined(separator: ", "))]")
        }
        switch sortOrder ?? "asc" {
        case "asc": descending = false
        case "desc": descending = true
        default: throw SejfError.constraint("sortOrder", "Member must satisfy enum value set: [asc, desc]")
        }
        self.key = key
    }

    /// The position of a secret with these attributes.
    public func position(name: String, createdAt: Double, lastChangedAt: Double, lastAccessedAt: Double?) -> Position {
        switch key {
        case .createdDate: Position(value: createdAt, name: name)
        case .lastChangedDate: Position(value: lastChangedAt, name: name)
        case .lastAccessedDate: Position(value: lastAccessedAt ?? 0, name: name)
        case .name: Position(value: 0, name: name)
        }
    }

    private static let tokenPrefix = "sejf-list-"

    /// What a token carries: the order it was issued for, and the last position returned.
    private struct TokenBody: Codable {
        var sortBy: String
        var descending: Bool
        var after: Position
    }

    /// The `NextToken` of a page whose last secret is at `position`.
    public func token(after position: Position) -> String {
        let body = TokenBody(sortBy: key.rawValue, descending: descending, after: position)
        let json = (try? JSONEncoder().encode(body)) ?? Data()
        return Self.tokenPrefix + json.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Where the page `token` asks for starts; nil (the first page) without a token.
    /// - Throws: `InvalidNextTokenException` for a token Sejf did not issue, or issued for
    ///   another order.
    public func position(after token: String?) throws -> Position? {
        guard let token else { return nil }
        try SejfError.checkLength("nextToken", token.count, min: 1, max: 4096)
        let invalid = SejfError(.invalidNextToken, "The NextToken value is invalid.")
        guard token.hasPrefix(Self.tokenPrefix) else { throw invalid }
        var base64 = token.dropFirst(Self.tokenPrefix.count).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let json = Data(base64Encoded: base64), let body = try? JSONDecoder().decode(TokenBody.self, from: json),
              body.sortBy == key.rawValue, body.descending == descending, body.after.value.isFinite else { throw invalid }
        return body.after
    }
}
