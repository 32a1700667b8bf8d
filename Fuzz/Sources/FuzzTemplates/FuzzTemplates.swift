import FuzzSupport
import SejfCore
import SejfRender

/// The render templates: with the first byte even, an app template (`{{secret.key}}`
/// placeholders, URL percent-encoding) parsed and rendered with a looked-up value from the input;
/// with it odd, variables and Kubernetes names from the input through every renderer (dotenv,
/// Docker env-file, shell, JSON, Kubernetes Secret/ConfigMap and rollout patch).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.byte() & 1 == 0 {
        renderTemplate(&input)
    } else {
        renderApp(&input)
    }
    return 0
}

/// A template from the rest of the input; each lookup returns the first piece (none when empty).
private func renderTemplate(_ input: inout FuzzInput) {
    let value = input.string()
    guard let template = try? AppTemplate(input.restString()) else { return }
    _ = template.references
    _ = try? template.render(variable: "VALUE") { _, _ in value.isEmpty ? nil : value }
}

/// An app whose names and variables are pieces of the input.
private func renderApp(_ input: inout FuzzInput) {
    var app = RenderApp(app: input.string(), environment: input.string(), namespace: input.string(),
                        secretName: input.string(), configMapName: input.string(), variables: [])
    while !input.isEmpty {
        let kind: RenderVariable.Kind = input.byte() & 1 == 0 ? .secret : .config
        app.variables.append(RenderVariable(name: input.string(), value: input.string(), kind: kind,
                                            sources: [RenderSource(arn: input.string(), versionId: "1")]))
    }
    _ = try? DotenvRenderer.render(app.variables)
    _ = try? DockerEnvFileRenderer.render(app.variables)
    _ = try? ShellRenderer.render(app.variables)
    _ = try? JSONRenderer.render(app.variables)
    _ = try? KubernetesRenderer.render([app], checksumKey: [1, 2, 3])
    _ = try? KubernetesRenderer.rolloutPatch(for: app)
}
