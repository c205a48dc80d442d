/// The port-forward protocol every hop of `kubectl port-forward` speaks (API server → kubelet → runtime
/// streaming server): SPDY/3.1 `portforward.k8s.io` streams, tunnelled in the binary messages of a WebSocket
/// whose subprotocol is ``tunnel`` (kubectl ≥ 1.31's default). The hops before the runtime relay the
/// messages without reading them.
public enum PortForwardProtocol {
    /// The WebSocket subprotocol of the tunnel.
    public static let tunnel = "SPDY/3.1+portforward.k8s.io"
    /// The `X-Stream-Protocol-Version` of a plain SPDY upgrade (what containerd's streaming server speaks).
    public static let spdy = "portforward.k8s.io"

    /// Whether a `Sec-WebSocket-Protocol` header offers the tunnel.
    public static func isOffered(_ header: String?) -> Bool {
        StreamProtocol.offered(header).contains(tunnel)
    }
}
