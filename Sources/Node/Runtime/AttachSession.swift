#if canImport(Glibc)
import Glibc
#endif
import KubeAPI
import LinuxSystem
import Logging
import RemoteCommand

/// One streaming attach: a remote-command client joined to a running container's stdio through the attach
/// socket of its monitor (`swiftlet-shim`, see `AttachPoint` there). Output flows until the container exits
/// or the client leaves; the client's stdin reaches the container when it keeps one open. As containerd does,
/// the end of the client's stdin closes the container's stdin for a `stdinOnce` container without a terminal
/// (output keeps flowing until it exits) and otherwise detaches the client.
struct AttachSession {
    let request: StreamingSessions.AttachRequest
    let logger: Logger

    /// The largest stdin record sent to the monitor.
    static let chunkSize = 32 * 1024

    func run(_ peer: some RemoteCommandPeer) async {
        let socket: Int32
        do {
            socket = try UnixSocket.connect(directory: request.bundle, name: "attach", type: UnixSocket.seqPacket)
        } catch {
            logger.info("attach failed", metadata: ["container": "\(request.containerID)", "error": "\(error)"])
            await peer.finish(.streamFailure("failed to attach to container \(request.containerID): \(error)"))
            return
        }
        let reader = dup(socket)
        // The client's input, until it leaves or detaches; then the socket is shut down, which ends the output.
        let input = Task {
            let writesStdin = request.stdin && request.containerStdin
            await peer.receive { input in
                switch input {
                case .stdin(let bytes) where writesStdin:
                    var offset = 0
                    while offset < bytes.count {
                        let end = min(bytes.count, offset + Self.chunkSize)
                        try await DescriptorStream.write([StreamChannel.stdin.rawValue] + bytes[offset..<end], to: socket)
                        offset = end
                    }
                case .resize(let size) where request.tty:
                    try await DescriptorStream.write([StreamChannel.resize.rawValue, UInt8(size.width >> 8), UInt8(size.width & 0xff),
                                                      UInt8(size.height >> 8), UInt8(size.height & 0xff)], to: socket)
                case .stdinClosed where writesStdin:
                    guard request.stdinOnce && !request.tty else { throw Detached() }
                    try await DescriptorStream.write([StreamChannel.close.rawValue, StreamChannel.stdin.rawValue], to: socket)
                default:
                    break
                }
            }
            shutdown(socket, Int32(SHUT_RDWR))
        }
        // The container's output, until the monitor closes the socket (the container exited) or the input ended.
        for await record in DescriptorStream.reading(reader, chunkSize: 64 * 1024) {
            guard let first = record.first else { continue }
            let channel: StreamChannel = request.tty || first == StreamChannel.stdout.rawValue ? .stdout : .stderr
            guard channel == .stdout ? request.stdout : request.stderr else { continue }
            try? await peer.send(Array(record.dropFirst()), on: channel)
        }
        input.cancel()
        await peer.finish(.streamSuccess)
        // The input may still be writing: the descriptor is closed only once it has stopped.
        Task {
            await input.value
            close(socket)
        }
    }

    /// The client ended its stdin on a container that keeps stdin open: it detaches.
    private struct Detached: Error {}
}
