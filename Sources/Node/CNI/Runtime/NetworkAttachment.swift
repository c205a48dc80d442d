/// One container interface on one network, as a runtime asks for it (libcni's `RuntimeConf`).
///
///     NetworkAttachment(containerID: sandboxID, netns: "/var/run/netns/cni-1234", ifName: "eth0",
///                args: [("K8S_POD_NAMESPACE", "default"), ("K8S_POD_NAME", "web-0")],
///                capabilityArgs: ["portMappings": .array([...])])
public struct NetworkAttachment: Sendable {
    public var containerID: String
    public var netns: String
    public var ifName: String
    /// `CNI_ARGS` pairs, in order.
    public var args: [(key: String, value: String)]
    /// Values for capabilities (`portMappings`, `ips`, `mac`, `bandwidth`, …); each plugin receives in
    /// `runtimeConfig` only those its `capabilities` enable.
    public var capabilityArgs: [String: JSONValue]

    public init(
        containerID: String, netns: String, ifName: String = "eth0",
        args: [(key: String, value: String)] = [], capabilityArgs: [String: JSONValue] = [:]
    ) {
        self.containerID = containerID
        self.netns = netns
        self.ifName = ifName
        self.args = args
        self.capabilityArgs = capabilityArgs
    }
}
