/// The port-forward protocols every hop of a port forward speaks (API server → kubelet → runtime streaming server).
///
/// - ``tunnel``: SPDY/3.1 `portforward.k8s.io` streams tunnelled in the binary messages of a WebSocket (kubectl ≥
///   1.31's default); the hops before the runtime relay the messages without reading them.
/// - ``channel``: upstream's WebSocket port forward (kubelet `portforward/websocket.go`), what the Python client's
///   `portforward` speaks: the ports are named in the URL (`ports=` at the API server, `port=` at the kubelet, each
///   repeated or comma-separated); for the i-th port, channel 2i carries its data and 2i+1 its errors, and the
///   server opens each channel with the port in 2 bytes, little endian. One connection per port, for the life of
///   the WebSocket, which ends once every port's connection has.
public enum PortForwardProtocol {
    /// The WebSocket subprotocol of the tunnel.
    public static let tunnel = "SPDY/3.1+portforward.k8s.io"
    /// The WebSocket subprotocol of the channel protocol.
    public static let channel = "v4.channel.k8s.io"
    /// The `X-Stream-Protocol-Version` of a plain SPDY upgrade (what containerd's streaming server speaks).
    public static let spdy = "portforward.k8s.io"

    /// Whether a `Sec-WebSocket-Protocol` header offers the tunnel.
    public static func isOffered(_ header: String?) -> Bool {
        StreamProtocol.offered(header).contains(tunnel)
    }

    /// The subprotocol to answer a `Sec-WebSocket-Protocol` header with: the tunnel if offered, else the channel
    /// protocol if offered, else nil.
    public static func negotiate(offered header: String?) -> String? {
        let offered = StreamProtocol.offered(header)
        return [tunnel, channel].first(where: offered.contains)
    }

    /// The ports of a query parameter's values, each value a port or a comma-separated list of them, as upstream
    /// reads them; a failure with upstream's reason when there is none or one is not a port in 1…65535.
    public static func ports(_ values: [String], parameter: String) -> Result<[UInt16], PortForwardRequestError> {
        guard !values.isEmpty else { return .failure(PortForwardRequestError(description: "query parameter \"\(parameter)\" is required")) }
        var ports: [UInt16] = []
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let port = UInt16(part), port > 0 else {
                    return .failure(PortForwardRequestError(description: "unable to parse \"\(value)\" as a port"))
                }
                ports.append(port)
            }
        }
        return .success(ports)
    }

    /// The first message of each of a port's channels: the port, little endian.
    public static func portPrefix(_ port: UInt16) -> [UInt8] {
        [UInt8(port & 0xff), UInt8(port >> 8)]
    }
}

/// A port-forward request the server cannot serve, worded as upstream's.
public struct PortForwardRequestError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
