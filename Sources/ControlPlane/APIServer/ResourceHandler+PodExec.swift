import Foundation
import KubeAPI
import RemoteCommand

/// core/v1 `PodExecOptions` from the query of `pods/{name}/exec` (`command` repeated, one per argument).
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

extension ResourceHandler {
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
        return "ws://\(target.authority)/exec/\(path.joined(separator: "/"))?\(query.encoded)"
    }

    /// `pods/exec` without a WebSocket upgrade (an upgrade never reaches the handlers): the request is checked
    /// like a real one, so the caller sees the same errors, and then refused.
    func podExec(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        _ = try await podExecURL(pod: name, namespace: path.namespace,
                                 options: PodExecOptions { key in request.query[key].map { [$0] } ?? [] })
        throw Status(message: "Upgrade request required", reason: "BadRequest", code: 400)
    }
}
