import Foundation
import KubeAPI

/// The `pod-template-hash` label value that names a Deployment's ReplicaSet (`web-5d4f8c7b9`) and tells its pods
/// apart, computed as upstream's `ComputeHash`: FNV-32a over the template, then the collision count as 8
/// little-endian bytes, the 32-bit sum printed in decimal and passed through `SafeEncodeString`.
///
/// Upstream feeds FNV with a `spew` dump of the Go struct; Swiftlet feeds it the template's canonical JSON
/// (sorted keys), so the algorithm and alphabet match but the values differ from a Go controller's for the same
/// template. Nothing depends on equality across implementations: a ReplicaSet is matched to its Deployment by
/// template equality, not by hash.
enum PodTemplateHash {
    /// The label key, on ReplicaSets, their selectors and their pods.
    static let label = "pod-template-hash"

    /// The hash of `template` with `collisionCount` (the Deployment's `status.collisionCount`).
    static func compute(_ template: PodTemplateSpec, collisionCount: Int32?) -> String {
        var hash = FNV32a()
        hash.update((try? KubeJSON.encode(template)) ?? Data())
        if let collisionCount {
            var bytes = [UInt8](repeating: 0, count: 8)
            let value = UInt32(bitPattern: collisionCount)
            for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
            hash.update(Data(bytes))
        }
        return safeEncode(String(hash.value))
    }

    /// Upstream's `rand.SafeEncodeString`: every byte mapped into an alphabet without vowels or look-alikes, so
    /// the result never spells words and is a valid label value.
    static func safeEncode(_ s: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(s.utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// `template` without the hash label, for comparing a ReplicaSet's template with its Deployment's
    /// (upstream's `EqualIgnoreHash`).
    static func stripped(_ template: PodTemplateSpec?) -> PodTemplateSpec? {
        guard var template else { return nil }
        template.metadata?.labels?[label] = nil
        if template.metadata?.labels?.isEmpty == true { template.metadata?.labels = nil }
        return template
    }
}

/// The 32-bit FNV-1a hash.
struct FNV32a {
    private(set) var value: UInt32 = 2_166_136_261

    mutating func update(_ data: Data) {
        for byte in data {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
    }
}
