import KubeAPI
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

extension Error {
    /// Whether this is the API server's 404 NotFound, directly or inside a `ControllerError`.
    var isNotFound: Bool { apiError?.isNotFound ?? false }

    /// Whether this is the API server's 409 Conflict, directly or inside a `ControllerError`.
    var isConflict: Bool { apiError?.isConflict ?? false }

    /// Whether this is the API server's 409 AlreadyExists, directly or inside a `ControllerError`.
    var isAlreadyExists: Bool { apiError?.isAlreadyExists ?? false }

    /// Whether a create was refused because its namespace is being deleted (upstream's `NamespaceTerminating`
    /// cause).
    var isNamespaceTerminating: Bool {
        guard let error = apiError, error.code == 403 else { return false }
        let causes = error.status?.details?.causes ?? []
        return causes.contains { $0.reason == "NamespaceTerminating" }
    }

    /// The `KubeClientError` this is or wraps.
    private var apiError: KubeClientError? {
        if let error = self as? KubeClientError { return error }
        switch self as? ControllerError {
        case .api(let error)?: return error
        case .partialFailure(_, _, let first)?: return first.apiError
        default: return nil
        }
    }
}
