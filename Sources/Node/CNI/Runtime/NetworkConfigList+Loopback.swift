extension NetworkConfigList {
    /// The network a runtime attaches to every sandbox besides the pod network, only to bring `lo` up
    /// (containerd's built-in `cni-loopback`): not read from the config directory, so a node's
    /// `.conflist` describes the pod network alone.
    ///
    ///     let lo = try NetworkConfigList.loopback()
    ///     _ = try await cni.add(lo, NetworkAttachment(containerID: id, netns: path, ifName: "lo"))
    public static func loopback(pluginType: String = "swiftlet-loopback", cniVersion: CNIVersion = .current) throws(CNIError) -> NetworkConfigList {
        try NetworkConfigList(raw: [
            "cniVersion": .string(cniVersion.description),
            "name": .string("cni-loopback"),
            "plugins": .array([.object(["type": .string(pluginType)])]),
        ])
    }
}
