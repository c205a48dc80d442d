import KubeAPI

/// A kind with a `status` that only the status subresource writes.
protocol StatusCarrying: KubeObject {
    associatedtype StatusType: Sendable & Equatable
    var status: StatusType? { get set }
}

extension Pod: StatusCarrying {}
extension Service: StatusCarrying {}
extension Node: StatusCarrying {}
extension Namespace: StatusCarrying {}
extension Deployment: StatusCarrying {}
extension ReplicaSet: StatusCarrying {}
extension DaemonSet: StatusCarrying {}
extension Job: StatusCarrying {}
extension StatefulSet: StatusCarrying {}
extension CronJob: StatusCarrying {}
extension PersistentVolumeClaim: StatusCarrying {}
extension PersistentVolume: StatusCarrying {}
extension VolumeAttachment: StatusCarrying {}

extension ResourceStrategy where Object: StatusCarrying {
    var hasStatus: Bool { true }

    func keepStatus(_ object: inout Object, from old: Object?) {
        object.status = old?.status
    }

    /// A status-subresource write changes the status and nothing else.
    func mergeStatus(_ object: Object, into old: Object) -> Object {
        var merged = old
        merged.status = object.status
        return merged
    }
}
