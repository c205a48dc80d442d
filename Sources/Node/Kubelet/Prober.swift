#if canImport(Glibc)
import Glibc
#endif
import CRI
import Foundation
import KubeAPI
import LinuxSystem

/// Runs one probe the way the kubelet does: `exec` through CRI ExecSync (exit code 0 succeeds), `httpGet` as
/// an HTTP/1.1 GET from the node (status 200–399 succeeds), `tcpSocket` as a TCP connect, each within
/// `timeoutSeconds`, and `grpc` as a `grpc.health.v1.Health/Check` call (``GRPCHealthProbe``).
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
                let response = try await connection.runtime.execSync(request, options: RuntimeConnection.options(.seconds(Int64(timeout) + 5)))
                if response.exitCode == 0 { return .success }
                let output = String(decoding: response.stdout + response.stderr, as: UTF8.self)
                return .failure("command \(request.cmd) exited with \(response.exitCode): \(output)")
            } catch {
                return .failure("command \(request.cmd) failed: \(PodWorkers.message(error))")
            }
        }
        if let http = probe.httpGet {
            guard let port = Self.port(http.port, container) else { return .failure("unknown port \(http.port)") }
            let host = http.host ?? podIP
            let path = http.path.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? "/"
            let headers = (http.httpHeaders ?? []).map { "\($0.name): \($0.value)\r\n" }.joined()
            let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n\(headers)\r\n"
            if http.scheme == "HTTPS" { return .failure("HTTPS probes are not supported by this kubelet yet") }
            return await Self.blocking { Self.httpGet(host: host, port: port, request: request, timeout: timeout) }
        }
        if let tcp = probe.tcpSocket {
            guard let port = Self.port(tcp.port, container) else { return .failure("unknown port \(tcp.port)") }
            let host = tcp.host ?? podIP
            return await Self.blocking {
                let fd = Self.connect(host: host, port: port, timeout: timeout)
                guard fd >= 0 else { return .failure("dial tcp \(host):\(port): connect: \(String(cString: strerror(-fd)))") }
                close(fd)
                return .success
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

    private static func blocking(_ body: @escaping @Sendable () -> Result) async -> Result {
        // A thread of its own: Dispatch's pool is as small as the CPUs, and many probes may run at once.
        (try? await DedicatedThread.offload(body)) ?? .failure("no thread for the probe")
    }

    /// A connected TCP socket, or `-errno`.
    private static func connect(host: String, port: Int, timeout: Int) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return -EINVAL }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return -errno }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0, errno != EINPROGRESS { let failure = errno; close(fd); return -failure }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) == 1 else { close(fd); return -ETIMEDOUT }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 { close(fd); return -failure }
        return fd
    }

    private static func httpGet(host: String, port: Int, request: String, timeout: Int) -> Result {
        let fd = connect(host: host, port: port, timeout: timeout)
        guard fd >= 0 else { return .failure("Get \"http://\(host):\(port)\": dial tcp: connect: \(String(cString: strerror(-fd)))") }
        defer { close(fd) }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            return .failure("Get \"http://\(host):\(port)\": write failed")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(Double(timeout))
        while !response.contains(UInt8(ascii: "\n")) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard poll(&descriptor, 1, left) == 1 else { return .failure("Get \"http://\(host):\(port)\": context deadline exceeded") }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[..<count]
        }
        let statusLine = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { return .failure("malformed HTTP response: \(statusLine)") }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
