// swiftlet-host-local: the host-local IPAM plugin (logic in CNI.HostLocal).
import CNI

PluginRunner(plugin: HostLocal(), about: "swiftlet-host-local").main()
