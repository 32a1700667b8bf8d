import ArgumentParser

// Skeletons: implemented in this folder.
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Manage roles.")
}

struct BindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bind", abstract: "Give a role to a principal in environments.")
}

struct UnbindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unbind", abstract: "Take a role from a principal.")
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Apply an access file.")
}

struct CanICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "can-i", abstract: "Check whether a principal may do something.")
}

struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "who-can", abstract: "List the principals that may do something.")
}
