import ArgumentParser
import Foundation
import SejfAWS
import SejfCore
import SejfRender
import SejfService

/// Where the environment definitions (`environments/<env>.yaml`) are.
struct DefinitionsOption: ParsableArguments {
    @Option(name: .customLong("definitions"), help: ArgumentHelp("Directory of the environment definitions (default: $SEJF_DEFINITIONS, else ./environments).", valueName: "dir"))
    var path: String?

    /// `--definitions`, else `$SEJF_DEFINITIONS`, else `./environments`.
    var directory: String { Self.directory(path) }

    /// `path`, else `$SEJF_DEFINITIONS`, else `./environments`.
    static func directory(_ path: String? = nil) -> String {
        path ?? ProcessInfo.processInfo.environment["SEJF_DEFINITIONS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? EnvironmentDefinition.defaultDirectory
    }
}

/// Which apps of which environment, and where their definitions are.
struct AppSelection: ParsableArguments {
    @OptionGroup var environment: EnvironmentOption
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "The app, as declared in environments/<env>.yaml.")
    var app: String?

    @OptionGroup var definitions: DefinitionsOption

    /// Resolves the selected apps (every app when `all`), reading each secret once through the
    /// API, then records the use of every version read as `action` (`sejf:Render`, `sejf:Run`),
    /// embedded or on the server, which answers with the checksum key.
    func resolve(all: Bool = false, action: Action) throws -> ResolvedApps {
        let context = try environment.context()
        let definition = try EnvironmentDefinition.load(environment: context.environment, directory: definitions.directory)
        let apps: [AppDefinition]
        if all {
            apps = definition.apps
        } else {
            guard let app else { throw CommandLineFailure("give --app NAME (or --all)") }
            apps = [try definition.app(named: app)]
        }
        let api = try store.api(environment)
        let resolved = try apps.map { try AppResolver(api: api).resolve($0, in: definition) }
        let uses = Set(resolved.flatMap { $0.variables.flatMap(\.sources) }).sorted { ($0.arn, $0.versionId) < ($1.arn, $1.versionId) }
        return ResolvedApps(apps: resolved, checksumKey: try Self.recordUse(uses, as: action, through: api))
    }

    /// Records the uses; `nil` (a plain SHA-256 checksum, no `sejf:` events) only when the
    /// endpoint is not Sejf and does not know the operation: AWS answers
    /// `UnknownOperationException`, moto an HTML page with HTTP 500 (an answer with no AWS error
    /// shape, which a Sejf server never gives).
    private static func recordUse(_ uses: [RenderSource], as action: Action, through api: any SecretsAPI) throws -> [UInt8]? {
        guard !uses.isEmpty else { return nil }
        let request = RecordUseRequest(Action: action.rawValue, Uses: uses.map { UsedVersion(ARN: $0.arn, VersionId: $0.versionId) })
        do {
            let response = try api.call(SejfOperations.RecordUse.self, request)
            guard let key = Data(base64Encoded: response.ChecksumKey) else { throw CommandLineFailure("the server sent an unreadable checksum key") }
            return [UInt8](key)
        } catch let error as AWSWireError where error.code == "UnknownOperationException" || error.code.hasPrefix("HTTP") {
            return nil
        }
    }
}

/// The apps `sejf render`/`sejf run` resolved, and the key of their `sejf.dev/checksum`.
struct ResolvedApps {
    var apps: [RenderApp]
    var checksumKey: [UInt8]?
}

/// `sejf render`: an app's values for Kubernetes, dotenv, Docker, shells or JSON.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render an app's secrets and configuration for Kubernetes, .env files, Docker, shells or JSON.",
        subcommands: [Kubernetes.self, Rollout.self, Dotenv.self, Docker.self, Shell.self, JSON.self])

    struct Kubernetes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "k8s",
            abstract: "A Secret and a ConfigMap per app, as multi-document YAML for `kubectl apply -f -`.")
        @OptionGroup var selection: AppSelection
        @Flag(name: .long, help: "Render every app of the environment.") var all = false

        func run() throws {
            let resolved = try selection.resolve(all: all, action: .render)
            Output.raw(Data(try rendering { try KubernetesRenderer.render(resolved.apps, checksumKey: resolved.checksumKey) }.utf8))
        }
    }

    struct Rollout: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollout",
            abstract: "A strategic-merge patch that rolls the app's pods when its values change.",
            discussion: """
                kubectl patch deployment api --namespace NS --type strategic --patch "$(sejf render rollout --env prod --app api)". \
                It puts the checksum of the app's values on the pod template, so pods restart exactly when values changed.
                """)
        @OptionGroup var selection: AppSelection

        func run() throws {
            let resolved = try selection.resolve(action: .render)
            Output.line(try rendering { try KubernetesRenderer.rolloutPatch(for: resolved.apps[0], checksumKey: resolved.checksumKey) })
        }
    }

    struct Dotenv: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "env", abstract: "A .env file (python-dotenv and `set -a; . file` read it back exactly).")
        @OptionGroup var selection: AppSelection
        func run() throws { try printVariables(selection) { try DotenvRenderer.render($0) } }
    }

    struct Docker: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "docker", abstract: "A `docker run --env-file` file (no value may contain a newline).")
        @OptionGroup var selection: AppSelection
        func run() throws { try printVariables(selection) { try DockerEnvFileRenderer.render($0) } }
    }

    struct Shell: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "shell", abstract: "`export NAME='…'` lines, safe for eval.")
        @OptionGroup var selection: AppSelection
        func run() throws { try printVariables(selection) { try ShellRenderer.render($0) } }
    }

    struct JSON: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "json", abstract: "A JSON object of the app's variables.")
        @OptionGroup var selection: AppSelection
        func run() throws { try printVariables(selection) { try JSONRenderer.render($0) } }
    }
}

