import Foundation
import LinuxSystem
import Proxy
import TestSupport
import Testing

/// The iptables mode's rules, read back with `iptables-save` (read-only) inside a throwaway namespace.
@Suite(.serialized) struct IPTablesProgrammingTests {
    let node = NodeInfo(name: "node-a", addresses: ["192.168.77.1"])

    func endpoints(_ addresses: [String]) -> [EndpointInfo] {
        addresses.map { EndpointInfo(ip: $0, port: 8080, nodeName: "node-a", isLocal: true) }
    }

    func makeIPTablesProxier(in namespace: NetworkNamespace, clusterCIDRs: [String] = ["10.244.0.0/16"]) -> IPTablesProxier {
        IPTablesProxier(iptables: IPTables(namespace: namespace), configuration: ProxyConfiguration(clusterCIDRs: clusterCIDRs),
                        logger: testLogger())
    }

    /// Upstream's own test fixture: `KUBE-SVC-XPGD46QRK7WJZT7O` is ns1/svc1:p80 over TCP.
    @Test func chainNamesHashLikeUpstream() {
        let name = ServicePortName(namespace: "ns1", name: "svc1", portName: "p80", protocol: .tcp)
        #expect(IPTablesChainName.service(name) == "KUBE-SVC-XPGD46QRK7WJZT7O")
        #expect(IPTablesChainName.external(name) == "KUBE-EXT-XPGD46QRK7WJZT7O")
    }

    /// Upstream's large-cluster mode: past 1,000 endpoints the per-endpoint rules carry no comment (less
    /// restore text at 10k services); below it they do. The kernel takes both (restored for real).
    @Test func largeClusterModeDropsEndpointComments() async throws {
        try await withNamespaces(["swt-ipl"]) { namespaces in
            let proxier = makeIPTablesProxier(in: namespaces[0])
            var ports: [ServicePortInfo] = []
            var map: [ServicePortName: [EndpointInfo]] = [:]
            for index in 0..<101 {
                let service = servicePort("s\(index)", clusterIP: "10.96.\(index / 200).\(index % 200 + 1)",
                                          affinity: index == 0 ? .clientIP(timeoutSeconds: 60) : .none)
                ports.append(service)
                map[service.name] = endpoints((0..<10).map { "10.244.\(index).\($0 + 1)" })
            }
            let large = try await proxier.sync(services: ServicePortMap(ports), endpoints: EndpointsMap(map), node: node)
            #expect(large.isFull)
            let nat = try await iptablesSave(in: namespaces[0], table: "nat")
            let lines = nat.split(separator: "\n")
            let endpointRules = lines.filter { $0.hasPrefix("-A KUBE-SEP-") }
            #expect(endpointRules.count == 2020 && !endpointRules.contains { $0.contains("--comment") })
            #expect(lines.contains { $0.hasPrefix("-A KUBE-SEP-") && $0.contains("-m recent --set --name") })
            #expect(lines.filter { $0.hasPrefix("-A KUBE-SVC-") && $0.contains("-m statistic") }.allSatisfy { !$0.contains("--comment") })
            #expect(lines.contains { $0.hasPrefix("-A KUBE-SERVICES") && $0.contains("cluster IP") })  // shared chains keep theirs

            // Back under the threshold: comments again (the mode switch rebuilds every chain).
            let small = try await proxier.sync(services: ServicePortMap(Array(ports.prefix(50))), endpoints: EndpointsMap(map), node: node)
            #expect(!small.isEmpty)
            let saved = try await iptablesSave(in: namespaces[0], table: "nat")
            let after = saved.components(separatedBy: "\n").filter { $0.starts(with: "-A KUBE-SEP-") }
            #expect(after.count == 1000 && after.allSatisfy { $0.contains("--comment") }, "\(small.summary): \(after.count) rules")
            try await proxier.cleanup()
        }
        #expect(IPTables.restoreTimeout(bytes: 30_000_000) == .seconds(210))
    }

