import Foundation
import SejfCore
@testable import SejfPostgres
import Testing

/// Parsing of the secret JSON, password generation, quoting and SCRAM: no server needed.
struct CredentialsAndSQLTests {
    @Test func parsesAWSShapeWithDefaults() throws {
        let minimal = try PostgresCredentials(json: #"{"host": "db", "username": "app", "password": "p"}"#)
        #expect(minimal.port == 5432)
        #expect(minimal.dbname == "postgres")
        #expect(minimal.masterARN == nil)
        let full = try PostgresCredentials(json: """
            {"engine": "aurora-postgresql", "host": "db", "port": "6432", "username": "app", "password": "p",
             "dbname": "shop", "masterarn": "db/master"}
            """)
        #expect(full.port == 6432)
        #expect(full.dbname == "shop")
        #expect(full.masterARN == "db/master")
        #expect(full.endpoint == "db:6432")
        #expect(try PostgresCredentials(json: #"{"host": "db", "port": 7000, "username": "a", "password": "p"}"#).port == 7000)
    }

    @Test(arguments: ["host", "username", "password"])
    func missingFieldIsNamed(field: String) throws {
        var fields = ["host": "db", "username": "app", "password": "s3cr3t-value"]
        fields[field] = nil
        let json = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        let error = try #require(sejfError { _ = try PostgresCredentials(json: json) })
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains("'\(field)'"))
        #expect(!error.message.contains("s3cr3t-value"))
    }

    @Test(arguments: [
        #"not json s3cr3t"#, #"["s3cr3t"]"#, #"{"engine": "mysql", "host": "db", "username": "a", "password": "s3cr3t"}"#,
        #"{"host": "db", "port": "x", "username": "a", "password": "s3cr3t"}"#,
        #"{"host": "db", "port": 70000, "username": "a", "password": "s3cr3t"}"#,
        #"{"host": "db", "username": "a", "password": 12}"#,
    ])
    func rejectsMalformedSecrets(json: String) throws {
        let error = try #require(sejfError { _ = try PostgresCredentials(json: json) })
        #expect(error.code == .invalidRequest)
        #expect(!error.message.contains("s3cr3t"))
    }

    @Test func reEncodingKeepsOtherMembers() throws {
        let json = #"{"engine": "postgres", "host": "db", "port": 5432, "username": "app", "password": "old", "ssl": true, "note": "a/b"}"#
        let out = try object(try PostgresCredentials(json: json).replacing(username: "app_clone", password: "new"))
        #expect(out["username"] as? String == "app_clone")
        #expect(out["password"] as? String == "new")
        #expect(out["port"] as? Int == 5432)
        #expect(out["ssl"] as? Bool == true)
        #expect(out["note"] as? String == "a/b")
        #expect(out["engine"] as? String == "postgres")
    }

    @Test func newValuesHaveAFreshPassword() throws {
        let current = #"{"engine": "postgres", "host": "db", "username": "app", "password": "old", "masterarn": "m"}"#
        let single = try object(PostgresSingleUserRotator().newValue(rotationInput(current: current)))
        let alternating = try object(PostgresAlternatingUsersRotator().newValue(rotationInput(current: current)))
        #expect(single["username"] as? String == "app")
        #expect(alternating["username"] as? String == "app_clone")
        #expect(alternating["masterarn"] as? String == "m")
        for value in [single, alternating] {
            let password = try #require(value["password"] as? String)
            #expect(password.count == 32)
            #expect(password != "old")
            #expect(!password.contains { PostgresRotators.excludedPasswordCharacters.contains($0) })
        }
    }

    @Test func usernamesAlternate() throws {
        #expect(try PostgresAlternatingUsersRotator.alternateUsername("app") == "app_clone")
        #expect(try PostgresAlternatingUsersRotator.alternateUsername("app_clone") == "app")
        let longest = String(repeating: "u", count: 57)
        #expect(try PostgresAlternatingUsersRotator.alternateUsername(longest) == longest + "_clone")
        let error = try #require(sejfError { _ = try PostgresAlternatingUsersRotator.alternateUsername(longest + "u") })
        #expect(error.message.contains("63"))
    }

    @Test func quoting() throws {
        #expect(try SQLText.identifier(#"we"ird"#) == #""we""ird""#)
        #expect(try SQLText.literal(#"it's a \ "x""#) == #"E'it''s a \\ "x"'"#)
        #expect(sejfError { _ = try SQLText.literal("a\u{0}b") } != nil)
        #expect(try SQLText.password("zażółć").hasPrefix("E'zażółć"))
        #expect(try SQLText.password("plain ascii 'pw'").hasPrefix("E'SCRAM-SHA-256$4096:"))
    }

    /// RFC 7677's exchange (user "user", password "pencil"): these StoredKey and ServerKey
    /// reproduce its ClientProof `dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=` and ServerSignature
    /// `6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=` (checked independently with Python's
    /// hashlib and hmac).
    @Test func scramVerifierMatchesRFC7677() throws {
        let salt = try #require(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ=="))
        #expect(SCRAMSHA256.verifier(password: "pencil", salt: Array(salt)) ==
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")
    }

    /// RFC 7914's PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1, first 32 bytes).
    @Test func pbkdf2MatchesRFC7914() {
        let out = SCRAMSHA256.pbkdf2(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(out.map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func registry() {
        #expect(Set(PostgresRotators.all.keys) == ["sejf:postgres-single-user", "sejf:postgres-alternating-users"])
    }
}
