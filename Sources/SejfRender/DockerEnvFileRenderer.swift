/// Renders variables as a Docker env-file: `NAME=value` lines, the value taken literally.
///
///     DB_HOST=db.internal
///     GREETING=it's "fine" # not a comment
///
/// For `docker run --env-file FILE` (and `kubectl create secret generic --from-env-file FILE`).
/// Both read one variable per line and take everything after the first `=` as the value — no
/// quoting, no escapes, leading and trailing spaces kept — so a value must fit on one line as it
/// is. Lines are sorted by name.
///
/// ## What an env-file cannot carry (a ``RenderError`` naming the variable)
///
/// - a line break (`\n` or `\r`; the readers split lines on `\n` and drop a `\r` before it);
/// - a NUL character (no environment variable can hold one);
/// - a value that starts and ends with the same quote character (`"…"` or `'…'`): newer Docker
///   CLIs strip such a pair of quotes and older ones keep it, so the value would depend on the
///   version reading it;
/// - a line (`NAME=value`) over 65,535 bytes: both readers use Go's `bufio.Scanner`, which stops
///   at 64 KiB per line — Docker fails, `kubectl` silently drops the rest of the file.
///
/// Use ``DotenvRenderer`` or Kubernetes output for such values.
public enum DockerEnvFileRenderer {
    static let format = "docker env-file"

    /// The longest line (without its `\n`) Go's default `bufio.Scanner` reads.
    public static let maxLineBytes = 65_535

    /// The env-file text for `variables`, one `NAME=value` per variable, sorted by name, ending
    /// with a newline (empty for no variables).
    ///
    /// - Throws: ``RenderError`` naming the variable for a name that does not match
    ///   `^[A-Za-z_][A-Za-z0-9_]*$`, a repeated name, or a value an env-file cannot carry (see the
    ///   type's documentation).
    public static func render(_ variables: [RenderVariable]) throws(RenderError) -> String {
        var out = ""
        for variable in try Names.checkedEnvironmentVariables(variables, format: format) {
            try check(variable)
            out += variable.name + "=" + variable.value + "\n"
        }
        return out
    }

    static func check(_ variable: RenderVariable) throws(RenderError) {
        func refuse(_ reason: String) -> RenderError { .unrepresentable(format, variable.name, reason) }
        let value = variable.value
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\n", "\r": throw refuse("value contains a line break; docker reads one variable per line")
            case "\0": throw refuse("value contains a NUL character, which no environment variable can hold")
            default: break
            }
        }
        let scalars = value.unicodeScalars
        if scalars.count >= 2, let first = scalars.first, first == "\"" || first == "'", scalars.last == first {
            throw refuse("value starts and ends with \(first), which newer docker CLIs strip and older ones keep")
        }
        let lineBytes = variable.name.utf8.count + 1 + value.utf8.count
        if lineBytes > maxLineBytes {
            throw refuse("the line would be \(lineBytes) bytes; docker and kubectl read at most \(maxLineBytes) bytes per line")
        }
    }
}
