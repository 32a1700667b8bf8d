import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret tag`: TagResource.
    struct TagCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tag", abstract: "Add tags or change their values.")

        @OptionGroup var target: SecretTarget

        @Argument(help: ArgumentHelp("Tags as key=value.", valueName: "key=value"))
        var tags: [String]

        func run() throws {
            _ = try target.api().call(SecretsManager.TagResource.self, TagResourceRequest(SecretId: target.name, Tags: try parseTags(tags)))
        }
    }

    /// `sejf secret untag`: UntagResource.
    struct Untag: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove tags by key.")

        @OptionGroup var target: SecretTarget

        @Argument(help: ArgumentHelp("Tag keys.", valueName: "key"))
        var keys: [String]

        func run() throws {
            _ = try target.api().call(SecretsManager.UntagResource.self, UntagResourceRequest(SecretId: target.name, TagKeys: keys))
        }
    }
}
