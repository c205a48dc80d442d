import KubeAPI

extension Pod {
    /// The annotation a kubelet puts on the API copy ("mirror pod") of a static pod, holding the static pod's hash.
    static let mirrorAnnotation = "kubernetes.io/config.mirror"

    /// Whether the pod is a static pod's mirror, which admission leaves undefaulted and restricts.
    var isMirror: Bool { metadata.annotations?[Self.mirrorAnnotation] != nil }
}
