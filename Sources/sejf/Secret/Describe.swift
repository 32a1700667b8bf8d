import ArgumentParser
import SejfService

extension SecretCommand {
    /// `sejf secret describe`: DescribeSecret.
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a secret's metadata and versions (never its value).")

        @OptionGroup var target: SecretTarget

        func run() throws {
            let d = try target.api().call(SecretsManager.DescribeSecret.self, SecretIdRequest(SecretId: target.name))
            if target.store.output == .json { return try Output.json(d) }
            var rows: [[String]] = [["ARN", d.ARN], ["Name", d.Name], ["Description", d.Description ?? "-"],
                                    ["Created", Output.date(d.CreatedDate)], ["Last changed", Output.date(d.LastChangedDate)],
                                    ["Last accessed", Output.date(d.LastAccessedDate)]]
            if let deleted = d.DeletedDate { rows.append(["Deleted", Output.date(deleted)]) }
            rows.append(["Tags", (d.Tags ?? []).map { "\($0.key)=\($0.value)" }.joined(separator: ", ")])
            for (id, stages) in (d.VersionIdsToStages ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append(["Version", "\(id)  \(stages.joined(separator: ","))"])
            }
            if let rotator = d.RotationLambdaARN {
                rows.append(["Rotation", "\(d.RotationEnabled == true ? "on" : "off"), rotator \(rotator)"])
                rows.append(["Last rotated", Output.date(d.LastRotatedDate)])
                rows.append(["Next rotation", Output.date(d.NextRotationDate)])
            }
            if let r = d.SejfRotation {
                rows.append(["Unfinished", "\(r.Kind) of version \(r.VersionId) by \(r.StartedBy), next step \(r.NextStep)"])
                if let error = r.LastError { rows.append(["Last error", "\(error) (\(r.Failures) failed attempts; retry \(Output.date(r.RetryDate)))"]) }
            }
            for row in rows { Output.line("\(row[0]):".padding(toLength: 15, withPad: " ", startingAt: 0) + row[1]) }
        }
    }
}
