import Glibc
import LinuxSystem
import Netlink
import Testing
import TestSupport

/// ``DetachedLinkDeletion`` returns once the kernel has unregistered both ends of a veth pair, and
/// passes the kernel's refusal on, whether a child process or a thread asks the kernel; ``LinkWatch``
/// reports unregistrations. Each test works in throwaway namespaces: a "host" with the veth's host end
/// and a "pod" with `eth0`. (The child's work is system calls only, so forking this multi-threaded test
/// process is safe.)
@Suite("Detached link deletion (integration, in throwaway namespaces)")
struct DetachedLinkDeletionTests {
    static let askers: [DetachedLinkDeletion.Asker] = [.childProcess, .thread]

    @Test(arguments: askers)
    func returnsWithBothEndsGone(asker: DetachedLinkDeletion.Asker) throws {
        try withPair { host, pod, eth0 in
            try deleteAndExpectBothEndsGone(eth0, host: host, pod: pod, watch: try host.run { try LinkWatch() }, asker: asker)
        }
    }

    @Test(arguments: askers)
    func withoutTheAnnouncementTheKernelsAnswerEndsTheWait(asker: DetachedLinkDeletion.Asker) throws {
        try withPair { host, pod, eth0 in
            try withThrowawayNetworkNamespace(prefix: "swt-dld") { elsewhere in
                // A watch on a namespace the peer is not in never hears of it.
                try deleteAndExpectBothEndsGone(eth0, host: host, pod: pod, watch: try elsewhere.run { try LinkWatch() }, asker: asker)
            }
        }
    }

    @Test(arguments: askers)
    func aMissingLinkIsTheKernelsNoSuchDevice(asker: DetachedLinkDeletion.Asker) throws {
        try withPair { host, pod, eth0 in
            let watch = try host.run { try LinkWatch() }
            let error = try #require(throws: NetlinkError.self) {
                try pod.run { try DetachedLinkDeletion.delete(index: eth0.index + 100, subject: "eth9", peerIndex: 1, announcedBy: watch, asker: asker) }
            }
            #expect(error.errno == ENODEV)
            #expect(error.description.hasPrefix("delete link eth9: No such device (errno 19)"))
            #expect(try RouteNetlink(in: pod).links().map(\.name).sorted() == ["eth0", "lo"])
        }
    }

    @Test func theWatchCountsUnregistrationsNotBridgePortRemovals() throws {
        try withThrowawayNetworkNamespace(prefix: "swt-dld") { namespace in
            let netlink = try RouteNetlink(in: namespace)
            try netlink.createBridge(named: "br0")
            try netlink.createVeth(named: "p0", peerName: "p1")
            try netlink.setMaster("p0", "br0", bringUp: true)
            let ends = [try netlink.link(named: "p0").index, try netlink.link(named: "p1").index]
            let watch = try namespace.run { try LinkWatch() }
            #expect(try watch.drain() == LinkWatch.Announcements())
            try netlink.deleteLink("p0")
            // p0 leaving br0 is announced too (an AF_BRIDGE RTM_DELLINK): not an unregistration.
            #expect(try watch.drain() == LinkWatch.Announcements(unregistered: ends, lost: false))
        }
    }

    /// Deletes `eth0` from `pod` and expects neither end of the pair left, in the pod or in the host.
    private func deleteAndExpectBothEndsGone(
        _ eth0: Link, host: NetworkNamespace, pod: NetworkNamespace, watch: LinkWatch, asker: DetachedLinkDeletion.Asker
    ) throws {
        let peer = try #require(eth0.parentIndex)
        try pod.run { try DetachedLinkDeletion.delete(index: eth0.index, subject: "eth0", peerIndex: peer, announcedBy: watch, asker: asker) }
        #expect(try RouteNetlink(in: host).links().map(\.name) == ["lo"])
        #expect(try RouteNetlink(in: pod).links().map(\.name) == ["lo"])
    }

    /// A host and a pod namespace joined by a veth pair: `hveth` in the host, `eth0` in the pod.
    private func withPair(_ body: (NetworkNamespace, NetworkNamespace, Link) throws -> Void) throws {
        try withThrowawayNetworkNamespace(prefix: "swt-dld") { host in
            try withThrowawayNetworkNamespace(prefix: "swt-dld") { pod in
                try RouteNetlink(in: host).createVeth(named: "hveth", peerName: "eth0", peerNamespace: pod)
                try body(host, pod, try RouteNetlink(in: pod).link(named: "eth0"))
            }
        }
    }
}