    @Test func programsUpstreamLayout() async throws {
        try await withNamespaces(["swt-ipt"]) { namespaces in
            let ns = namespaces[0]
            let web = ServicePortInfo(name: ServicePortName(namespace: "ns1", name: "svc1", portName: "p80", protocol: .tcp),
                                      clusterIPs: ["10.96.0.10"], port: 80, nodePort: 30080)
            let sticky = servicePort("sticky", clusterIP: "10.96.0.20", affinity: .clientIP(timeoutSeconds: 600))
            let empty = servicePort("empty", clusterIP: "10.96.0.40", nodePort: 30100)
            let proxier = makeIPTablesProxier(in: ns)
            let plan = try await proxier.sync(services: ServicePortMap([web, sticky, empty]),
                                              endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"]),
                                                                       sticky.name: endpoints(["10.244.0.11", "10.244.0.12"])]),
                                              node: node)
            #expect(plan.isFull)
            let nat = flattened(try await iptablesSave(in: ns, table: "nat"))
            let filter = flattened(try await iptablesSave(in: ns, table: "filter"))
            let svc = "KUBE-SVC-XPGD46QRK7WJZT7O"
            for chain in ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", svc, "KUBE-EXT-XPGD46QRK7WJZT7O"] {
                #expect(nat.contains(":\(chain) - [0:0]"), "\(chain) missing")
            }
            // Built-in chains jump into ours.
            #expect(nat.contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"))
            #expect(nat.contains("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"))
            // Dispatch to the cluster IP, masquerade off-cluster sources, random choice 1/3, 1/2, rest.
            #expect(nat.contains("-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp --dport 80 -j \(svc)"))
            #expect(nat.contains("-A \(svc) ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ"))
            #expect(nat.contains("--probability 0.33333333"))
            #expect(nat.contains("--probability 0.50000000"))
            #expect(nat.components(separatedBy: "-A \(svc) ").count - 1 == 4, "masquerade + 3 endpoints")
            #expect(nat.contains("-p tcp -m comment --comment \"ns1/svc1:p80\" -m tcp -j DNAT --to-destination 10.244.0.11:8080"))
            #expect(nat.contains("-A KUBE-NODEPORTS -p tcp -m comment --comment \"ns1/svc1:p80\" -m tcp --dport 30080 -j KUBE-EXT-XPGD46QRK7WJZT7O"))
            #expect(nat.contains("-A KUBE-SERVICES -d 192.168.77.1/32 -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -j KUBE-NODEPORTS"))
            #expect(nat.contains("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"))
            #expect(nat.contains("-j MASQUERADE --random-fully"))
            // Affinity: recent-module checks before the random choice, and the endpoint chain records the client.
            #expect(nat.contains("-m recent --rcheck --seconds 600 --reap --name KUBE-SEP-"))
            #expect(nat.contains("-m recent --set --name KUBE-SEP-"))
            // filter: rejects for the service without endpoints, forwarding of marked traffic.
            #expect(filter.contains("-A KUBE-SERVICES -d 10.96.0.40/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with tcp-reset"))
            #expect(filter.contains("-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport 30100 -j REJECT --reject-with tcp-reset"))
            #expect(filter.contains("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT"))
            #expect(filter.contains("-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"))
            // The restore input carries upstream's probability formatting (iptables-nft prints it rounded differently).
            let model = try #require(await proxier.kernelModel)
            #expect(model[.nat, svc]?.contains { $0.contains("--probability 0.3333333333 -j KUBE-SEP-") } == true)

            // A second full sync (a restarted proxier) finds nothing new to add: the jumps are not duplicated.
            let restarted = makeIPTablesProxier(in: ns)
            try await restarted.sync(services: ServicePortMap([web, sticky, empty]),
                                     endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"]),
                                                              sticky.name: endpoints(["10.244.0.11", "10.244.0.12"])]),
                                     node: node)
            let again = try await iptablesSave(in: ns, table: "nat")
            #expect(again.components(separatedBy: "-A PREROUTING ").count - 1 == 1)
        }
    }

    @Test func oneEndpointChangeWritesOnlyTheAffectedChains() async throws {
        try await withNamespaces(["swt-ipt"]) { namespaces in
            let ns = namespaces[0]
            let web = servicePort("web", clusterIP: "10.96.0.10")
            let other = servicePort("other", clusterIP: "10.96.0.11")
            let services = ServicePortMap([web, other])
            let proxier = makeIPTablesProxier(in: ns)
            try await proxier.sync(services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"]),
                                                                              other.name: endpoints(["10.244.0.21"])]), node: node)
            let unchanged = try await proxier.sync(services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"]),
                                                                                               other.name: endpoints(["10.244.0.21"])]), node: node)
            #expect(!unchanged.isFull && unchanged.isEmpty, "\(unchanged.summary)")

            // 10.244.0.12 is replaced by 10.244.0.13.
            let changed = try await proxier.sync(services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.13"]),
                                                                                             other.name: endpoints(["10.244.0.21"])]), node: node)
            let model = try #require(await proxier.kernelModel)
            let svc = try #require(model.chains[.nat]?.keys.first { $0.hasPrefix("KUBE-SVC-") && model[.nat, $0]!.joined().contains("10.96.0.10") })
            let sep = { (ip: String) in model.chains[.nat]?.first { $0.key.hasPrefix("KUBE-SEP-") && $0.value.joined().contains("\(ip):8080") }?.key }
            let newSep = try #require(sep("10.244.0.13"))
            #expect(!changed.isFull)
            #expect(changed.writtenChains == [.nat: [svc, newSep].sorted()], "\(changed.writtenChains)")
            #expect(changed.deletedChains.count == 1 && changed.deletedChains[.nat]?.count == 1, "\(changed.deletedChains)")
            #expect(sep("10.244.0.12") == nil)
            let deleted = try #require(changed.deletedChains[.nat]?.first)
            let nat = try await iptablesSave(in: ns, table: "nat")
            #expect(!nat.contains(deleted))
            #expect(nat.contains(":\(newSep) "))
            #expect(nat.contains("--to-destination 10.244.0.13:8080"))
            #expect(!nat.contains("10.244.0.12"))

            let firstSep = try #require(sep("10.244.0.11"))

            // The service goes: its chains are deleted, KUBE-SERVICES rewritten.
            let gone = try await proxier.sync(services: ServicePortMap([other]), endpoints: EndpointsMap([other.name: endpoints(["10.244.0.21"])]),
                                              node: node)
            #expect(gone.writtenChains == [.nat: ["KUBE-SERVICES"]], "\(gone.writtenChains)")
            #expect(Set(gone.deletedChains[.nat] ?? []) == Set([svc, newSep, firstSep]))
            #expect(!(try await iptablesSave(in: ns, table: "nat")).contains("10.96.0.10"))
            #expect(await proxier.fullSyncCount == 1)
        }
    }

    /// Told which service ports changed, a partial sync rebuilds and writes those alone: the restore input
    /// names only their chains (the shared chains only when their lines there change), and a change not
    /// reported stays out until it is. A list that misses an added port falls back to comparing them all.
    @Test func changedPortListLimitsThePartialSyncToThosePorts() async throws {
        try await withNamespaces(["swt-ipc"]) { namespaces in
            let ns = namespaces[0]
            let proxier = makeIPTablesProxier(in: ns)
            let start = ThreeServicePorts(web: servicePort("web", clusterIP: "10.96.0.10"))
            let (web, api, db, services) = (start.web, start.api, start.db, start.services)
            var map = start.endpoints
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: []).isFull)
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: []).isEmpty)
            /// The chains a restore input declares.
            func declared(_ plan: IPTablesSyncPlan) -> Set<String> {
                Set(plan.restoreInput.split(separator: "\n").filter { $0.hasPrefix(":") }.map { String($0.dropFirst().prefix { $0 != " " }) })
            }

            // web and db each get an endpoint; only web is reported.
            map.update(web.name, endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"]))
            map.update(db.name, endpoints(["10.244.0.31", "10.244.0.32", "10.244.0.33"]))
            let plan = try await proxier.sync(services: services, endpoints: map, node: node, changed: [web.name])
            let webChains = [IPTablesChainName.service(web.name), IPTablesChainName.endpoint(web.name, endpoints(["10.244.0.13"])[0])]
            #expect(!plan.isFull)
            #expect(plan.writtenChains == [.nat: webChains.sorted()] && plan.deletedChains.isEmpty, "\(plan.summary)")
            #expect(declared(plan) == Set(webChains), "\(plan.restoreInput)")
            #expect(!plan.restoreInput.contains("10.244.0.33") && !plan.restoreInput.contains("KUBE-SERVICES"), "\(plan.restoreInput)")
            var nat = try await iptablesSave(in: ns, table: "nat")
            #expect(nat.contains("--to-destination 10.244.0.13:8080") && !nat.contains("10.244.0.33"))

            // Reported now: db's chains are written, web's stay as they are.
            let later = try await proxier.sync(services: services, endpoints: map, node: node, changed: [db.name])
            #expect(declared(later) == [IPTablesChainName.service(db.name), IPTablesChainName.endpoint(db.name, endpoints(["10.244.0.33"])[0])],
                    "\(later.restoreInput)")
            #expect(try await iptablesSave(in: ns, table: "nat").contains("--to-destination 10.244.0.33:8080"))
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: [web.name, api.name, db.name]).isEmpty)

            // api loses its endpoints: its lines in the shared chains change (a reject in filter instead of a jump in nat).
            map.update(api.name, [])
            let drained = try await proxier.sync(services: services, endpoints: map, node: node, changed: [api.name])
            #expect(drained.writtenChains == [.nat: ["KUBE-SERVICES"], .filter: ["KUBE-SERVICES"]], "\(drained.summary)")
            #expect(drained.deletedChains[.nat]?.count == 3, "\(drained.summary)")  // KUBE-SVC- and two KUBE-SEP-
            let filter = try await iptablesSave(in: ns, table: "filter")
            #expect(filter.contains("-d 10.96.0.20/32 -p tcp -m comment --comment \"default/api:http has no endpoints\""), "\(filter)")

            // Removed and reported: only KUBE-SERVICES is rewritten (api has no chains of its own left).
            let removed = try await proxier.sync(services: ServicePortMap([web, db]), endpoints: map, node: node, changed: [api.name])
            #expect(removed.writtenChains == [.filter: ["KUBE-SERVICES"]] && removed.deletedChains.isEmpty, "\(removed.summary)")

            // Added back with endpoints but not reported: the counts disagree, so every port is compared.
            map.update(api.name, endpoints(["10.244.0.21"]))
            let added = try await proxier.sync(services: services, endpoints: map, node: node, changed: [])
            #expect(!added.isFull && added.writtenChains[.nat]?.contains(IPTablesChainName.service(api.name)) == true, "\(added.summary)")
            nat = try await iptablesSave(in: ns, table: "nat")
            #expect(nat.contains("-d 10.96.0.20/32") && nat.contains("--to-destination 10.244.0.21:8080"))
            #expect(await proxier.fullSyncCount == 1)
            try await proxier.cleanup()
        }
    }

    @Test func failedRestoreKeepsThePreviousRulesAndSaysWhy() async throws {
        try await withNamespaces(["swt-ipt"]) { namespaces in
            let ns = namespaces[0]
            let web = servicePort("web", clusterIP: "10.96.0.10")
            let map = EndpointsMap([web.name: endpoints(["10.244.0.11"])])
            try await makeIPTablesProxier(in: ns).sync(services: ServicePortMap([web]), endpoints: map, node: node)
            let before = try await iptablesSave(in: ns, table: "nat")

            // A cluster CIDR iptables cannot parse makes the restore fail as a whole.
            let broken = makeIPTablesProxier(in: ns, clusterCIDRs: ["10.244.0.0/99"])
            let other = servicePort("other", clusterIP: "10.96.0.11")
            await #expect {
                try await broken.sync(services: ServicePortMap([web, other]), endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11"]),
                                                                                                      other.name: endpoints(["10.244.0.12"])]),
                                      node: node)
            } throws: { error in
                guard let error = error as? ProxyError, error.code == .command, let cause = error.cause as? IPTablesCommandError else { return false }
                return cause.command == "iptables-restore" && !cause.stderr.isEmpty
            }
            #expect(await broken.failureCount == 1)
            let after = try await iptablesSave(in: ns, table: "nat")
            #expect(flattened(after.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n"))
                    == flattened(before.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")))
            #expect(!after.contains("10.96.0.11"))
        }
    }
}

