// swift-tools-version:6.2
// Swiftlet: a Kubernetes node agent, dataplane and compact control plane for bare Linux nodes.
// The folder a target lives in says which side of the system it belongs to (see README "Architecture").

import PackageDescription

/// Every Swiftlet module: Swift 6 with the upcoming features the code keeps to; in release builds each function in
/// its own section, so lld can lay functions out by `symbolOrdering` (one `.text` per object file would let it move
/// only whole files) and `--gc-sections` drops the ones nothing calls. The dependencies get the same from
/// hack/build-release, which every script's release build goes through (a package cannot set another's flags).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]
/// The modules a CNI plugin process runs, in release builds: a concrete generic type (each `KeyedDecodingContainer`
/// over a type's `CodingKeys`, a `Set<UInt8>`) is instantiated through its metadata accessor, handed the conformances
/// the compiler already knows, instead of from its mangled name, which the runtime demangles and whose requirements it
/// looks up — for a pair not asked about before, a scan of every conformance record in the binary (~155k
/// instructions each; a bridge ADD asked 29 times). callgrind, one bridge ADD: 7.28M → 4.82M instructions.
let pluginCode: [SwiftSetting] = strict + [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

/// The CNI plugins are exec'd for every pod attachment: linked with the Swift runtime and FoundationEssentials
/// statically, so a start-up needs no loading and relocation of a dozen shared libraries (most of a dynamic
/// plugin's run; see hack/bench/cni). SwiftPM compiles the modules against the shared FoundationEssentials, whose
/// autolink entry names only `FoundationEssentials` (the .so embeds its helpers); the static archive needs its
/// two helper archives named as well. Not position-independent (as Debian's reference plugins): ~15% fewer
/// page faults and less start-up relocation work per call.
let staticExecutable: [String] = ["-static-stdlib", "-Xclang-linker", "-no-pie"]
/// How release executables are linked (the plugins, and `swiftlet` in ``daemonLinking``; lld for both): no symbol
/// table exported for dlsym (the dynamic loader no longer searches the executable's thousands of symbols first for
/// every symbol the shared libraries bind), dead sections dropped, relative relocations packed (RELR; glibc ≥ 2.36).
let leanLinking: [String] = [
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--no-export-dynamic", "-Xlinker", "--gc-sections",
]
/// The plugins also link libstdc++ and the unwinder statically: each shared library a process loads is mmaps,
/// relocations and a symbol search per bound function, and libstdc++'s (with libgcc_s) were about a third of a
/// plugin's start-up CPU (VERSION: 2.2 → 1.5 ms, 276 → 233 page faults). `cni/link` comes first on the library path
/// and holds a linker script named `libstdc++.so` that names the static archives instead (`-l:libstdc++.a`
/// `-l:libgcc_eh.a`, from GCC's directory), so the toolchain's own `-lstdc++` finds them; lld in every configuration,
/// because it resolves archive members whatever their order on the command line (gold would not find the archive's
/// members that Foundation's, linked after, need). libnftnl and libmnl stay shared (pkg-config puts the system
/// directory first; libmnl has no static archive in Debian).
let staticPlugin: [LinkerSetting] = [
    .unsafeFlags(staticExecutable + ["-use-ld=lld", "-Xclang-linker", "-L\(Context.packageDirectory)/cni/link"]),
    .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
    .unsafeFlags(leanLinking, .when(configuration: .release)),
]

/// The order in which lld lays out the release `swiftlet`'s functions: the code the node daemons run first, packed by
/// daemon (runtime idle, runtime running pods, agent running pods; profiled with callgrind by
/// hack/profile-symbol-order.sh), so a daemon's resident text is mostly code it runs rather than the neighbours the
/// kernel's fault-around maps with it. Read at link time only; functions not listed keep their usual place.
let symbolOrdering = Context.packageDirectory + "/Sources/Commands/swiftlet/symbol-order.txt"

/// The multi-call `swiftlet` binary every node runs twice (agent, runtime), release builds only: the Swift runtime and
/// Foundation linked statically (a process maps the parts of them it runs, not ten shared libraries mostly read
/// by fault-around, and relocates none of their symbols), with lld packing the relative relocations (RELR; glibc ≥
/// 2.36), so start-up neither reads 2.7 MB of relocation records nor keeps them resident; no symbol table exported
/// for dlsym (`-static-stdlib` asks for one: 4 MB read at start-up); dead sections dropped; the daemons' code laid
/// out together (`symbolOrdering`); libstdc++ and the unwinder linked statically as for the plugins (`cni/link`), so
/// their functions the daemons call are laid out with the rest instead of a 2 MiB library mapped by fault-around.
/// The libraries Foundation's static archive needs are named as for the plugins.
/// See README "Node memory".
let daemonLinking: [String] = ["-use-ld=lld", "-static-stdlib", "-Xclang-linker", "-L\(Context.packageDirectory)/cni/link"] + leanLinking + [
    "-Xlinker", "--symbol-ordering-file=" + symbolOrdering, "-Xlinker", "--no-warn-symbol-ordering",
]
let daemonLinkerSettings: [LinkerSetting] = [.unsafeFlags(daemonLinking, .when(configuration: .release))] + [
    "FoundationInternationalization", "FoundationEssentials", "_FoundationICU", "CoreFoundation", "_FoundationCShims",
    "_FoundationCollections", "swiftDispatch", "dispatch", "BlocksRuntime", "swiftSynchronization",
].map { .linkedLibrary($0, .when(configuration: .release)) }

let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let grpcProtobuf: [Target.Dependency] = [
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
]
let grpcHTTP2 = Target.Dependency.product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
        .executable(name: "swiftlet-bridge", targets: ["swiftlet-bridge"]),
        .executable(name: "swiftlet-host-local", targets: ["swiftlet-host-local"]),
        .executable(name: "swiftlet-loopback", targets: ["swiftlet-loopback"]),
        .executable(name: "swiftlet-portmap", targets: ["swiftlet-portmap"]),
        .executable(name: "swiftlet-shim", targets: ["swiftlet-shim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // MARK: API: Kubernetes types and the client every component uses.
        .target(name: "KubeAPI", path: "Sources/API/KubeAPI", swiftSettings: strict),
        .target(name: "KubePatch", dependencies: ["KubeAPI"], path: "Sources/API/KubePatch", swiftSettings: strict),
        .target(name: "KubeSchema", dependencies: ["KubeAPI"], path: "Sources/API/KubeSchema", swiftSettings: strict),
        .target(name: "KubeProtobuf", dependencies: ["KubeAPI"], path: "Sources/API/KubeProtobuf", swiftSettings: strict),
        .target(
            name: "GoNet",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/API/GoNet", swiftSettings: strict),
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeAPI", "GoNet", log,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/API/KubeClient", swiftSettings: strict),
        // The cluster's PKI: CA, serving and client certificates (swift-certificates), kubeconfigs with them inline.
        .target(name: "ClusterPKI", dependencies: [.product(name: "X509", package: "swift-certificates"),
                                                   .product(name: "SwiftASN1", package: "swift-asn1"),
                                                   .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/API/ClusterPKI", swiftSettings: strict),
        // exec/attach streams: the channel protocol, a WebSocket client and the relay the API server and kubelet use.
        .target(name: "RemoteCommand",
                dependencies: ["KubeAPI", .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                               .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                               .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/API/RemoteCommand", swiftSettings: strict),

        // MARK: ControlPlane: store, API server.
        .systemLibrary(name: "CSQLite", path: "Sources/ControlPlane/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "Store", dependencies: ["CSQLite", "EtcdAPI", log, metrics, grpcHTTP2, .product(name: "GRPCCore", package: "grpc-swift-2"), .product(name: "NIOCore", package: "swift-nio")], path: "Sources/ControlPlane/Store", swiftSettings: strict),
        .target(
            name: "APIServer",
            dependencies: [
                "KubeAPI", "KubePatch", "KubeProtobuf", "KubeSchema", "Store", "RemoteCommand", "ClusterPKI", "ResourceMetrics", "GoNet", log, metrics,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/ControlPlane/APIServer", swiftSettings: strict),

        // The built-in metrics server's scraper and storage (what `kubectl top` reads through the API server).
        .target(name: "ResourceMetrics", dependencies: [log, metrics, .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/ControlPlane/ResourceMetrics", swiftSettings: strict),
        .target(name: "Scheduler", dependencies: ["KubeAPI", "KubeClient", log, metrics], path: "Sources/ControlPlane/Scheduler", swiftSettings: strict),
        .target(name: "Controllers", dependencies: ["KubeAPI", "KubeClient", "ClusterPKI", log, metrics], path: "Sources/ControlPlane/Controllers", swiftSettings: strict),
        .target(name: "ClusterDNS", dependencies: ["KubeAPI", "KubeClient", log, metrics, .product(name: "NIOCore", package: "swift-nio"),
                                                   .product(name: "NIOPosix", package: "swift-nio"),
                                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/ControlPlane/ClusterDNS", swiftSettings: strict),
        // Generated from Proto/ by hack/generate-protos.sh (never in CI).
        .target(name: "EtcdAPI", dependencies: grpcProtobuf, path: "Sources/ControlPlane/EtcdAPI", exclude: ["Proto"], swiftSettings: strict),

        // MARK: Linux: netlink and nftables over libmnl / libnftnl.
        .systemLibrary(name: "CMnl", path: "Sources/Linux/CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CNftnl", path: "Sources/Linux/CNftnl", pkgConfig: "libnftnl", providers: [.apt(["libnftnl-dev"])]),
        .target(name: "LinuxSystem", path: "Sources/Linux/LinuxSystem", swiftSettings: pluginCode),
        .target(name: "Netlink", dependencies: ["CMnl", "LinuxSystem"], path: "Sources/Linux/Netlink", swiftSettings: pluginCode),
        .target(name: "NFTables", dependencies: ["CMnl", "CNftnl", "LinuxSystem"], path: "Sources/Linux/NFTables", swiftSettings: pluginCode),
        .systemLibrary(name: "CSeccomp", path: "Sources/Linux/CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/Linux/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Node: CRI (generated from Proto/ by hack/generate-protos.sh, never in CI), CNI.
        .target(name: "CRI", dependencies: grpcProtobuf, path: "Sources/Node/CRI", exclude: ["Proto"], swiftSettings: strict),
        .target(name: "CNI", dependencies: ["Netlink", "NFTables", "LinuxSystem"], path: "Sources/Node/CNI", swiftSettings: pluginCode),
        .target(name: "OCI", dependencies: ["LinuxSystem"], path: "Sources/Node/OCI", swiftSettings: strict),
        .target(name: "SPDY", dependencies: ["CZlib"], path: "Sources/Node/SPDY", swiftSettings: strict),
        .target(
            name: "Images",
            dependencies: [
                "CZlib", "GoNet", "LinuxSystem", log, .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Node/Images", swiftSettings: strict),
        .target(
            name: "Runtime",
            dependencies: ["CRI", "CNI", "OCI", "Images", "LinuxSystem", "CSeccomp", "KubeAPI", "RemoteCommand", "SPDY", log, metrics, grpcHTTP2,
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + grpcProtobuf,
            path: "Sources/Node/Runtime", swiftSettings: strict),
        .target(
            name: "Kubelet",
            dependencies: ["CRI", "CZlib", "GoNet", "KubeAPI", "KubeClient", "LinuxSystem", "RemoteCommand", "ClusterPKI", log, metrics, grpcHTTP2,
                           .product(name: "HummingbirdTLS", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams"), .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Sources/Node/Kubelet", swiftSettings: strict),
        .target(name: "Proxy", dependencies: ["KubeAPI", "KubeClient", "NFTables", "Netlink", "LinuxSystem", log, metrics,
                                              .product(name: "Crypto", package: "swift-crypto"),
                                              .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                                              .product(name: "NIOHTTP1", package: "swift-nio"),
                                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/Node/Proxy", swiftSettings: strict),
        // Simulated nodes and kubelets over the API only (`swiftlet sim`, scale tests and benchmarks), as kwok.
        .target(name: "NodeSimulator", dependencies: ["KubeAPI", "KubeClient", log, metrics], path: "Sources/Node/Simulator", swiftSettings: strict),
        .target(name: "PodRoutes", dependencies: ["KubeAPI", "KubeClient", "Netlink", "LinuxSystem", log,
                                                  .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Sources/Node/PodRoutes", swiftSettings: strict),
        // One monitor process per container, started for every sandbox and container: linked statically as the plugins.
        .executableTarget(name: "swiftlet-shim", dependencies: ["LinuxSystem"], path: "Sources/Node/Shim", swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(staticExecutable)]),
        .executableTarget(name: "swiftlet-bridge", dependencies: ["CNI"], path: "cni/bridge", swiftSettings: pluginCode, linkerSettings: staticPlugin),
        .executableTarget(name: "swiftlet-host-local", dependencies: ["CNI"], path: "cni/host-local", swiftSettings: pluginCode, linkerSettings: staticPlugin),
        .executableTarget(name: "swiftlet-loopback", dependencies: ["CNI"], path: "cni/loopback", swiftSettings: strict, linkerSettings: staticPlugin),
        .executableTarget(name: "swiftlet-portmap", dependencies: ["CNI"], path: "cni/portmap", swiftSettings: strict, linkerSettings: staticPlugin),

        // MARK: Commands.
        // Starting and stopping whole clusters on this machine (`swiftlet up`, `swiftlet lab`): daemons as child processes.
        .target(name: "LocalCluster", dependencies: ["KubeAPI", "KubeClient", "ClusterPKI", "LinuxSystem", "Netlink", "NFTables", log,
                                                     .product(name: "Yams", package: "Yams"),
                                                     .product(name: "UnixSignals", package: "swift-service-lifecycle")],
                path: "Sources/Commands/LocalCluster", swiftSettings: strict),
        .target(
            name: "SwiftletCommands",
            dependencies: [
                "APIServer", "ClusterDNS", "Controllers", "Scheduler", "KubeAPI", "KubeClient", "Store", "Runtime", "Images", "Kubelet", "Proxy",
                "PodRoutes", "LocalCluster", "NodeSimulator", "ClusterPKI", "RemoteCommand", log,
                .product(name: "GRPCCore", package: "grpc-swift-2"), .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Prometheus", package: "swift-prometheus"), metrics,
            ],
            path: "Sources/Commands/SwiftletCommands", swiftSettings: strict),
        .executableTarget(name: "swiftlet", dependencies: ["SwiftletCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Sources/Commands/swiftlet", exclude: ["symbol-order.txt"], swiftSettings: strict,
                          linkerSettings: daemonLinkerSettings),

        // MARK: Benchmarks (hack/bench/).
        .executableTarget(name: "cni-bench", dependencies: ["CNI", "LinuxSystem"], path: "Sources/Benchmarks/CNIBench", swiftSettings: strict),
        .executableTarget(name: "cri-bench", dependencies: ["CRI", "LinuxSystem", "TestSupport", grpcHTTP2, .product(name: "GRPCCore", package: "grpc-swift-2")],
                          path: "Sources/Benchmarks/CRIBench", swiftSettings: strict),
        .executableTarget(name: "proxy-bench", dependencies: ["Proxy", "NFTables", log], path: "Sources/Benchmarks/ProxyBench", swiftSettings: strict),
        .executableTarget(name: "cluster-bench", dependencies: ["KubeAPI", "KubeClient", "LinuxSystem", "TestSupport", log],
                          path: "Sources/Benchmarks/ClusterBench", swiftSettings: strict),
        .executableTarget(name: "pod-startup-bench", dependencies: ["KubeAPI", "KubeClient", "LinuxSystem", "TestSupport", log],
                          path: "Sources/Benchmarks/PodStartupBench", swiftSettings: strict),
        .executableTarget(name: "scheduler-bench", dependencies: ["KubeAPI", "KubeClient", log], path: "Sources/Benchmarks/SchedulerBench", swiftSettings: strict),
        .executableTarget(name: "apiserver-bench", dependencies: ["KubeAPI", "KubeClient", log], path: "Sources/Benchmarks/APIServerBench", swiftSettings: strict),

        // MARK: Tests.
        .target(name: "TestSupport", dependencies: ["KubeAPI", "KubeClient", "ClusterPKI", "LinuxSystem", "Netlink", "NFTables", "CRI",
                                                    .product(name: "NIOSSL", package: "swift-nio-ssl"), grpcHTTP2, .product(name: "GRPCCore", package: "grpc-swift-2")],
                path: "Sources/TestSupport", swiftSettings: strict),
        .testTarget(name: "KubeAPITests", dependencies: ["KubeAPI"], swiftSettings: strict),
        .testTarget(name: "KubePatchTests", dependencies: ["KubePatch", "KubeAPI"], swiftSettings: strict),
        .testTarget(name: "KubeProtobufTests", dependencies: ["KubeProtobuf", "KubeAPI"], swiftSettings: strict),
        .testTarget(name: "KubeSchemaTests", dependencies: ["KubeSchema", "KubeAPI"], swiftSettings: strict),
        .testTarget(
            name: "GoNetTests",
            dependencies: ["GoNet", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeAPI", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "ClusterDNSTests", dependencies: ["ClusterDNS", "KubeClient", "KubeAPI", "TestSupport", log,
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")], swiftSettings: strict),
        .testTarget(name: "ControllersTests", dependencies: ["Controllers", "Scheduler", "KubeClient", "KubeAPI", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["CSQLite", "Store", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "APIServerTests", dependencies: ["APIServer", "KubeAPI", "KubeClient", "Store", "TestSupport", "ClusterPKI",
                                                       .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "ResourceMetricsTests", dependencies: ["ResourceMetrics", log], swiftSettings: strict),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "NFTables", "LinuxSystem", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "CZlib", "LinuxSystem", "TestSupport", log,
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio")], swiftSettings: strict),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "NFTables", "LinuxSystem", "KubeAPI", "KubeClient", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "SimulatedClusterTests", dependencies: ["NodeSimulator", "KubeClient", "KubeAPI", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "KubeAPI", "KubeClient", "TestSupport", log], swiftSettings: strict),
        .testTarget(name: "RemoteCommandTests", dependencies: ["KubeAPI", "RemoteCommand", .product(name: "Crypto", package: "swift-crypto"),
                                                           .product(name: "Hummingbird", package: "hummingbird"),
                                                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: strict),
        .testTarget(name: "SPDYTests", dependencies: ["SPDY"], swiftSettings: strict),
        .testTarget(name: "KubeletTests", dependencies: ["CRI", "GoNet", "KubeAPI", "KubeClient", "Kubelet", "RemoteCommand", "TestSupport", "ClusterPKI", log, grpcHTTP2,
                                                     .product(name: "GRPCCore", package: "grpc-swift-2")], swiftSettings: strict),
        .testTarget(name: "RuntimeTests", dependencies: ["CRI", "LinuxSystem", "OCI", "Runtime", "SPDY", "TestSupport", log, grpcHTTP2,
            .product(name: "GRPCCore", package: "grpc-swift-2"), .product(name: "SwiftProtobuf", package: "swift-protobuf")], swiftSettings: strict),
        .testTarget(name: "CRITests", dependencies: ["CRI", "TestSupport", grpcHTTP2,
            .product(name: "GRPCCore", package: "grpc-swift-2"), .product(name: "SwiftProtobuf", package: "swift-protobuf")], swiftSettings: strict),
        .testTarget(name: "EtcdAPITests", dependencies: ["EtcdAPI", "TestSupport", grpcHTTP2,
            .product(name: "GRPCCore", package: "grpc-swift-2")], swiftSettings: strict),
        .testTarget(name: "PodRoutesTests", dependencies: ["PodRoutes", "Netlink", "LinuxSystem", "KubeAPI", "KubeClient", "TestSupport", log],
                    swiftSettings: strict),
        .testTarget(name: "LocalClusterTests", dependencies: ["LocalCluster", "Netlink", "LinuxSystem", "KubeAPI", "KubeClient", "TestSupport", log],
                    swiftSettings: strict),
        .testTarget(name: "CNITests", dependencies: ["CNI", "Netlink", "NFTables", "LinuxSystem", "TestSupport"], swiftSettings: strict),
        // The end-to-end suite: a 3-node `swiftlet lab` driven with kubectl and curl (hack/e2e/README.md).
        .testTarget(name: "EndToEndTests", dependencies: ["KubeAPI", "LinuxSystem", "TestSupport"], path: "hack/e2e",
                    exclude: ["web.yaml", "README.md", "run"], swiftSettings: strict),
    ]
)
