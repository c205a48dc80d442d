import CRI
import Foundation
import GRPCCore
import KubeAPI

/// Why the kubelet cannot open a stream into a container; the message is what the user sees.
struct StreamTargetError: Error, CustomStringConvertible {
    let description: String
}

extension PodWorkers {
    /// What `kubectl exec` or `kubectl attach` asked for, in the kubelet's query vocabulary (`command`, `input`,
    /// `output`, `error`, `tty`).
    struct ExecOptions: Sendable {
        var command: [String]
        var stdin: Bool
        var stdout: Bool
        var stderr: Bool
        var tty: Bool
    }

    /// Asks the runtime to exec in the running container `container` of pod `namespace/name` and returns the
    /// streaming URL its `Exec` grants.
    func execURL(namespace: String, name: String, container: String, options: ExecOptions) async throws -> String {
        let (running, _) = try await runningContainer(namespace: namespace, name: name, container: container)
        var request = Runtime_V1_ExecRequest()
        request.containerID = running.id
        request.cmd = options.command
        request.tty = options.tty
        request.stdin = options.stdin
        request.stdout = options.stdout
        request.stderr = options.stderr && !options.tty
        do {
            return try await connection.runtime.exec(request, options: RuntimeConnection.options(.seconds(30))).url
        } catch let error as RPCError {
            throw StreamTargetError(description: error.message)
        }
    }

    /// Asks the runtime to attach to the running container `container` of pod `namespace/name` and returns the
    /// streaming URL its `Attach` grants. As upstream's kubelet, the terminal follows the container's spec (it
    /// cannot change after start) and a terminal request drops stderr.
    func attachURL(namespace: String, name: String, container: String, options: ExecOptions) async throws -> String {
        let (running, pod) = try await runningContainer(namespace: namespace, name: name, container: container)
        guard let spec = pod.spec?.anyContainer(named: container) else {
            throw StreamTargetError(description: "container \(container) not found in pod \(name)_\(namespace)")
        }
        var request = Runtime_V1_AttachRequest()
        request.containerID = running.id
        request.tty = spec.tty ?? false
        request.stdin = options.stdin
        request.stdout = options.stdout
        request.stderr = options.stderr && !options.tty && !request.tty
        do {
            return try await connection.runtime.attach(request, options: RuntimeConnection.options(.seconds(30))).url
        } catch let error as RPCError {
            throw StreamTargetError(description: error.message)
        }
    }

    /// The running container `container` of the pod and the pod, or the kubelet's error for a stream to it.
    private func runningContainer(namespace: String, name: String, container: String) async throws -> (Runtime_V1_Container, Pod) {
        guard let pod = pod(namespace: namespace, name: name), let uid = pod.metadata.uid else {
            throw StreamTargetError(description: "pod \(namespace)/\(name) not found on this node")
        }
        var running: Runtime_V1_Container?
        for sandbox in try await sandboxes(uid: uid) where sandbox.state == .sandboxReady {
            for candidate in try await containers(sandboxID: sandbox.id)
            where candidate.metadata.name == container && candidate.state == .containerRunning {
                running = candidate
            }
        }
        guard let running else {
            throw StreamTargetError(description: "unable to upgrade connection: container not found (\"\(container)\")")
        }
        return (running, pod)
    }
}

extension PodWorkers {
    /// Asks the runtime to forward ports into the ready sandbox of pod `namespace/name` and returns the
    /// streaming URL its `PortForward` grants.
    func portForwardURL(namespace: String, name: String, ports: [UInt16] = []) async throws -> String {
        guard let pod = pod(namespace: namespace, name: name), let uid = pod.metadata.uid else {
            throw StreamTargetError(description: "pod \(namespace)/\(name) not found on this node")
        }
        guard let sandbox = try await sandboxes(uid: uid).first(where: { $0.state == .sandboxReady }) else {
            throw StreamTargetError(description: "pod \(namespace)/\(name) has no running sandbox")
        }
        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = sandbox.id
        request.port = ports.map(Int32.init)
        do {
            return try await connection.runtime.portForward(request, options: RuntimeConnection.options(.seconds(30))).url
        } catch let error as RPCError {
            throw StreamTargetError(description: error.message)
        }
    }
}
