import SejfCore

/// Quoting for the statements that cannot take bind parameters (`CREATE ROLE`, `ALTER ROLE`,
/// `GRANT`), so no input reaches the SQL text unescaped.
enum SQLText {
    /// A double-quoted identifier, embedded `"` doubled.
    static func identifier(_ name: String) throws -> String {
        try rejectNUL(name, "role name")
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// An escape-string literal (`E'…'`, `\` and `'` doubled), read the same whatever
    /// `standard_conforming_strings` is.
    static func literal(_ text: String) throws -> String {
        try rejectNUL(text, "password")
        return "E'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The `PASSWORD …` operand for `password`: a SCRAM-SHA-256 verifier when it can be computed
    /// here (the plaintext never reaches the server), an escaped literal otherwise.
    static func password(_ password: String) throws -> String {
        SCRAMSHA256.canHash(password) ? try literal(SCRAMSHA256.verifier(password: password)) : try literal(password)
    }

    private static func rejectNUL(_ text: String, _ what: String) throws {
        if text.utf8.contains(0) { throw SejfError(.invalidRequest, "The \(what) contains a NUL character, which PostgreSQL does not accept.") }
    }
}
