import Foundation
import KubeAPI
import RemoteCommand

/// core/v1 `PodExecOptions` from the query of `pods/{name}/exec` (`command` repeated, one per argument), or
/// `PodAttachOptions` from that of `pods/{name}/attach` (the same without a command).
struct PodExecOptions: Sendable {
    var command: [String]
    var container: String?
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var tty: Bool

    /// `values(name)` gives every value of a query parameter; booleans parse as Go's strconv.ParseBool.
    init(values: (String) -> [String]) {
        func flag(_ name: String) -> Bool { values(name).last.map { ["1", "t", "T", "true", "TRUE", "True"].contains($0) } ?? false }
        command = values("command")
        container = values("container").last
        stdin = flag("stdin")
        stdout = flag("stdout")
        stderr = flag("stderr")
        tty = flag("tty")
    }
}

/// A streaming subresource of a pod that the kubelet serves over a WebSocket.
enum PodStream: Sendable {
    case exec(PodExecOptions)
    case attach(PodExecOptions)
    case portForward

    /// The subresource, as metrics and discovery name it.
    var subresource: String {
        switch self {
        case .exec: "exec"
        case .attach: "attach"
        case .portForward: "portforward"
        }
    }
}

extension ResourceHandler {
    /// The kubelet WebSocket URL that serves `stream` for pod `name`, after upstream's checks.
    func podStreamURL(pod name: String, namespace: String?, stream: PodStream) async throws -> String {
        switch stream {
        case .exec(let options): try await podExecURL(pod: name, namespace: namespace, options: options)
        case .attach(let options): try await podAttachURL(pod: name, namespace: namespace, options: options)
        case .portForward: try await podPortForwardURL(pod: name, namespace: namespace)
        }
    }

    /// `pods/portforward`'s kubelet URL (`/portForward/{namespace}/{pod}`), which the tunnel is relayed to.
    func podPortForwardURL(pod name: String, namespace: String?) async throws -> String {
        let (object, _) = try await load(name: name, namespace: namespace)
        guard let pod = object as? Pod else { throw Status.methodNotSupported(info, verb: "get") }
        let authority = try await kubeletAuthority(of: pod) { "pod \(name) does not have a host assigned" }
        let path = [namespace ?? "default", name].map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }
        return "\(core.kubelet.webSocketScheme)://\(authority)/portForward/\(path.joined(separator: "/"))"
    }

    /// `pods/exec` checked as upstream checks it, and the kubelet WebSocket URL that serves it
    /// (`/exec/{namespace}/{pod}/{container}?command=…&input=1&output=1&error=1&tty=1`).
    func podExecURL(pod name: String, namespace: String?, options: PodExecOptions) async throws -> String {
        let target = try await kubeletTarget(pod: name, namespace: namespace, container: options.container)
        if let phase = target.pod.status?.phase, phase == "Succeeded" || phase == "Failed" {
            throw Status(message: "cannot exec into a container in a completed pod; current phase is \(phase)", reason: "BadRequest", code: 400)
        }
        guard options.stdin || options.stdout || options.stderr else {
            throw Status(message: "you must specify at least 1 of stdin, stdout, stderr", reason: "BadRequest", code: 400)
        }
        guard !options.command.isEmpty else {
            throw Status(message: "you must specify at least one command for the container", reason: "BadRequest", code: 400)
        }
        var query = FormQuery(options.command.map { ("command", $0) })
        for (name, wanted) in [("input", options.stdin), ("output", options.stdout), ("error", options.stderr), ("tty", options.tty)] where wanted {
            query.append(name, "1")
        }
        let path = [namespace ?? "default", name, target.container].map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }
        return "\(core.kubelet.webSocketScheme)://\(target.authority)/exec/\(path.joined(separator: "/"))?\(query.encoded)"
    }

    /// `pods/attach` checked as upstream checks it (the pod, its node, the container), and the kubelet WebSocket
    /// URL that serves it (`/attach/{namespace}/{pod}/{container}?input=1&output=1&error=1&tty=1`).
    func podAttachURL(pod name: String, namespace: String?, options: PodExecOptions) async throws -> String {
        let target = try await kubeletTarget(pod: name, namespace: namespace, container: options.container)
        guard options.stdin || options.stdout || options.stderr else {
            throw Status(message: "you must specify at least 1 of stdin, stdout, stderr", reason: "BadRequest", code: 400)
        }
        var query = FormQuery()
        for (name, wanted) in [("input", options.stdin), ("output", options.stdout), ("error", options.stderr), ("tty", options.tty)] where wanted {
            query.append(name, "1")
        }
        let path = [namespace ?? "default", name, target.container].map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }
        return "\(core.kubelet.webSocketScheme)://\(target.authority)/attach/\(path.joined(separator: "/"))?\(query.encoded)"
    }

    /// `pods/exec`, `pods/attach` or `pods/portforward` without a WebSocket upgrade (an upgrade never reaches the handlers):
    /// the request is checked like a real one, so the caller sees the same errors, and then refused.
    func podStream(_ request: APIRequest, path: ResourcePath, name: String, subresource: String) async throws -> APIResponse {
        let options = PodExecOptions { key in request.query[key].map { [$0] } ?? [] }
        let stream: PodStream = switch subresource {
        case "exec": .exec(options)
        case "attach": .attach(options)
        default: .portForward
        }
        _ = try await podStreamURL(pod: name, namespace: path.namespace, stream: stream)
        throw Status(message: "Upgrade request required", reason: "BadRequest", code: 400)
    }
}
