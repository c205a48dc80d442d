// swiftlet-host-local: the host-local IPAM plugin (logic in CNI.HostLocal).
import CNI

await PluginRunner(plugin: HostLocal(), about: "swiftlet-host-local").main()