private func printVariables(_ selection: AppSelection, _ format: ([RenderVariable]) throws -> String) throws {
    let app = try selection.resolve(action: .render).apps[0]
    Output.raw(Data(try rendering { try format(app.variables) }.utf8))
}

/// Runs a renderer, turning its error (which names the variable, never the value) into a CLI failure.
func rendering(_ body: () throws -> String) throws -> String {
    do {
        return try body()
    } catch let error as RenderError {
        throw CommandLineFailure(error.message)
    }
}

/// `sejf run`: a command with an app's variables in its environment.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command with an app's secrets and configuration in its environment.",
        discussion: """
            sejf run --env dev --app api -- python manage.py runserver. No shell is involved; signals are forwarded; the exit \
            status is the command's. With --watch, sejf checks every --interval seconds whether a value the app uses has a new \
            current version (metadata only; values are read again only then) and restarts the command when its variables \
            changed: SIGTERM, then SIGKILL after --grace seconds.
            """)

    @OptionGroup var selection: AppSelection

    @Flag(name: .long, help: "Restart the command when a value it uses changes.")
    var watch = false

    @Option(name: .long, help: ArgumentHelp("Seconds between checks with --watch.", valueName: "seconds"))
    var interval: Double = 10

    @Option(name: .long, help: ArgumentHelp("Seconds a restarted command has to exit after SIGTERM before SIGKILL.", valueName: "seconds"))
    var grace: Double = 10

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --") }
        guard interval >= 0.1, interval <= 86_400 else { throw ValidationError("--interval must be between 0.1 and 86400 seconds") }
        guard grace >= 0, grace <= 3_600 else { throw ValidationError("--grace must be between 0 and 3600 seconds") }
    }

    func run() throws {
        let signals = SignalForwarder()
        var variables = try selection.resolve(action: .run).apps[0].variables
        var child = try ChildProcess(command, adding: variables.map { ($0.name, $0.value) })
        signals.forward(to: child)
        guard watch else {
            _ = child.wait()
            throw ExitCode(child.status)
        }
        var watcher = try AppWatcher(selection)
        while !child.wait(until: .now() + interval) {
            guard !signals.hasReceivedSignal, let changed = watcher.changedVariables(from: variables) else { continue }
            Output.note("sejf run: \(selection.app ?? "app") changed; restarting the command")
            signals.forward(to: nil)
            child.stop(grace: grace)
            variables = changed
            child = try ChildProcess(command, adding: variables.map { ($0.name, $0.value) })
            signals.forward(to: child)
            if signals.hasReceivedSignal { child.send(SIGTERM) }
        }
        throw ExitCode(child.status)
    }
}

/// What `sejf run --watch` polls: the current version ids of the app's values (one ListSecrets,
/// no value read), and only when they moved, the values themselves.
struct AppWatcher {
    let selection: AppSelection
    private var versions: [String: String]
    private let resolver: AppResolver
    private let app: AppDefinition

    init(_ selection: AppSelection) throws {
        self.selection = selection
        let context = try selection.environment.context()
        let definition = try EnvironmentDefinition.load(environment: context.environment, directory: selection.definitions.directory)
        app = try definition.app(named: selection.app ?? "")
        resolver = AppResolver(api: try selection.store.api(selection.environment))
        versions = try resolver.currentVersions(of: [app])
    }

    /// The app's new variables when a value changed since `variables`; nil when nothing did or
    /// the check failed (reported on stderr; the command keeps running).
    mutating func changedVariables(from variables: [RenderVariable]) -> [RenderVariable]? {
        do {
            let now = try resolver.currentVersions(of: [app])
            guard now != versions else { return nil }
            versions = now
            let fresh = try selection.resolve(action: .run).apps[0].variables
            return fresh.map { [$0.name, $0.value] } == variables.map { [$0.name, $0.value] } ? nil : fresh
        } catch {
            Output.note("sejf run: cannot check for changes (\(CommandLineText.describe(error) ?? "\(error)"))); the command keeps running")
            return nil
        }
    }
}
