import Synchronization

/// Addresses of simulated nodes and pods: node n is `172.16.0.0/12`'s n-th host address, its pods come from
/// `10.(128 + n/256).(n%256).0/24` (like a node's podCIDR), handed out lowest-free first and returned when the pod
/// goes away.
final class PodAddresses: Sendable {
    private struct State {
        var byPod: [String: String] = [:]
        var used: [String: Set<Int>] = [:]
    }

    private let state = Mutex(State())

    static func podCIDR(node: Int) -> String { "10.\(128 + (node / 256) % 128).\(node % 256).0/24" }

    static func nodeIP(node: Int) -> String {
        let host = node + 1
        return "172.\(16 + (host >> 16) % 16).\((host >> 8) & 0xff).\(host & 0xff)"
    }

    /// The pod's address on `node` (the same one every time for the same pod UID).
    func address(pod uid: String, node: Int) -> String {
        state.withLock { s in
            if let existing = s.byPod[uid] { return existing }
            let key = String(node)
            var used = s.used[key] ?? []
            var host = 2
            while used.contains(host), host < 254 { host += 1 }
            used.insert(host)
            s.used[key] = used
            let address = "10.\(128 + (node / 256) % 128).\(node % 256).\(host)"
            s.byPod[uid] = address
            return address
        }
    }

    /// Frees the pod's address.
    func release(pod uid: String) {
        state.withLock { s in
            guard let address = s.byPod.removeValue(forKey: uid) else { return }
            let parts = address.split(separator: ".").compactMap { Int($0) }
            guard parts.count == 4 else { return }
            let node = (parts[1] - 128) * 256 + parts[2]
            s.used[String(node)]?.remove(parts[3])
        }
    }
}
