import Foundation
import KubeAPI

/// A kubelet flag value the agent refuses to start with, worded as upstream's flag parsing and validation word it.
public struct KubeletFlagError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The syntax of upstream kubelet's map flags: `key=value,…` (`mapStringString`: `--node-labels`, `--kube-reserved`)
/// and `key<value,…` (`LangleSeparatedMapStringString`: `--eviction-hard`), and the quantities their values hold.
enum KubeletFlagSyntax {
    /// The pairs in order, keys and values trimmed; empty items skipped.
    static func pairs(_ text: String, separator: Character) throws(KubeletFlagError) -> [(key: String, value: String)] {
        try text.split(separator: ",", omittingEmptySubsequences: true).map { item throws(KubeletFlagError) in
            let parts = item.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw KubeletFlagError(description: "malformed pair, expect string\(separator)string") }
            return (parts[0].trimmingCharacters(in: .whitespaces), parts[1].trimmingCharacters(in: .whitespaces))
        }
    }

    /// A quantity, refused with apimachinery's message.
    static func quantity(_ text: String) throws(KubeletFlagError) -> Quantity {
        do { return try Quantity(parsing: text) } catch {
            throw KubeletFlagError(description: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        }
    }
}
