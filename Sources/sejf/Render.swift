import ArgumentParser
import Foundation
import SejfCore
import SejfRender
import SejfService

/// Which apps of which environment, and where their definitions are.
struct AppSelection: ParsableArguments {
    @OptionGroup var environment: EnvironmentOption
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "The app, as declared in environments/<env>.yaml.")
    var app: String?

    @Option(name: .long, help: ArgumentHelp("Directory of the environment definitions (default: $SEJF_DEFINITIONS, else ./environments).", valueName: "dir"))
    var definitions: String?

    /// Resolves the selected apps (every app when `all`), reading each secret once through the
    /// API; in embedded mode the use is also audited as `action`.
    func resolve(all: Bool = false, action: String) throws -> [RenderApp] {
        let context = try environment.context()
        let directory = definitions ?? ProcessInfo.processInfo.environment["SEJF_DEFINITIONS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? EnvironmentDefinition.defaultDirectory
        let definition = try EnvironmentDefinition.load(environment: context.environment, directory: directory)
        let apps: [AppDefinition]
        if all {
            apps = definition.apps
        } else {
            guard let app else { throw CommandLineFailure("give --app NAME (or --all)") }
            apps = [try definition.app(named: app)]
        }
        let api = try store.api(environment)
        let resolved = try apps.map { try AppResolver(api: api).resolve($0, in: definition) }
        if let embedded = api as? EmbeddedSecretsAPI {
            try embedded.service.recordUse(action, of: resolved.flatMap { $0.variables.flatMap(\.sources) }, context: embedded.context)
        }
        return resolved
    }
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
            let apps = try selection.resolve(all: all, action: AuditAction.render)
            Output.raw(Data(try rendering { try KubernetesRenderer.render(apps) }.utf8))
        }
    }

    struct Rollout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A strategic-merge patch that rolls the app's pods when its values change.",
            discussion: """
                kubectl patch deployment api --namespace NS --type strategic --patch "$(sejf render rollout --env prod --app api)". \
                It puts the checksum of the app's values on the pod template, so pods restart exactly when values changed.
                """)
        @OptionGroup var selection: AppSelection

        func run() throws {
            let app = try selection.resolve(action: AuditAction.render)[0]
            Output.line(try rendering { try KubernetesRenderer.rolloutPatch(for: app) })
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
    let app = try selection.resolve(action: AuditAction.render)[0]
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
        discussion: "sejf run --env dev --app api -- python manage.py runserver. No shell is involved; signals are forwarded; the exit status is the command's.")

    @OptionGroup var selection: AppSelection

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw CommandLineFailure("give the command to run after --") }
        let app = try selection.resolve(action: AuditAction.run)[0]
        throw ExitCode(try ChildProcess.run(command, adding: app.variables.map { ($0.name, $0.value) }))
    }
}
