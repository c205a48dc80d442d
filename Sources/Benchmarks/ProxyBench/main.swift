// proxy-bench: programs N Services × M endpoints with the nftables proxier in the calling network
// namespace (hack/bench/proxy runs it inside a throwaway one) and prints the full sync time, the time of
// one-endpoint changes (partial syncs), RSS, and — given --compare-namespace — the time `nft -f` takes to
// load the same table (dumped with `nft list table`) into another namespace. Then the same with the
// iptables proxier (`--modes` picks), the time plain `iptables-restore` takes to load its rules (upstream
// kube-proxy's iptables layout, dumped with `iptables-save` after the full sync) into the other namespace,
// and the time `iptables-restore --noflush` takes there for the same one-endpoint changes' text.
import Foundation
import Logging
import NFTables
import Proxy

struct Options {
    var services = 10_000
    var endpoints = 10
    var changes = 200
    /// Every Nth service has ClientIP affinity (0: none); their one-endpoint changes are reported apart.
    var affinityEvery = 0
    var compareNamespace: String?
    var modes: [ProxyMode] = ProxyMode.allCases
    /// Also load upstream kube-proxy's nftables layout for the same services with `nft -f` (minutes at 10k).
    var upstreamLayout = true
    /// Data-path mode (`hack/bench/proxy --datapath`): program the services with two real ones in front —
    /// 10.96.0.1:80 → `<address>:8080` and 10.96.0.2:5201 → `<address>:5201` — then exit, leaving the rules.
    var datapathEndpoint: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--services": services = Int(iterator.next() ?? "") ?? services
            case "--endpoints": endpoints = Int(iterator.next() ?? "") ?? endpoints
            case "--changes": changes = Int(iterator.next() ?? "") ?? changes
            case "--affinity-every": affinityEvery = Int(iterator.next() ?? "") ?? affinityEvery
            case "--compare-namespace": compareNamespace = iterator.next()
            case "--no-upstream-layout": upstreamLayout = false
            case "--datapath-endpoint": datapathEndpoint = iterator.next()
            case "--modes": modes = (iterator.next() ?? "").split(separator: ",").compactMap { ProxyMode(rawValue: String($0)) }
            default: FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
            }
        }
    }
}

func rssMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    let kib = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    return kib / 1024
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// CPU time (user + system, ms) this process or its waited-for children used so far: unlike wall time it
/// hardly moves with the machine's load (the kernel's netlink work is our system time).
func cpuMilliseconds(children: Bool = false) -> Double {
    var usage = rusage()
    getrusage((children ? RUSAGE_CHILDREN : RUSAGE_SELF).rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

/// Runs a shell command line and waits for it (`system(3)`: Foundation's `Process` cannot always wake
/// its run loop inside `ip netns exec`).
func shell(_ command: String) -> Int32 {
    system(command)
}

/// Writes a line to stdout at once (no buffering, so partial results survive a timeout).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let options = Options(CommandLine.arguments)
var logger = Logger(label: "proxy-bench")
logger.logLevel = .warning

func endpoint(_ service: Int, _ index: Int) -> EndpointInfo {
    // 10.128.0.0/9: one /24-ish block of endpoint addresses per service.
    let value = 0x0A80_0000 + service * 16 + index
    return EndpointInfo(ip: "\(value >> 24 & 255).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)", port: 8080,
                        nodeName: "node-a", isLocal: true)
}

/// Whether service number `service` has ClientIP affinity (`--affinity-every`).
func hasAffinity(_ service: Int) -> Bool { options.affinityEvery > 0 && service % options.affinityEvery == options.affinityEvery - 1 }

var ports: [ServicePortInfo] = []
var endpoints: [ServicePortName: [EndpointInfo]] = [:]
for service in 0..<options.services {
    let name = ServicePortName(namespace: "bench", name: "svc-\(service)", portName: "http", protocol: .tcp)
    let ip = 0x0A60_0000 + service  // 10.96.0.0/12
    ports.append(ServicePortInfo(name: name, clusterIPs: ["\(ip >> 24 & 255).\(ip >> 16 & 255).\(ip >> 8 & 255).\(ip & 255)"],
                                 port: 80, nodePort: service % 10 == 0 ? UInt16(30000 + service / 10 % 2768) : nil,
                                 sessionAffinity: hasAffinity(service) ? .clientIP(timeoutSeconds: 10800) : .none))
    endpoints[name] = (0..<options.endpoints).map { endpoint(service, $0) }
}
if let address = options.datapathEndpoint {
    // The real services the data-path bench sends traffic to, in front of the synthetic ones.
    for (index, (port, target)) in [(UInt16(80), UInt16(8080)), (5201, 5201)].enumerated() {
        let name = ServicePortName(namespace: "bench", name: "svc-\(index)", portName: "http", protocol: .tcp)
        ports[index] = ServicePortInfo(name: name, clusterIPs: ["10.96.0.\(index + 1)"], port: port)
        endpoints[name] = [EndpointInfo(ip: address, port: target, nodeName: "node-a", isLocal: true)]
    }
}
let services = ServicePortMap(ports)
let node = NodeInfo(name: "node-a", addresses: ["192.168.0.10"])

if options.datapathEndpoint != nil {
    let socket = try NetfilterSocket(options: NFTablesProxier.socketOptions)
    let proxier = NFTablesProxier(socket: socket, configuration: ProxyConfiguration(clusterCIDRs: ["10.244.0.0/16"]), logger: logger)
    let timer = ContinuousClock()
    let begun = timer.now
    try await proxier.sync(services: services, endpoints: EndpointsMap(endpoints), node: node)
    say(String(format: "programmed %d services in %.0f ms", options.services, milliseconds(timer.now - begun)))
    exit(0)
}

let clock = ContinuousClock()
var started = clock.now

/// The endpoints after the `change`-th one-endpoint change (one endpoint of one service replaced, a
/// different service each time), and the service port changed (what the change trackers report).
func changed(_ current: EndpointsMap, _ change: Int) -> (EndpointsMap, ServicePortName) {
    var current = current
    let service = (change * 7919) % options.services
    let name = ServicePortName(namespace: "bench", name: "svc-\(service)", portName: "http", protocol: .tcp)
    var list = current[name]
    list[0] = list[0] == endpoint(service, 15) ? endpoint(service, 0) : endpoint(service, 15)  // always a real change
    current.update(name, list)
    return (current, name)
}

/// The same services in upstream kube-proxy's nftables layout (pkg/proxy/nftables, IPv4) as `nft -f` input: the
/// service-ips / service-nodeports verdict maps, `service-…` chains choosing an endpoint with one
/// `numgen random mod N vmap { … }` rule, `external-…` chains for node ports, `endpoint-…` chains with
/// the hairpin mark and the DNAT. One statement per line (nft 1.0's parser wants that).
func upstreamLayoutText(services: [ServicePortInfo], endpoints: [ServicePortName: [EndpointInfo]]) -> String {
    var lines = ["table ip kube-proxy {", "comment \"rules for kube-proxy\""]
    lines += [
        "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }",
        "map service-nodeports { type inet_proto . inet_service : verdict; }",
        "set nodeport-ips { type ipv4_addr; elements = { 192.168.0.10 }; }",
        "chain mark-for-masquerade {", "meta mark set meta mark | 0x4000", "}",
        "chain masquerading {", "meta mark & 0x4000 == 0 return", "meta mark set meta mark ^ 0x4000", "masquerade fully-random", "}",
        "chain services {", "ip daddr . meta l4proto . th dport vmap @service-ips",
        "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports", "}",
        "chain nat-prerouting {", "type nat hook prerouting priority dstnat;", "jump services", "}",
        "chain nat-output {", "type nat hook output priority -100;", "jump services", "}",
        "chain nat-postrouting {", "type nat hook postrouting priority srcnat;", "jump masquerading", "}",
    ]
    var serviceElements: [String] = []
    var nodePortElements: [String] = []
    for service in services {
        let base = service.name.chainBase
        let serviceChain = "service-\(base)"
        let list = endpoints[service.name] ?? []
        var choices: [String] = []
        for (index, endpoint) in list.enumerated() {
            let chain = "endpoint-\(base)__\(endpoint.ip)/\(endpoint.port)"
            lines += ["chain \(chain) {", "ip saddr \(endpoint.ip) jump mark-for-masquerade",
                      "meta l4proto tcp dnat to \(endpoint.ip):\(endpoint.port)", "}"]
            choices.append("\(index) : goto \(chain)")
        }
        let clusterIP = service.clusterIPs[0]
        lines += ["chain \(serviceChain) {", "ip daddr \(clusterIP) tcp dport \(service.port) ip saddr != 10.128.0.0/9 jump mark-for-masquerade",
                  "numgen random mod \(list.count) vmap { \(choices.joined(separator: ", ")) }", "}"]
        serviceElements.append("\(clusterIP) . tcp . \(service.port) : goto \(serviceChain)")
        if let nodePort = service.nodePort {
            lines += ["chain external-\(base) {", "jump mark-for-masquerade", "goto \(serviceChain)", "}"]
            nodePortElements.append("tcp . \(nodePort) : goto external-\(base)")
        }
    }
    lines.append("}")
    lines.append("add element ip kube-proxy service-ips { \(serviceElements.joined(separator: ", ")) }")
    if !nodePortElements.isEmpty {
        lines.append("add element ip kube-proxy service-nodeports { \(nodePortElements.joined(separator: ", ")) }")
    }
    return lines.joined(separator: "\n") + "\n"
}

if options.modes.contains(.nftables) {
    let socket = try NetfilterSocket(options: NFTablesProxier.socketOptions)
    let proxier = NFTablesProxier(socket: socket, configuration: ProxyConfiguration(clusterCIDRs: ["10.128.0.0/9"]), logger: logger)
    let rssBefore = rssMiB()

    started = clock.now
    let cpuBefore = cpuMilliseconds()
    let full = try await proxier.sync(services: services, endpoints: EndpointsMap(endpoints), node: node)
    let fullTime = clock.now - started
    let fullCPU = cpuMilliseconds() - cpuBefore
    let fullBuild = await proxier.lastBuildDuration
    let fullKernel = await proxier.lastKernelDuration
    let rssAfterFull = rssMiB()

    // Partial syncs: one endpoint of one service replaced, a different service each time.
    var partialTimes: [Double] = []
    var buildTimes: [Double] = []
    var kernelTimes: [Double] = []
    var insideTimes: [Double] = []
    var affinityTimes: [Double] = []
    var current = EndpointsMap(endpoints)
    for change in 0..<options.changes {
        let (next, name) = changed(current, change)
        current = next
        started = clock.now
        // Told which service port changed, as the proxy's sync loop is by the change trackers.
        let plan = try await proxier.sync(services: services, endpoints: current, node: node, changed: [name])
        if hasAffinity((change * 7919) % options.services) {
            affinityTimes.append(milliseconds(clock.now - started))
            continue
        }
        partialTimes.append(milliseconds(clock.now - started))
        buildTimes.append(milliseconds(await proxier.lastBuildDuration))
        kernelTimes.append(milliseconds(await proxier.lastKernelDuration))
        insideTimes.append(milliseconds(await proxier.lastSyncDuration))
        precondition(!plan.isFull, "expected a partial sync")
    }
    say(String(format: "full sync         %.0f ms: %.0f ms building, %.0f ms in the kernel; %.0f ms CPU (%@)", milliseconds(fullTime),
                 milliseconds(fullBuild), milliseconds(fullKernel), fullCPU, full.summary))
    say(String(format: "1-endpoint change p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d changes (inside sync p50 %.2f ms: building p50/p99 %.2f/%.2f ms, kernel p50/p99 %.2f/%.2f ms)",
                 percentile(partialTimes, 0.5), percentile(partialTimes, 0.99), partialTimes.max() ?? 0, partialTimes.count,
                 percentile(insideTimes, 0.5), percentile(buildTimes, 0.5), percentile(buildTimes, 0.99),
                 percentile(kernelTimes, 0.5), percentile(kernelTimes, 0.99)))
    // The same without the list of changed ports: every service port compared with what it was built from.
    var scanTimes: [Double] = []
    for change in options.changes..<(options.changes + max(10, options.changes / 4)) where !hasAffinity((change * 7919) % options.services) {
        current = changed(current, change).0
        started = clock.now
        _ = try await proxier.sync(services: services, endpoints: current, node: node)
        scanTimes.append(milliseconds(clock.now - started))
    }
    say(String(format: "  without the changed-port list (comparing every service port): p50 %.2f ms, p99 %.2f ms over %d changes",
               percentile(scanTimes, 0.5), percentile(scanTimes, 0.99), scanTimes.count))
    if !affinityTimes.isEmpty {
        say(String(format: "1-endpoint change of a ClientIP-affinity service p50 %.2f ms, p99 %.2f ms over %d changes (per-endpoint chains)",
                   percentile(affinityTimes, 0.5), percentile(affinityTimes, 0.99), affinityTimes.count))
    }
    let rssEnd = rssMiB()
    // What the proxy itself keeps, without freed batch buffers malloc still holds (glibc's malloc_trim).
    if let trim = dlsym(nil, "malloc_trim") {
        _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
    }
    say(String(format: "RSS               %.0f MiB before, %.0f MiB after the full sync, %.0f MiB at the end, %.0f MiB after malloc_trim",
                 rssBefore, rssAfterFull, rssEnd, rssMiB()))
    // The table's size, built after the RSS figures (the proxier keeps no copy of the rules).
    let model = await proxier.desiredModel(services: services, endpoints: current, node: node)
    say("services          \(options.services) × \(options.endpoints) endpoints (\(model.chains.count) chains, \(model.ruleCount) rules, \(model.elementCount) map elements)")

    if let other = options.compareNamespace {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bench-\(getpid()).nft").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        started = clock.now
        _ = shell("/usr/sbin/nft list table ip swiftlet-proxy > \(file)")
        let listTime = clock.now - started
        // The endpoint maps carry nft's typeof user data, so the listing names their key `numgen random mod
        // 1048576` and loads back as it is.
        started = clock.now
        let childCPUBefore = cpuMilliseconds(children: true)
        let status = shell("/usr/sbin/ip netns exec \(other) /usr/sbin/nft -f \(file)")
        let loadTime = clock.now - started
        let loadCPU = cpuMilliseconds(children: true) - childCPUBefore
        say(String(format: "nft list table    %.0f ms (what a listing sync path would pay)", milliseconds(listTime)))
        say(String(format: "nft -f same table %.0f ms, %.0f ms CPU (exit %d) → ours is %.2f× of nft -f (CPU %.2f×)", milliseconds(loadTime),
                     loadCPU, status, milliseconds(fullTime) / max(milliseconds(loadTime), 0.001), fullCPU / max(loadCPU, 0.001)))
        _ = shell("/usr/sbin/ip netns exec \(other) /usr/sbin/nft flush ruleset")
        if options.upstreamLayout {
            try upstreamLayoutText(services: ports, endpoints: endpoints).write(toFile: file, atomically: true, encoding: .utf8)
            started = clock.now
            let upstreamStatus = shell("/usr/sbin/ip netns exec \(other) /usr/sbin/nft -f \(file)")
            let upstreamTime = clock.now - started
            say(String(format: "nft -f upstream kube-proxy layout (numgen vmap per service) %.0f ms (exit %d) → ours is %.2f× of it",
                       milliseconds(upstreamTime), upstreamStatus, milliseconds(fullTime) / max(milliseconds(upstreamTime), 0.001)))
            _ = shell("/usr/sbin/ip netns exec \(other) /usr/sbin/nft flush ruleset")
        }
    }
    try await proxier.cleanup()
}

if options.modes.contains(.iptables) {
    let proxier = IPTablesProxier(iptables: IPTables(), configuration: ProxyConfiguration(clusterCIDRs: ["10.128.0.0/9"]), logger: logger)
    let rssBefore = rssMiB()
    started = clock.now
    // Only the summary is kept (the plan holds the restore text, 33 MB at 10k; the proxy server drops it too).
    let fullSummary = try await proxier.sync(services: services, endpoints: EndpointsMap(endpoints), node: node).summary
    let fullTime = clock.now - started
    let fullBuild = await proxier.lastBuildDuration
    let fullCommands = await proxier.lastCommandDuration
    let rssAfterFull = rssMiB()
    // The rules as the kernel holds them after the full sync, for the comparison below.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bench-\(getpid()).iptables").path
    defer { try? FileManager.default.removeItem(atPath: file) }
    if options.compareNamespace != nil {
        _ = shell("/usr/sbin/iptables-save > \(file)")
    }
    var partialTimes: [Double] = []
    var commandTimes: [Double] = []
    var iptablesBuildTimes: [Double] = []
    var partialInputs: [[String]] = []
    var current = EndpointsMap(endpoints)
    for change in 0..<options.changes {
        let (next, name) = changed(current, change)
        current = next
        started = clock.now
        // Told which service port changed, as the proxy's sync loop is by the change trackers.
        let plan = try await proxier.sync(services: services, endpoints: current, node: node, changed: [name])
        partialTimes.append(milliseconds(clock.now - started))
        commandTimes.append(milliseconds(await proxier.lastCommandDuration))
        iptablesBuildTimes.append(milliseconds(await proxier.lastBuildDuration))
        precondition(!plan.isFull, "expected a partial sync")
        if options.compareNamespace != nil { partialInputs.append(plan.restoreInputs) }
    }
    let model = await proxier.kernelModel
    say("iptables mode     \(model?.chainCount ?? 0) chains, \(model?.ruleCount ?? 0) rules")
    say(String(format: "full sync         %.0f ms: %.0f ms building, %.0f ms in iptables -V/chain listing/-restore/-C (%@)", milliseconds(fullTime),
                 milliseconds(fullBuild), milliseconds(fullCommands), fullSummary))
    say(String(format: "1-endpoint change p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d changes (building p50/p99 %.2f/%.2f ms, iptables-restore p50/p99 %.2f/%.2f ms)",
                 percentile(partialTimes, 0.5), percentile(partialTimes, 0.99), partialTimes.max() ?? 0, partialTimes.count,
                 percentile(iptablesBuildTimes, 0.5), percentile(iptablesBuildTimes, 0.99),
                 percentile(commandTimes, 0.5), percentile(commandTimes, 0.99)))
    let rssEnd = rssMiB()
    if let trim = dlsym(nil, "malloc_trim") {
        _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
    }
    say(String(format: "RSS               %.0f MiB before, %.0f MiB after the full sync, %.0f MiB at the end, %.0f MiB after malloc_trim",
               rssBefore, rssAfterFull, rssEnd, rssMiB()))
    if let other = options.compareNamespace {
        // Plain iptables-restore (no --noflush: the table is replaced) of the same rules into an empty namespace,
        // then the same one-endpoint changes as `iptables-restore --noflush` of the same text, one process each.
        started = clock.now
        let status = shell("/usr/sbin/ip netns exec \(other) /usr/sbin/iptables-restore < \(file)")
        let loadTime = clock.now - started
        say(String(format: "iptables-restore same rules %.0f ms (exit %d) → ours is %.2f× of iptables-restore", milliseconds(loadTime), status,
                     milliseconds(fullTime) / max(milliseconds(loadTime), 0.001)))
        var peerTimes: [Double] = []
        var failures = 0
        for inputs in partialInputs {
            var elapsed: Duration = .zero
            for input in inputs {
                try input.write(toFile: file, atomically: false, encoding: .utf8)
                started = clock.now
                if shell("/usr/sbin/ip netns exec \(other) /usr/sbin/iptables-restore --noflush < \(file)") != 0 { failures += 1 }
                elapsed += clock.now - started
            }
            peerTimes.append(milliseconds(elapsed))
        }
        if !peerTimes.isEmpty {
            say(String(format: "iptables-restore --noflush of the same changes p50 %.2f ms, p99 %.2f ms (%d failed) → ours is %.2f× at p50",
                       percentile(peerTimes, 0.5), percentile(peerTimes, 0.99), failures,
                       percentile(partialTimes, 0.5) / max(percentile(peerTimes, 0.5), 0.001)))
        }
    }
}
