// swiftlet-loopback: brings lo up in the sandbox (logic in CNI.Loopback).
import CNI

PluginRunner(plugin: Loopback(), about: "swiftlet-loopback").main()
