#if canImport(Glibc)
import Glibc
#endif
import CRI
import Foundation
import GoNet
import KubeAPI
import LinuxSystem

/// Runs one probe the way the kubelet does: `exec` through CRI ExecSync (exit code 0 succeeds), `httpGet` as
/// an HTTP/1.1 GET from the node over HTTP or HTTPS (``HTTPProbe``), `tcpSocket` as a TCP connect (``TCPDial``),
/// each within `timeoutSeconds`, and `grpc` as a `grpc.health.v1.Health/Check` call (``GRPCHealthProbe``). The
/// blocking socket work runs on threads of its own: the concurrency pool is as small as the CPUs, and many probes
/// may run at once.
struct Prober: Sendable {
    let connection: RuntimeConnection

    enum Result: Equatable, Sendable {
        case success
        case failure(String)
    }

    func probe(_ probe: Probe, container: Container, containerID: String, podIP: String) async -> Result {
        let timeout = Int(max(1, probe.timeoutSeconds ?? 1))
        if let exec = probe.exec {
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = containerID
            request.cmd = exec.command ?? []
            request.timeout = Int64(timeout)
            do {
                let response = try await connection.lifecycle.execSync(request, options: RuntimeConnection.options(.seconds(Int64(timeout) + 5)))
                if response.exitCode == 0 { return .success }
                let output = String(decoding: response.stdout + response.stderr, as: UTF8.self)
                return .failure("command \(request.cmd) exited with \(response.exitCode): \(output)")
            } catch {
                return .failure("command \(request.cmd) failed: \(PodWorkers.message(error))")
            }
        }
        if let http = probe.httpGet {
            guard let port = Self.port(http.port, container) else { return .failure("unknown port \(http.port)") }
            let path = http.path.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? "/"
            return await HTTPProbe.probe(scheme: http.scheme ?? "HTTP", host: http.host ?? podIP, port: port, path: path,
                                         headers: (http.httpHeaders ?? []).map { ($0.name, $0.value) }, timeout: .seconds(timeout))
        }
        if let tcp = probe.tcpSocket {
            guard let port = Self.port(tcp.port, container) else { return .failure("unknown port \(tcp.port)") }
            let host = tcp.host ?? podIP
            let dialed = try? await DedicatedThread.offload { TCPDial.connect(host: host, port: port, timeout: .seconds(timeout)) }
            switch dialed {
            case .success(let fd): close(fd); return .success
            case .failure(let failure): return .failure(failure.description)
            case nil: return .failure("no thread for the probe")
            }
        }
        if let grpc = probe.grpc {
            return await GRPCHealthProbe.probe(host: podIP, port: Int(grpc.port), service: grpc.service ?? "", timeout: .seconds(timeout))
        }
        return .failure("probe has no handler")
    }

    /// A number, or a named container port.
    static func port(_ port: IntOrString, _ container: Container) -> Int? {
        switch port {
        case .int(let number): Int(number)
        case .string(let name): Int(name) ?? container.ports?.first { $0.name == name }.map { Int($0.containerPort) }
        }
    }
}
