import CRI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TestSupport

typealias RuntimeClient = Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
typealias ImageClient = Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>

/// The pod the benchmark starts and stops, shaped like the kubelet's requests: a networked sandbox and one
/// container of the shell image running `sleep 3600`.
struct PodWorkload: Sendable {
    let image: String
    let logRoot: String
    /// Every RPC gets this deadline, so a hung runtime fails the run instead of stalling it.
    let options: CallOptions = {
        var options = CallOptions.defaults
        options.timeout = .seconds(60)
        return options
    }()

    /// A running pod and how long each step of starting it took.
    struct Started: Sendable {
        var sandboxID: String
        var containerID: String
        var run: Duration
        var create: Duration
        var start: Duration
        var total: Duration { run + create + start }
    }

    /// How long each step of stopping a pod took.
    struct Stopped: Sendable {
        var stopContainer: Duration
        var stopSandbox: Duration
        var removeSandbox: Duration
        var total: Duration { stopContainer + stopSandbox + removeSandbox }
    }

    /// A failed step, with the pod it belongs to; the sandbox (if it was made) is removed again.
    struct Failure: Error, CustomStringConvertible {
        var pod: String
        var step: String
        var error: any Error
        var description: String {
            // The transport's reason (an HTTP/2 error, a closed connection) is in the cause.
            let cause = (error as? RPCError)?.cause.map { " (cause: \($0))" } ?? ""
            return "\(pod) \(step): \(error)\(cause)"
        }
    }

    /// RunPodSandbox (with CNI) + CreateContainer + StartContainer.
    func start(_ name: String, on runtime: RuntimeClient) async throws -> Started {
        let clock = ContinuousClock()
        let sandboxConfig = CRIRequests.sandboxConfig(name: name, namespace: "bench", logDirectory: "\(logRoot)/\(name)")
        var begin = clock.now
        var runRequest = Runtime_V1_RunPodSandboxRequest()
        runRequest.config = sandboxConfig
        let sandboxID: String
        do {
            sandboxID = try await runtime.runPodSandbox(runRequest, options: options).podSandboxID
        } catch {
            throw Failure(pod: name, step: "RunPodSandbox", error: error)
        }
        let run = clock.now - begin
        do {
            begin = clock.now
            var createRequest = Runtime_V1_CreateContainerRequest()
            createRequest.podSandboxID = sandboxID
            createRequest.config = CRIRequests.containerConfig(name: "sleep", image: image, command: ["sleep", "3600"])
            createRequest.sandboxConfig = sandboxConfig
            let containerID: String
            do {
                containerID = try await runtime.createContainer(createRequest, options: options).containerID
            } catch {
                throw Failure(pod: name, step: "CreateContainer", error: error)
            }
            let create = clock.now - begin
            begin = clock.now
            var startRequest = Runtime_V1_StartContainerRequest()
            startRequest.containerID = containerID
            do {
                _ = try await runtime.startContainer(startRequest, options: options)
            } catch {
                throw Failure(pod: name, step: "StartContainer", error: error)
            }
            return Started(sandboxID: sandboxID, containerID: containerID, run: run, create: create, start: clock.now - begin)
        } catch {
            try? await remove(sandboxID, on: runtime)
            throw error
        }
    }

    /// StopContainer (timeout 0: SIGKILL at once, as the kubelet does for a pod deleted with grace period 0) +
    /// StopPodSandbox (CNI DEL) + RemovePodSandbox.
    func stop(_ pod: Started, name: String, on runtime: RuntimeClient) async throws -> Stopped {
        let clock = ContinuousClock()
        var begin = clock.now
        var stopContainer = Runtime_V1_StopContainerRequest()
        stopContainer.containerID = pod.containerID
        stopContainer.timeout = 0
        do {
            _ = try await runtime.stopContainer(stopContainer, options: options)
        } catch {
            try? await remove(pod.sandboxID, on: runtime)
            throw Failure(pod: name, step: "StopContainer", error: error)
        }
        let stoppedContainer = clock.now - begin
        begin = clock.now
        var stopSandbox = Runtime_V1_StopPodSandboxRequest()
        stopSandbox.podSandboxID = pod.sandboxID
        do {
            _ = try await runtime.stopPodSandbox(stopSandbox, options: options)
        } catch {
            try? await remove(pod.sandboxID, on: runtime)
            throw Failure(pod: name, step: "StopPodSandbox", error: error)
        }
        let stoppedSandbox = clock.now - begin
        begin = clock.now
        do {
            try await remove(pod.sandboxID, on: runtime)
        } catch {
            throw Failure(pod: name, step: "RemovePodSandbox", error: error)
        }
        return Stopped(stopContainer: stoppedContainer, stopSandbox: stoppedSandbox, removeSandbox: clock.now - begin)
    }

    func remove(_ sandboxID: String, on runtime: RuntimeClient) async throws {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = sandboxID
        _ = try await runtime.removePodSandbox(request, options: options)
    }
}
