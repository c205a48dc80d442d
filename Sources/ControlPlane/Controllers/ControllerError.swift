import KubeClient

/// Why a reconcile failed; the work queue retries the key with backoff.
public enum ControllerError: Error, Sendable, CustomStringConvertible {
    /// A request to the API server failed.
    case api(KubeClientError)
    /// An object cannot be reconciled as it is (an invalid selector, a missing template); retried in case it is
    /// fixed, logged meanwhile.
    case invalidObject(key: String, reason: String)
    /// Some of a batch of writes failed; the first error is kept.
    case partialFailure(key: String, failed: Int, first: any Error)
    /// A name clash to be resolved on the next sync (a ReplicaSet name taken by another template).
    case retryLater(key: String, reason: String)

    public var description: String {
        switch self {
        case .api(let error): "\(error)"
        case .invalidObject(let key, let reason): "\(key): \(reason)"
        case .partialFailure(let key, let failed, let first): "\(key): \(failed) writes failed, first: \(first)"
        case .retryLater(let key, let reason): "\(key): \(reason)"
        }
    }
}

/// Splits a work-queue key `namespace/name` (or `name`).
func splitKey(_ key: String) -> (namespace: String?, name: String) {
    guard let slash = key.firstIndex(of: "/") else { return (nil, key) }
    return (String(key[..<slash]), String(key[key.index(after: slash)...]))
}