extension IPTablesProgrammingTests {
    /// What the nftables mode runs at start when the iptables mode was there before: every jump and chain goes.
    @Test func cleanupRemovesEverythingTheModeWrote() async throws {
        try await withNamespaces(["swt-ipt"]) { namespaces in
            let ns = namespaces[0]
            let web = servicePort("web", clusterIP: "10.96.0.10", nodePort: 30080)
            let proxier = makeIPTablesProxier(in: ns)
            try await proxier.sync(services: ServicePortMap([web]), endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11"])]), node: node)
            #expect(try await iptablesSave(in: ns, table: "nat").contains("KUBE-"))
            try await proxier.cleanup()
            for table in ["nat", "filter"] {
                let saved = try await iptablesSave(in: ns, table: table)
                #expect(!saved.contains("KUBE-"), "\(saved)")
            }
            try await proxier.cleanup()  // nothing left: fine
            // And it comes back with a full sync.
            #expect(try await proxier.sync(services: ServicePortMap([web]), endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11"])]),
                                           node: node).isFull)
        }
    }
}

extension IPTablesProgrammingTests {
    /// The chains and their rules as `iptables-save` prints them, by chain (iptables-nft lists chains in its
    /// own order, which differs with the order they were created in).
    func savedChains(in namespace: NetworkNamespace, table: String) async throws -> [String: [String]] {
        var chains: [String: [String]] = [:]
        for line in try await iptablesSave(in: namespace, table: table).split(separator: "\n") {
            if line.hasPrefix(":") {
                chains[String(line.dropFirst().prefix { $0 != " " }), default: []] += []
            } else if line.hasPrefix("-A ") {
                let chain = String(line.dropFirst(3).prefix { $0 != " " })
                chains[chain, default: []].append(String(line))
            }
        }
        return chains
    }

