import CRI
import KubeAPI

/// The hash by which the kubelet tells that a running container no longer matches its spec (upstream's
/// `kubecontainer.HashContainer`, 1.31+): FNV-32a over `DeepHashObject` of the JSON of `{"image": …, "name": …}` — the
/// only container fields a pod update may change. It is stored on the CRI container as the annotation
/// `io.kubernetes.container.hash` (lowercase hex, as upstream writes it), so `crictl inspect` shows upstream's value
/// and a container created by upstream's kubelet compares equal.
///
/// ```swift
/// ContainerHash.hash(Container(name: "test_container", image: "foo/image:v1")) // 0x8e45cbd0
/// ```
enum ContainerHash {
    static let annotation = "io.kubernetes.container.hash"

    static func hash(_ container: Container) -> UInt32 {
        // Go's json.Marshal of a map[string]string: keys sorted, strings escaped as encoding/json does.
        let json = "{\"image\":\(goJSONString(container.image ?? "")),\"name\":\(goJSONString(container.name))}"
        // DeepHashObject prints the []byte with spew's `%#v`: its type, then each byte in decimal.
        let printed = "([]uint8)[" + json.utf8.map(String.init).joined(separator: " ") + "]"
        var hash: UInt32 = 0x811c_9dc5
        for byte in printed.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// The annotation's value for `container`.
    static func annotationValue(_ container: Container) -> String { String(hash(container), radix: 16) }

    /// Whether the running container `status` was created from another definition than `container`'s. A container
    /// without the annotation (created before the kubelet wrote it) counts as unchanged: restarting every such
    /// container after an agent upgrade would be worse than not noticing an image changed meanwhile.
    static func changed(_ container: Container, _ status: Runtime_V1_ContainerStatus) -> Bool {
        guard let stored = status.annotations[annotation].flatMap({ UInt32($0, radix: 16) }) else { return false }
        return stored != hash(container)
    }

    /// A string as Go's encoding/json writes it (HTML-safe escaping, `\b` and `\f` as Go 1.22+ does).
    private static func goJSONString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}", "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
