/// Why a renderer refused its input: one line for humans that names the variable (or the
/// Kubernetes object) at fault, and never contains a value.
///
///     do {
///         print(try DockerEnvFileRenderer.render(variables), terminator: "")
///     } catch {
///         // docker env-file: variable "TLS_KEY": value contains a line break; docker reads one variable per line
///         print(error.message)
///     }
///
/// Renderers refuse rather than emit text that a reader would turn into a different value.
public struct RenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, for callers that branch on it (compare with `==`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidName
            case duplicateName
            case unrepresentableValue
            case invalidObject
            case tooLarge
            case emitter
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A variable name the format cannot carry (not an environment variable name, not a
        /// Kubernetes `data` key).
        public static let invalidName = Code(.invalidName)
        /// Two variables of one app share a name.
        public static let duplicateName = Code(.duplicateName)
        /// A value the format cannot carry exactly (a line break in a Docker env-file, …).
        public static let unrepresentableValue = Code(.unrepresentableValue)
        /// A Kubernetes namespace, object name or app label that Kubernetes would reject, or two
        /// apps rendering the same object.
        public static let invalidObject = Code(.invalidObject)
        /// A Kubernetes object over the API server's size limits.
        public static let tooLarge = Code(.tooLarge)
        /// The YAML or JSON emitter failed (a bug, not bad input).
        public static let emitter = Code(.emitter)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// The variable at fault, when there is one.
    public let variable: String?
    /// One line, prefixed with the format (`dotenv: variable "X": …`).
    public let message: String

    init(_ code: Code, variable: String? = nil, _ message: String) {
        self.code = code
        self.variable = variable
        self.message = message
    }

    public var description: String { message }
}

extension RenderError {
    static func invalidEnvironmentName(_ format: String, _ name: String) -> RenderError {
        RenderError(.invalidName, variable: name,
            "\(format): variable \(Names.quoted(name)) is not a valid environment variable name "
                + "(it must match ^[A-Za-z_][A-Za-z0-9_]*$)")
    }

    static func duplicate(_ format: String, _ name: String) -> RenderError {
        RenderError(.duplicateName, variable: name, "\(format): variable \(Names.quoted(name)) is given more than once")
    }

    static func unrepresentable(_ format: String, _ name: String, _ reason: String) -> RenderError {
        RenderError(.unrepresentableValue, variable: name, "\(format): variable \(Names.quoted(name)): \(reason)")
    }
}
