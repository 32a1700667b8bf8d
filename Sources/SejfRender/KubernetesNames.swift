/// Kubernetes' own name rules (`k8s.io/apimachinery/pkg/util/validation`), checked before
/// anything is emitted so `kubectl apply` never rejects half a stream.
enum KubernetesNames {
    /// `IsConfigMapKey`, used for Secret and ConfigMap `data` keys: 1–253 characters of
    /// `[-._a-zA-Z0-9]`, not `.` or `..`, not starting with `..`. Returns why not, or `nil`.
    static func dataKeyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        if bytes.isEmpty { return "is empty" }
        if bytes.count > 253 { return "is longer than 253 characters" }
        let allowed = bytes.allSatisfy {
            $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
        if !allowed { return "has a character outside [-._a-zA-Z0-9]" }
        if key == "." || key == ".." || key.hasPrefix("..") { return "is '.' or '..' or starts with '..'" }
        return nil
    }

    /// A DNS-1123 label (namespaces): 1–63 characters of `[a-z0-9-]`, alphanumeric at both ends.
    static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        return isLabelShaped(bytes[...])
    }

    /// A DNS-1123 subdomain (Secret and ConfigMap names): at most 253 characters, DNS labels
    /// joined by `.`.
    static func isDNSSubdomain(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...253).contains(bytes.count) else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy(isLabelShaped)
    }

    /// A label value: at most 63 characters, empty or `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
    static func isLabelValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count <= 63 else { return false }
        guard let first = bytes.first, let last = bytes.last else { return true }
        func alphanumeric(_ b: UInt8) -> Bool { b.isASCIILetter || b.isASCIIDigit }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy {
            alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isLabelShaped(_ bytes: ArraySlice<UInt8>) -> Bool {
        func lowerAlphanumeric(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || b.isASCIIDigit }
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return lowerAlphanumeric(first) && lowerAlphanumeric(last)
            && bytes.allSatisfy { lowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
