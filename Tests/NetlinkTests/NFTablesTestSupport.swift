import Foundation
import LinuxSystem
import NFTables
import TestSupport

/// Runs `body` with a netfilter socket opened inside a throwaway network namespace (`swt-nft-<random>`),
/// which is always deleted afterwards. The socket stays bound to that namespace.
func withNFTablesNamespace<R>(_ body: (NetfilterSocket, NetworkNamespace) throws -> R) throws -> R {
    try withThrowawayNetworkNamespace(prefix: "swt-nft") { namespace in
        let socket = try namespace.run { try NetfilterSocket() }
        return try body(socket, namespace)
    }
}

/// `nft list ruleset` inside `namespace` (read-only; tests only: library code never runs `nft`).
func nftListRuleset(in namespace: NetworkNamespace) throws -> String {
    let name = String(namespace.path.split(separator: "/").last ?? "")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["netns", "exec", name, "nft", "list", "ruleset"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// The ruleset text with runs of whitespace collapsed, so fragments can be matched regardless of indentation.
func nftFlattened(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
}

extension Expr {
    /// This expression with anonymous-set elements in a canonical order (the kernel dumps hash sets in its own).
    var canonical: Expr {
        guard case .lookup(.anonymous(var set), let from, let into, let inverted) = self else { return self }
        set.elements.sort { $0.key.description < $1.key.description }
        return .lookup(.anonymous(set), from: from, into: into, inverted: inverted)
    }
}
