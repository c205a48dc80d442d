import CRI
import Foundation
import KubeAPI

/// Runs a container's `postStart` or `preStop` handler the way the kubelet does — `exec` through CRI
/// ExecSync, `httpGet` from the node to the pod, `sleep` — and words a failure as upstream does, for the
/// `FailedPostStartHook` / `FailedPreStopHook` events.
struct LifecycleHookRunner: Sendable {
    let connection: RuntimeConnection

    /// Runs `handler`; nil when it succeeded, else the failure. `timeout` bounds it (0: no bound, like
    /// upstream's postStart exec).
    func run(_ handler: LifecycleHandler, container: Container, containerID: String, pod: Pod, podIP: String,
             timeout: Int64) async -> String? {
        let owner = "Container \"\(container.name)\" in Pod \"\(pod.metadata.name ?? "")_\(pod.metadata.namespace ?? "default")(\(pod.metadata.uid ?? ""))\""
        if let exec = handler.exec {
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = containerID
            request.cmd = exec.command ?? []
            request.timeout = timeout
            let callTimeout: Duration = timeout > 0 ? .seconds(timeout + 5) : .seconds(24 * 3600)
            let failure: String
            do {
                let response = try await connection.lifecycle.execSync(request, options: RuntimeConnection.options(callTimeout))
                if response.exitCode == 0 { return nil }
                failure = "command '\(request.cmd.joined(separator: " "))' exited with \(response.exitCode): \(String(decoding: response.stderr, as: UTF8.self))"
                    + ", message: \"\(String(decoding: response.stdout, as: UTF8.self))\""
            } catch {
                failure = "\(PodWorkers.goError(error)), message: \"\""
            }
            return "Exec lifecycle hook ([\(request.cmd.joined(separator: " "))]) for \(owner) failed - error: \(failure)"
        }
        if let http = handler.httpGet {
            let probe = Probe(httpGet: http, timeoutSeconds: Int32(clamping: timeout > 0 ? timeout : 3600))
            if case .failure(let message) = await Prober(connection: connection).probe(probe, container: container, containerID: containerID, podIP: podIP) {
                return "HTTP lifecycle hook (\(http.path ?? "")) for \(owner) failed - error: \(message)"
            }
            return nil
        }
        if let sleep = handler.sleep {
            let seconds = timeout > 0 ? min(sleep.seconds, timeout) : sleep.seconds
            try? await Task.sleep(for: .seconds(max(0, seconds)))
            return nil
        }
        if handler.tcpSocket != nil {
            return "TCPSocket lifecycle hook for \(owner) is not supported (deprecated; use exec, httpGet or sleep)"
        }
        return "lifecycle hook for \(owner) has no action"
    }
}
