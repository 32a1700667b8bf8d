/// Name rules shared by the renderers, and the quoting of names in messages.
enum Names {
    /// `^[A-Za-z_][A-Za-z0-9_]*$`: the POSIX portable environment variable name.
    static func isEnvironmentName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), first.isASCIILetter || first == UInt8(ascii: "_") else { return false }
        while let b = bytes.next() {
            guard b.isASCIILetter || b.isASCIIDigit || b == UInt8(ascii: "_") else { return false }
        }
        return true
    }

    /// Checks the names of env-format variables (valid, unique) and returns the variables sorted
    /// by name, so the output does not depend on the order the service resolved them in.
    static func checkedEnvironmentVariables(_ variables: [RenderVariable], format: String) throws(RenderError) -> [RenderVariable] {
        var seen = Set<String>()
        for variable in variables {
            guard isEnvironmentName(variable.name) else { throw .invalidEnvironmentName(format, variable.name) }
            guard seen.insert(variable.name).inserted else { throw .duplicate(format, variable.name) }
        }
        return sortedByName(variables)
    }

    /// Sorted by the names' UTF-8 bytes (what `sort`, `jq -S` and Python's `sorted` do for ASCII).
    static func sortedByName(_ variables: [RenderVariable]) -> [RenderVariable] {
        variables.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// A name for a message: in double quotes, one line, printable ASCII only (anything else as
    /// `\u{…}`), at most 100 characters.
    static func quoted(_ name: String) -> String {
        var out = "\""
        for (i, scalar) in name.unicodeScalars.enumerated() {
            if i == 100 {
                out += "…"
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return out + "\""
    }
}

extension UInt8 {
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
    var isASCIIDigit: Bool { (0x30...0x39).contains(self) }
}
