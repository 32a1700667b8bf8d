/// Renders variables as `export NAME='…'` lines for `eval` in a POSIX shell.
///
///     eval "$(sejf render shell --env dev --app api)"
///
///     export GREETING='it'\''s $HOME'
///
/// Every value is in single quotes, inside which the shell expands nothing; a `'` is written
/// `'\''` (close, escaped quote, reopen). So any POSIX shell (tested with dash as `/bin/sh`, and
/// bash) gives back exactly the value — newlines, `$`, `` ` ``, `\`, unicode and the empty string
/// included.
/// Lines are sorted by name.
///
/// - Note: This is not a `.env` file for python-dotenv, which does not understand `'\''`; use
///   ``DotenvRenderer`` for that.
public enum ShellRenderer {
    static let format = "shell"

    /// The `export` lines for `variables`, sorted by name, ending with a newline (empty for no
    /// variables).
    ///
    /// - Throws: ``RenderError`` naming the variable for a name that does not match
    ///   `^[A-Za-z_][A-Za-z0-9_]*$`, a repeated name, or a value with a NUL character (which no
    ///   environment variable can hold).
    public static func render(_ variables: [RenderVariable]) throws(RenderError) -> String {
        var out = ""
        for variable in try Names.checkedEnvironmentVariables(variables, format: format) {
            out += "export " + variable.name + "=" + (try quoted(variable)) + "\n"
        }
        return out
    }

    static func quoted(_ variable: RenderVariable) throws(RenderError) -> String {
        var out = "'"
        for scalar in variable.value.unicodeScalars {
            switch scalar {
            case "\0":
                throw .unrepresentable(format, variable.name,
                                       "value contains a NUL character, which no environment variable can hold")
            case "'":
                out += "'\\''"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }
}
