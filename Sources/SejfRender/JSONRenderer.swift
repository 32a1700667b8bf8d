import Foundation

/// Renders variables as one pretty-printed JSON object of strings, keys sorted.
///
///     {
///       "DB_HOST" : "db.internal",
///       "DB_PASSWORD" : "s3cr\"t"
///     }
///
/// JSON carries every string, so the only refusal is a repeated name; names are not restricted
/// to environment variable names. Keys are sorted by their UTF-8 bytes (what `jq -S` and
/// Python's `json.dumps(sort_keys=True)` do for ASCII names); `/` is not escaped.
public enum JSONRenderer {
    static let format = "json"

    /// The JSON text for `variables`, ending with a newline (`{}` for no variables).
    ///
    /// - Throws: ``RenderError`` naming a variable given more than once.
    public static func render(_ variables: [RenderVariable]) throws(RenderError) -> String {
        var object: [String: String] = [:]
        for variable in variables {
            guard object.updateValue(variable.value, forKey: variable.name) == nil else {
                throw .duplicate(format, variable.name)
            }
        }
        if object.isEmpty { return "{}\n" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(object), as: UTF8.self) + "\n"
        } catch {
            throw RenderError(.emitter, "\(format): the JSON encoder failed")
        }
    }
}