    /// Whether every jump in `plan`'s inputs goes to a chain the plan declares in that input or an earlier one
    /// (or one it does not write at all, which is in the kernel already).
    func jumpsLandOnWrittenChains(_ plan: IPTablesSyncPlan) -> Bool {
        var declaredIn: [String: Int] = [:]
        for (index, input) in plan.restoreInputs.enumerated() {
            for line in input.split(separator: "\n") where line.hasPrefix(":") {
                let chain = String(line.dropFirst().prefix { $0 != " " })
                if declaredIn[chain] == nil { declaredIn[chain] = index }
            }
        }
        for (index, input) in plan.restoreInputs.enumerated() {
            for line in input.split(separator: "\n") where line.hasPrefix("-A ") {
                guard let range = line.range(of: " -j KUBE-") else { continue }
                let target = String(line[line.index(range.lowerBound, offsetBy: 4)...].prefix { $0 != " " })
                if let declared = declaredIn[target], declared > index { return false }
            }
        }
        return true
    }

    /// iptables-nft takes time quadratic in the chains one `--noflush` input names, so a plan bigger than the
    /// limit goes in several inputs, leaves first (every jump lands on a chain written in the same input or an
    /// earlier one), and stale chains are flushed, then deleted, also in pieces. The kernel ends up with what
    /// one input writes (a proxier with the default limit in a second namespace), restored for real.
    @Test func bigPlansGoInSeveralConsistentRestores() async throws {
        try await withNamespaces(["swt-ipb", "swt-ipw"]) { namespaces in
            let cut = IPTablesProxier(iptables: IPTables(namespace: namespaces[0]), configuration: ProxyConfiguration(clusterCIDRs: ["10.244.0.0/16"]),
                                      restoreLimit: IPTablesSyncPlan.RestoreLimit(lines: 40), logger: testLogger())
            let whole = makeIPTablesProxier(in: namespaces[1])
            var ports: [ServicePortInfo] = []
            var map: [ServicePortName: [EndpointInfo]] = [:]
            for index in 0..<30 {
                let service = servicePort("s\(index)", clusterIP: "10.96.1.\(index + 1)", nodePort: index % 3 == 0 ? UInt16(30000 + index) : nil,
                                          affinity: index % 5 == 0 ? .clientIP(timeoutSeconds: 60) : .none,
                                          externalPolicy: index % 6 == 0 ? .local : .cluster)
                ports.append(service)
                map[service.name] = endpoints((0..<3).map { "10.244.\(index).\($0 + 1)" })
            }

            let full = try await cut.sync(services: ServicePortMap(ports), endpoints: EndpointsMap(map), node: node)
            let reference = try await whole.sync(services: ServicePortMap(ports), endpoints: EndpointsMap(map), node: node)
            #expect(full.isFull && full.restoreInputs.count > 5, "\(full.summary)")
            #expect(reference.restoreInputs.count == 1, "\(reference.summary)")
            #expect(full.restoreInputs.allSatisfy { input in
                input.split(separator: "\n").count <= 40 + 2 || input.components(separatedBy: "\n:").count == 2  // one big chain alone
            })
            #expect(jumpsLandOnWrittenChains(full))
            for table in ["nat", "filter"] {
                let got = try await savedChains(in: namespaces[0], table: table)
                let want = try await savedChains(in: namespaces[1], table: table)
                #expect(got == want, "\(table) differs")
            }
            #expect((try await savedChains(in: namespaces[0], table: "nat")).keys.filter { $0.hasPrefix("KUBE-SEP-") }.count == 90)

            // Twenty services go: their chains (more than the limit) are flushed in pieces, then deleted.
            let fewer = Array(ports.prefix(10))
            let partial = try await cut.sync(services: ServicePortMap(fewer), endpoints: EndpointsMap(map), node: node)
            try await whole.sync(services: ServicePortMap(fewer), endpoints: EndpointsMap(map), node: node)
            let deleted = partial.deletedChains[.nat] ?? []
            #expect(!partial.isFull && deleted.count > 40 && partial.restoreInputs.count > 2, "\(partial.summary)")
            #expect(jumpsLandOnWrittenChains(partial))
            for table in ["nat", "filter"] {
                let got = try await savedChains(in: namespaces[0], table: table)
                #expect(got == (try await savedChains(in: namespaces[1], table: table)), "\(table) differs")
                #expect(deleted.allSatisfy { got[$0] == nil })
            }
            try await cut.cleanup()
            #expect(!(try await iptablesSave(in: namespaces[0], table: "nat")).contains("KUBE-"))
        }
    }
}
