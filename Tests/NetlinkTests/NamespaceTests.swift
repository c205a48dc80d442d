import Foundation
import LinuxSystem
import Testing
import TestSupport

@Suite("Network namespaces")
struct NamespaceTests {
    @Test func createRunAndDelete() throws {
        let hostInode = try NetworkNamespace.currentInode()
        let name = try withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            let inside = try ns.run { try NetworkNamespace.currentInode() }
            #expect(inside == (try ns.inode()))
            #expect(inside != hostInode)
            #expect(FileManager.default.fileExists(atPath: ns.path))
            #expect(try IPCommand.netnsNames().contains(try #require(ns.name)))
            return try #require(ns.name)
        }
        #expect(try NetworkNamespace.currentInode() == hostInode)
        #expect(!FileManager.default.fileExists(atPath: NetworkNamespace.path(named: name)))
        #expect(try !IPCommand.netnsNames().contains(name))
    }

    @Test func duplicateNameIsEEXIST() throws {
        try withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            let error = #expect(throws: SystemError.self) { try NetworkNamespace.create(named: ns.name!) }
            #expect(error?.errno == EEXIST)
        }
    }

    @Test func deletingUnknownNameIsENOENT() throws {
        let error = #expect(throws: SystemError.self) { try NetworkNamespace.delete(named: "swt-nl-does-not-exist") }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test func openByPIDIsTheCallersNamespace() throws {
        let ns = try NetworkNamespace.open(pid: getpid())
        #expect(try ns.inode() == NetworkNamespace.currentInode())
    }

    @Test func callersNamespaceIsUnchangedAcrossManyConcurrentRuns() async throws {
        try await withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            let target = try ns.inode()
            let host = try NetworkNamespace.currentInode()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let before = try NetworkNamespace.currentInode()
                        let inside = index.isMultiple(of: 2)
                            ? try await ns.perform { try NetworkNamespace.currentInode() }
                            : try ns.run { try NetworkNamespace.currentInode() }
                        #expect(inside == target)
                        #expect(try NetworkNamespace.currentInode() == before)
                        #expect(before == host)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// The calling thread itself goes in and comes back, also when the work throws.
    @Test func runOnCallingThreadMovesTheThreadBack() throws {
        let hostInode = try NetworkNamespace.currentInode()
        try withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            let inside = try ns.runOnCallingThread { try NetworkNamespace.currentInode() }
            #expect(inside == (try ns.inode()))
            #expect(try NetworkNamespace.currentInode() == hostInode)
            #expect(throws: SystemError.self) { try ns.runOnCallingThread { try Sysctl.read("net.does.not.exist") } }
            #expect(try NetworkNamespace.currentInode() == hostInode)
        }
        #expect(try NetworkNamespace.currentInode() == hostInode)
    }

    @Test func errorsInsideRunPropagate() throws {
        try withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            #expect(throws: SystemError.self) { try ns.run { try Sysctl.read("net.does.not.exist") } }
        }
    }

    @Test func sysctlIsPerNamespace() async throws {
        try await withThrowawayNetworkNamespace(prefix: "swt-nl") { ns in
            let host = try Sysctl.read("net.ipv4.ip_forward")
            try Sysctl.write("net.ipv4.ip_forward", host == "1" ? "0" : "1", in: ns)
            #expect(try Sysctl.read("net.ipv4.ip_forward", in: ns) == (host == "1" ? "0" : "1"))
            #expect(try await ns.perform { try Sysctl.read("net/ipv4/ip_forward") } == (host == "1" ? "0" : "1"))
            #expect(try Sysctl.read("net.ipv4.ip_forward") == host)
        }
    }
}

