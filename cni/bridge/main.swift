// swiftlet-bridge: veth into a host bridge (logic in CNI.Bridge).
import CNI

PluginRunner(plugin: Bridge(), about: "swiftlet-bridge").main()
