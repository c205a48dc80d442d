// swiftlet-portmap: host ports to pod ports through nf_tables (logic in CNI.Portmap).
import CNI

PluginRunner(plugin: Portmap(), about: "swiftlet-portmap").main()
