import KubeAPI

/// A list of a kind (`ObjectList<Pod>`): named after the kind (`io.k8s.api.core.v1.PodList`) and carrying
/// the kind's group-version with `<Kind>List` as its own kind.
protocol KindList {
    static var itemKind: any KubeObject.Type { get }
}

extension ObjectList: KindList {
    static var itemKind: any KubeObject.Type { Item.self }
}
