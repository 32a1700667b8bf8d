/// Renders variables as a `.env` file that python-dotenv and a POSIX shell both read back exactly.
///
///     DB_PASSWORD="s3cr\"t with spaces"
///     GREETING="it's
///     two lines"
///     PRICE='$5 each'
///
/// Two readers are the contract: `dotenv_values(".env")` (python-dotenv, with its default
/// interpolation) and `set -a; . ./.env; set +a` in `/bin/sh`. Each gives back every value byte
/// for byte. Lines are sorted by name; multi-line values span lines inside their quotes.
///
/// ## Quoting
///
/// - A value without `$` or `` ` `` is written in **double quotes**, with `\` written `\\` and `"`
///   written `\"`. Both readers undo exactly these two escapes inside double quotes and keep
///   everything else (newlines, `'`, `#`, unicode) as is; only `$` and `` ` `` would differ (the
///   shell expands them, python-dotenv has no escape for them).
/// - A value with `$` or `` ` `` is written in **single quotes**, verbatim: the shell takes single
///   quotes literally, and so does python-dotenv as long as the value has no `'` and no `\\`
///   (python-dotenv turns `\'` into `'` and `\\` into `\` inside single quotes).
///
/// ## What no `.env` line can carry (a ``RenderError`` naming the variable)
///
/// - a NUL character (no environment variable can hold one);
/// - a carriage return: python-dotenv opens the file in text mode, which turns `\r` and `\r\n`
///   into `\n`;
/// - `${…}` in python-dotenv's interpolation shape (`${NAME}`, `${NAME:-default}`, `${}`):
///   python-dotenv expands it in every quoting style and has no escape for it (a `$` not followed
///   by `{`, as in `$HOME`, is fine);
/// - a trailing backslash: the escaped `\\` before the closing quote looks like an escaped quote
///   to python-dotenv's pattern, which then runs on to the next quote in the file;
/// - `$` or `` ` `` together with `'` or `\\`: double quotes would let the shell expand the `$`,
///   single quotes cannot hold the `'` (or keep `\\`) for python-dotenv, and python-dotenv has no
///   concatenation of quoted parts (`'…'"…"`) that the shell's `'\''` idiom relies on.
///
/// Use ``ShellRenderer`` (shell only) or ``JSONRenderer`` for such values.
public enum DotenvRenderer {
    static let format = "dotenv"

    /// The `.env` text for `variables`, one `NAME="…"` (or `NAME='…'`) per variable, sorted by
    /// name, ending with a newline (empty for no variables).
    ///
    /// - Throws: ``RenderError`` naming the variable for a name that does not match
    ///   `^[A-Za-z_][A-Za-z0-9_]*$`, a repeated name, or a value no `.env` quoting carries (see
    ///   the type's documentation).
    public static func render(_ variables: [RenderVariable]) throws(RenderError) -> String {
        var out = ""
        for variable in try Names.checkedEnvironmentVariables(variables, format: format) {
            out += variable.name + "=" + (try quoted(variable)) + "\n"
        }
        return out
    }

    static func quoted(_ variable: RenderVariable) throws(RenderError) -> String {
        let value = variable.value
        func refuse(_ reason: String) -> RenderError { .unrepresentable(format, variable.name, reason) }
        var hasExpansion = false, hasSingleQuote = false, hasDoubleBackslash = false
        var previous: Unicode.Scalar?
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\0": throw refuse("value contains a NUL character, which no environment variable can hold")
            case "\r": throw refuse("value contains a carriage return, which python-dotenv reads as a newline")
            case "$", "`": hasExpansion = true
            case "'": hasSingleQuote = true
            case "\\" where previous == "\\": hasDoubleBackslash = true
            default: break
            }
            previous = scalar
        }
        if hasExpansion, containsInterpolation(value) {
            throw refuse("value contains ${…}, which python-dotenv always interpolates (it has no escape for it)")
        }
        if value.hasSuffix("\\") {
            throw refuse("value ends with a backslash, which python-dotenv cannot read back in any quoting")
        }
        guard hasExpansion else {
            var out = "\""
            for scalar in value.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            return out + "\""
        }
        if hasSingleQuote || hasDoubleBackslash {
            throw refuse("value contains $ or ` together with ' or \\\\; "
                + "no .env quoting reads back the same in python-dotenv and POSIX sh")
        }
        return "'" + value + "'"
    }

    /// Whether python-dotenv's interpolation pattern, `\$\{[^}:]*(:-[^}]*)?\}`, matches somewhere.
    ///
    /// Only the run up to the first `}` or `:` after a `${` can match, and every `${` inside one
    /// run shares its end, so one pass suffices.
    static func containsInterpolation(_ value: String) -> Bool {
        let s = Array(value.unicodeScalars)
        var stop = 0
        for i in s.indices.dropLast() where s[i] == "$" && s[i + 1] == "{" {
            if stop < i + 2 {
                stop = i + 2
                while stop < s.count, s[stop] != "}", s[stop] != ":" { stop += 1 }
            }
            if stop == s.count { return false }
            if s[stop] == "}" { return true }
            if stop + 1 < s.count, s[stop + 1] == "-" {
                // `${NAME:-` matches if any `}` follows; if none does, no later `${` can match either.
                return s[(stop + 2)...].contains("}")
            }
        }
        return false
    }
}
