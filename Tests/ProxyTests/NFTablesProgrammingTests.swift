import Foundation
import LinuxSystem
import NFTables
import Proxy
import TestSupport
import Testing

/// The proxier's table compared with `nft list table` in a throwaway namespace, and what incremental
/// syncs send.
@Suite(.serialized) struct NFTablesProgrammingTests {
    let node = NodeInfo(name: "node-a", addresses: ["192.168.77.1"])

    func endpoints(_ ips: [String], port: UInt16 = 8080) -> [EndpointInfo] {
        ips.map { EndpointInfo(ip: $0, port: port, nodeName: "node-a", isLocal: true) }
    }

    var web: ServicePortInfo { servicePort("web", clusterIP: "10.96.0.10", nodePort: 30080) }
    var empty: ServicePortInfo { servicePort("empty", clusterIP: "10.96.0.11") }

    @Test func fullSyncProgramsUpstreamLayout() async throws {
        try await withNamespaces(["swt-pxp", "swt-pxr"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let services = ServicePortMap([web, empty, servicePort("sticky", clusterIP: "10.96.0.12", affinity: .clientIP(timeoutSeconds: 60))])
            let map = EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"]),
                                    ServicePortName(namespace: "default", name: "sticky", portName: "http", protocol: .tcp): endpoints(["10.244.0.13"])])
            let plan = try await proxier.sync(services: services, endpoints: map, node: node)
            #expect(plan.isFull)
            let text = try await nftListTable("swiftlet-proxy", in: ns)
            let flat = flattened(text)
            for fragment in [
                "table ip swiftlet-proxy {",
                "type ipv4_addr . inet_proto . inet_service : verdict",
                "10.96.0.10 . tcp . 80 : goto service-",
                "10.96.0.11 . tcp . 80 : goto reject-chain",
                "tcp . 30080 : goto external-",
                "elements = { 192.168.77.1 }",
                "chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services }",
                "chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; jump masquerading }",
                "ip daddr . meta l4proto . th dport vmap @service-ips",
                "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports",
                "ct state new jump service-endpoints-check",
                "ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
                // web (third in name order: its cluster dispatch is number 4 of the map, 4 << 21) picks an
                // endpoint with one rule from the ranges of a shared map, half of 2^20 numbers each; nft names
                // the map's key by its expression (the typeof user data nft writes).
                "meta l4proto tcp dnat ip to numgen random mod 1048576 offset 8388608 map @service-endpoints-0",
                "typeof numgen random mod 1048576 : ip daddr . th dport",
                "8388608-8912895 : 10.244.0.11 . 8080",
                "8912896-9437183 : 10.244.0.12 . 8080",
                "ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade",
                "10.244.0.11 . 10.244.0.11",
                // sticky (ClientIP affinity): upstream's per-endpoint chains.
                "goto endpoint-",
                "ip saddr 10.244.0.13 jump mark-for-masquerade",
                "meta l4proto tcp dnat to 10.244.0.13:8080",
                "masquerade fully-random",
                "reject with tcp reset",
                "flags dynamic,timeout timeout 1m",
                "ip saddr @affinity-",
                "update @affinity-",
            ] {
                #expect(flat.contains(fragment), "missing \(fragment) in\n\(text)")
            }
            #expect(text.contains("chain service-") && text.contains("-default/web/tcp/http {"))
            #expect(!text.contains("-default/web/tcp/http__10.244.0.12/8080 {"))
            #expect(text.contains("-default/sticky/tcp/http__10.244.0.13/8080 {"))
            // What nft lists loads back with `nft -f` (elsewhere) and lists the same.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("proxy-table") + ".nft").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            try await nft(["-f", file], in: namespaces[1])
            #expect(try await nftListTable("swiftlet-proxy", in: namespaces[1]) == text)
            try await proxier.cleanup()
        }
    }

    @Test func incrementalChangesTouchOnlyWhatChanged() async throws {
        try await withNamespaces(["swt-pxi"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let services = ServicePortMap([web, empty])
            _ = try await proxier.sync(services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"])]),
                                       node: node)

            // Nothing changed: nothing is sent.
            let idle = try await proxier.sync(services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"])]),
                                              node: node)
            #expect(!idle.isFull)
            #expect(idle.isEmpty)

            // One endpoint more: only elements of maps without verdicts (the endpoint map's ranges, the
            // hairpin pair), no chain or rule touched.
            let grown = try await proxier.sync(
                services: services, endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"])]),
                node: node)
            #expect(!grown.isFull)
            #expect(grown.addedChains.isEmpty && grown.rewrittenChains.isEmpty && grown.flushedChains.isEmpty, "\(grown.summary)")
            #expect(Set(grown.addedElements.keys) == ["service-endpoints-0", "hairpin-endpoints"], "\(grown.summary)")
            #expect(grown.deletedElements.keys.sorted() == ["service-endpoints-0"])
            let grownText = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            // web is second in name order: its cluster dispatch is number 2 (keys from 2 << 21 = 4194304).
            for fragment in ["4194304-4543828 : 10.244.0.11 . 8080", "4543829-4893353 : 10.244.0.12 . 8080",
                             "4893354-5242879 : 10.244.0.13 . 8080", "10.244.0.13 . 10.244.0.13"] {
                #expect(grownText.contains(fragment), "missing \(fragment) in\n\(grownText)")
            }

            // The empty service gets an endpoint: its reject element goes, a service-ips element comes.
            let filled = try await proxier.sync(
                services: services,
                endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"]),
                                         empty.name: endpoints(["10.244.0.14"])]),
                node: node)
            #expect(filled.deletedElements.keys.sorted() == ["no-endpoint-services"])
            #expect(filled.addedElements.keys.sorted() == ["hairpin-endpoints", "service-endpoints-0", "service-ips"])
            #expect(filled.addedElements["service-ips"]?.count == 1)
            #expect(filled.addedChains.count == 1)  // service-… of "empty"

            // Endpoint removed: its range goes to the others, its hairpin pair is deleted.
            let shrunk = try await proxier.sync(
                services: services,
                endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"]), empty.name: endpoints(["10.244.0.14"])]),
                node: node)
            #expect(shrunk.addedChains.isEmpty && shrunk.rewrittenChains.isEmpty && shrunk.flushedChains.isEmpty, "\(shrunk.summary)")
            #expect(shrunk.deletedElements["hairpin-endpoints"]?.count == 1)
            let shrunkText = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            #expect(shrunkText.contains("4718592-5242879 : 10.244.0.12 . 8080") && !shrunkText.contains("10.244.0.13"), "\(shrunkText)")

            // Service removed: its chain is flushed now and deleted by a sync at least a second later.
            let smaller = ServicePortMap([web])
            let webOnly = EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"])])
            let removed = try await proxier.sync(services: smaller, endpoints: webOnly, node: node)
            #expect(removed.flushedChains.count == 1 && removed.deletedChains.isEmpty)
            let staleName = removed.flushedChains[0]
            #expect(try await nftListTable("swiftlet-proxy", in: ns).contains(staleName))
            try await Task.sleep(for: .milliseconds(1100))
            let later = try await proxier.sync(services: smaller, endpoints: webOnly, node: node)
            #expect(later.deletedChains == [staleName])
            // Deleting an emptied chain changes no traffic: such a sync does not count against the rate limit.
            #expect(!later.isEmpty && !later.changesTraffic && removed.changesTraffic && shrunk.changesTraffic)
            #expect(!(try await nftListTable("swiftlet-proxy", in: ns).contains(staleName)))
            #expect(await proxier.fullSyncCount == 1)
            try await proxier.cleanup()
        }
    }

    /// Told which service ports changed (as the change trackers report them), a partial sync looks at those
    /// alone: a change to one service sends only that service's elements, never another's chain or element
    /// — shown by a second service changed at the same time but not reported, which that sync leaves alone.
    /// A port added or removed without being reported is still found (the counts disagree: all compared).
    @Test func changedPortListLimitsThePartialSyncToThosePorts() async throws {
        try await withNamespaces(["swt-pxc"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let start = ThreeServicePorts(web: web)
            let (web, api, db, services) = (start.web, start.api, start.db, start.services)
            var map = start.endpoints
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: []).isFull)
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: []).isEmpty)

            // web and db each get an endpoint; only web is reported.
            map.update(web.name, endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"]))
            map.update(db.name, endpoints(["10.244.0.31", "10.244.0.32", "10.244.0.33"]))
            let plan = try await proxier.sync(services: services, endpoints: map, node: node, changed: [web.name])
            #expect(!plan.isFull)
            #expect(plan.addedChains.isEmpty && plan.rewrittenChains.isEmpty && plan.flushedChains.isEmpty, "\(plan.summary)")
            #expect(Set(plan.addedElements.keys) == ["service-endpoints-0", "hairpin-endpoints"], "\(plan.summary)")
            #expect(Set(plan.deletedElements.keys) == ["service-endpoints-0"], "\(plan.summary)")
            // Every endpoint-map element sent (deleted or added) points at one of web's endpoints.
            let sent = (Array(plan.addedElements.values.joined()) + Array(plan.deletedElements.values.joined())).filter { !$0.isIntervalEnd }
            let targets = Set(sent.compactMap { element -> String? in
                guard case .value(let value)? = element.data else { return nil }
                return value.bytes.prefix(4).map(String.init).joined(separator: ".")
            })
            #expect(targets == ["10.244.0.11", "10.244.0.12", "10.244.0.13"], "\(targets)")
            #expect(plan.addedElements["hairpin-endpoints"]?.count == 1)
            var text = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            #expect(text.contains(": 10.244.0.13 . 8080") && !text.contains("10.244.0.33"), "\(text)")

            // Reported now: db's endpoint goes in, web's elements stay as they are.
            let later = try await proxier.sync(services: services, endpoints: map, node: node, changed: [db.name])
            #expect(later.addedElements["hairpin-endpoints"]?.count == 1, "\(later.summary)")
            text = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            #expect(text.contains(": 10.244.0.33 . 8080"), "\(text)")
            #expect(try await proxier.sync(services: services, endpoints: map, node: node, changed: [web.name, api.name, db.name]).isEmpty)

            // Removed and reported: api's chain is flushed, the others untouched.
            let removed = try await proxier.sync(services: ServicePortMap([web, db]), endpoints: map, node: node, changed: [api.name])
            #expect(removed.flushedChains.count == 1 && removed.flushedChains[0].hasSuffix("default/api/tcp/http"), "\(removed.summary)")
            #expect(removed.addedChains.isEmpty && removed.rewrittenChains.isEmpty && removed.addedElements.isEmpty, "\(removed.summary)")

            // Added but not reported: the counts disagree, so every port is compared and api comes back.
            let added = try await proxier.sync(services: services, endpoints: map, node: node, changed: [])
            #expect(!added.isFull && added.addedElements["service-ips"]?.count == 1, "\(added.summary)")
            #expect(flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("10.96.0.20 . tcp . 80 : goto service-"))
            #expect(await proxier.fullSyncCount == 1)
            try await proxier.cleanup()
        }
    }

    /// An endpoint address behind two service ports keeps its hairpin pair until neither uses it.
    @Test func sharedHairpinPairStaysWhileAnyServiceUsesIt() async throws {
        try await withNamespaces(["swt-pxh"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let both = EndpointsMap([web.name: endpoints(["10.244.0.11"]), empty.name: endpoints(["10.244.0.11"])])
            _ = try await proxier.sync(services: ServicePortMap([web, empty]), endpoints: both, node: node)
            let one = try await proxier.sync(services: ServicePortMap([web, empty]),
                                             endpoints: EndpointsMap([web.name: endpoints(["10.244.0.11"])]), node: node)
            #expect(one.deletedElements["hairpin-endpoints"] == nil, "\(one.summary)")
            #expect(flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("10.244.0.11 . 10.244.0.11"))
            let none = try await proxier.sync(services: ServicePortMap([web, empty]), endpoints: EndpointsMap([:]), node: node)
            #expect(none.deletedElements["hairpin-endpoints"]?.count == 1, "\(none.summary)")
            #expect(!flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("10.244.0.11 . 10.244.0.11"))
            try await proxier.cleanup()
        }
    }

    /// ClientIP affinity: one dynamic set per endpoint, created with the endpoint, redefined (deleted and
    /// created again, with the chains referring to it rewritten) when the timeout changes, deleted with the endpoint.
    @Test func affinitySetsFollowEndpointsAndTimeout() async throws {
        try await withNamespaces(["swt-pxa"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            var sticky = servicePort("sticky", clusterIP: "10.96.0.12", affinity: .clientIP(timeoutSeconds: 60))
            let two = EndpointsMap([sticky.name: endpoints(["10.244.0.11", "10.244.0.12"])])
            let full = try await proxier.sync(services: ServicePortMap([sticky]), endpoints: two, node: node)
            #expect(full.addedSets.filter { $0.hasPrefix("affinity-") }.count == 2)
            #expect(flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("flags dynamic,timeout timeout 1m"))

            sticky.sessionAffinity = .clientIP(timeoutSeconds: 120)
            let retimed = try await proxier.sync(services: ServicePortMap([sticky]), endpoints: two, node: node)
            #expect(!retimed.isFull)
            #expect(retimed.deletedSets.count == 2 && Set(retimed.addedSets) == Set(retimed.deletedSets))
            #expect(retimed.rewrittenChains.count == 3)  // the service chain and both endpoint chains
            let text = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            #expect(text.contains("timeout 2m") && !text.contains("timeout 1m"), "\(text)")

            let one = EndpointsMap([sticky.name: endpoints(["10.244.0.11"])])
            let shrunk = try await proxier.sync(services: ServicePortMap([sticky]), endpoints: one, node: node)
            #expect(shrunk.deletedSets.count == 1 && shrunk.deletedSets[0].hasSuffix("__10.244.0.12/8080"))
            let after = try await nftListTable("swiftlet-proxy", in: ns)
            #expect(after.split(separator: "\n").filter { $0.contains("set affinity-") }.count == 1, "\(after)")
            #expect(await proxier.fullSyncCount == 1)
            try await proxier.cleanup()
        }
    }

    @Test func outsideChangeTriggersFullResync() async throws {
        try await withNamespaces(["swt-pxg"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let services = ServicePortMap([web])
            let map = EndpointsMap([web.name: endpoints(["10.244.0.11"])])
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isFull)
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)

            // Someone adds a rule to our table: the generation moves, the next sync rewrites the table.
            try await nft(["add", "rule", "ip", "swiftlet-proxy", "services", "counter", "comment", "\"intruder\""], in: ns)
            #expect(try await nftListTable("swiftlet-proxy", in: ns).contains("intruder"))
            let resync = try await proxier.sync(services: services, endpoints: map, node: node)
            #expect(resync.isFull)
            #expect(!(try await nftListTable("swiftlet-proxy", in: ns).contains("intruder")))
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)
            #expect(await proxier.fullSyncCount == 2)
            try await proxier.cleanup()
        }
    }

    /// Commits to other tables (as a CNI plugin's masquerade and portmap tables make, through their own
    /// netlink socket or `nft`) move the ruleset generation but leave our table alone: syncs stay partial.
    /// Flushing or deleting our table still forces a full resync, which puts everything back.
    @Test func onlyChangesToOwnTableForceFullResync() async throws {
        try await withNamespaces(["swt-pxo"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let services = ServicePortMap([web, empty])
            var map = EndpointsMap([web.name: endpoints(["10.244.0.11"])])
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isFull)

            // Another program's table, through our library (another socket) and through nft.
            let other = Table("cni-test", family: .ip)
            let otherSocket = try ns.run { try NetfilterSocket() }
            var tx = Transaction()
            tx.add(other)
            tx.add(Chain("postrouting", in: other, hook: .init(.nat, .postrouting, priority: Chain.Priority.srcnat)))
            tx.add(Rule(in: Chain("postrouting", in: other), [.masquerade([])]))
            try otherSocket.commit(tx)
            try await nft(["add", "rule", "ip", "cni-test", "postrouting", "counter"], in: ns)
            try await nft(["add", "table", "ip6", "swiftlet-proxy"], in: ns)  // same name, other family
            map = EndpointsMap([web.name: endpoints(["10.244.0.11", "10.244.0.12"])])
            let grown = try await proxier.sync(services: services, endpoints: map, node: node)
            #expect(!grown.isFull && !grown.isEmpty, "\(grown.summary)")
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)

            // Our own commits in between do not count either.
            map = EndpointsMap([web.name: endpoints(["10.244.0.12"])])
            #expect(!(try await proxier.sync(services: services, endpoints: map, node: node).isFull))
            try await nft(["delete", "table", "ip", "cni-test"], in: ns)
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)

            // `nft flush table` (rules gone, chains and maps kept): full resync, rules back.
            try await nft(["flush", "table", "ip", "swiftlet-proxy"], in: ns)
            #expect(!flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("vmap @service-ips"))
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isFull)
            #expect(flattened(try await nftListTable("swiftlet-proxy", in: ns)).contains("vmap @service-ips"))
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)

            // The table deleted: full resync recreates it.
            try await nft(["delete", "table", "ip", "swiftlet-proxy"], in: ns)
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isFull)
            let text = flattened(try await nftListTable("swiftlet-proxy", in: ns))
            #expect(text.contains("10.96.0.10 . tcp . 80 : goto service-") && text.contains(": 10.244.0.12 . 8080"), "\(text)")
            #expect(try await proxier.sync(services: services, endpoints: map, node: node).isEmpty)
            #expect(await proxier.fullSyncCount == 3)
            try await proxier.cleanup()
        }
    }

    /// A full resync rewrites the table in place: chains of removed endpoints and services go, the affinity
    /// sets of endpoints that remain keep their entries, those of removed endpoints go.
    @Test func fullResyncKeepsAffinityEntriesOfRemainingEndpoints() async throws {
        try await withNamespaces(["swt-pxk"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let sticky = servicePort("sticky", clusterIP: "10.96.0.12", affinity: .clientIP(timeoutSeconds: 600))
            let three = EndpointsMap([sticky.name: endpoints(["10.244.0.11", "10.244.0.12", "10.244.0.13"])])
            _ = try await proxier.sync(services: ServicePortMap([sticky, web]), endpoints: three, node: node)
            // Entries as the packet path would add them.
            let reader = try ns.run { try NetfilterSocket() }
            let names = try reader.sets(in: Table("swiftlet-proxy", family: .ip)).map(\.name).filter { $0.hasPrefix("affinity-") }
            let keep = try #require(names.first { $0.hasSuffix("__10.244.0.11/8080") })
            let gone = try #require(names.first { $0.hasSuffix("__10.244.0.13/8080") })
            try await nft(["add", "element", "ip", "swiftlet-proxy", keep, "{ 192.168.1.5 }"], in: ns)
            try await nft(["add", "element", "ip", "swiftlet-proxy", gone, "{ 192.168.1.6 }"], in: ns)

            await proxier.requestFullSync()
            let two = EndpointsMap([sticky.name: endpoints(["10.244.0.11", "10.244.0.12"])])
            let plan = try await proxier.sync(services: ServicePortMap([sticky]), endpoints: two, node: node)
            #expect(plan.isFull)
            #expect(plan.deletedSets == [gone], "\(plan.summary)")
            #expect(plan.addedSets.isEmpty && plan.addedChains.isEmpty, "\(plan.summary)")
            let text = try await nftListTable("swiftlet-proxy", in: ns)
            #expect(text.contains("192.168.1.5") && !text.contains("192.168.1.6"), "\(text)")
            #expect(!text.contains("__10.244.0.13/8080") && !text.contains("default/web/"), "\(text)")
            #expect(flattened(text).contains("numgen random mod 2 0 goto endpoint-"))
            #expect(try await proxier.sync(services: ServicePortMap([sticky]), endpoints: two, node: node).isEmpty)

            // A new proxier (a restart) finds the table and keeps the entries too.
            let restarted = try makeProxier(in: ns)
            #expect(try await restarted.sync(services: ServicePortMap([sticky]), endpoints: two, node: node).isFull)
            #expect(try await nftListTable("swiftlet-proxy", in: ns).contains("192.168.1.5"))
            try await restarted.cleanup()
        }
    }

    @Test func failedTransactionKeepsPreviousRulesAndNextSyncIsFull() async throws {
        try await withNamespaces(["swt-pxf"]) { namespaces in
            let ns = namespaces[0]
            let proxier = try makeProxier(in: ns)
            let good = ServicePortMap([web])
            let map = EndpointsMap([web.name: endpoints(["10.244.0.11"])])
            _ = try await proxier.sync(services: good, endpoints: map, node: node)
            let before = try await nftListTable("swiftlet-proxy", in: ns)

            // A loadBalancerSourceRange the kernel accepts but a chain name it refuses (over 256 bytes) makes
            // the whole transaction fail.
            let longName = String(repeating: "x", count: 250)
            var bad = servicePort(longName, clusterIP: "10.96.0.99")
            bad.name.namespace = "default"
            let badMap = EndpointsMap([web.name: endpoints(["10.244.0.11"]), bad.name: endpoints(["10.244.0.20"])])
            await #expect(throws: ProxyError.self) {
                try await proxier.sync(services: ServicePortMap([web, bad]), endpoints: badMap, node: node)
            }
            #expect(try await nftListTable("swiftlet-proxy", in: ns) == before)
            #expect(await proxier.failureCount == 1)
            let recovered = try await proxier.sync(services: good, endpoints: map, node: node)
            #expect(recovered.isFull)
            try await proxier.cleanup()
        }
    }
}
