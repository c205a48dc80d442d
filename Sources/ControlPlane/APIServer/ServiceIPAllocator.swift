import Foundation

/// Hands out Service ClusterIPs from the service CIDR, never the same one twice.
///
/// An actor, so concurrent creates cannot race: an address is reserved before the Service is stored and
/// released if the store write fails or when the Service is deleted. The set is rebuilt from the stored
/// Services when the server starts.
///
/// Addresses are handed out from the upper part of the range first, as upstream does since KEP-3070: the lowest
/// `staticBandSize` addresses (256 for a /12) stay free for Services that ask for a fixed address, such as the
/// `kubernetes` Service (the first) and `kube-dns` (the tenth), unless the rest of the range is full.
actor ServiceIPAllocator {
    /// Why an address could not be allocated; the message is upstream's.
    enum AllocationError: Error, CustomStringConvertible {
        case invalid(String)
        case alreadyAllocated(String)
        case full(String)
        case outOfRange(String, cidr: String)

        var description: String {
            switch self {
            case .invalid(let ip): "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff): \(ip)"
            case .alreadyAllocated(let ip): "failed to allocate IP \(ip): provided IP is already allocated"
            case .full(let cidr): "failed to allocate a serviceIP: range is full (\(cidr))"
            case .outOfRange(let ip, let cidr): "failed to allocate IP \(ip): the provided IP (\(ip)) is not in the valid range. The range of valid IPs is \(cidr)"
            }
        }
    }

    let cidr: String
    private let base: UInt32
    private let size: UInt32
    private var allocated: Set<UInt32> = []
    /// Offsets below this are the static band.
    private let staticBand: UInt32
    /// Where the round-robin scan of the upper band resumes.
    private var next: UInt32

    /// `cidr` is an IPv4 network such as `10.96.0.0/12`.
    init(cidr: String) throws {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = UInt32(parts[1]), prefix <= 30, let network = Self.parse(String(parts[0])) else {
            throw AllocationError.invalid(cidr)
        }
        self.cidr = cidr
        size = UInt32(1) << (32 - prefix)
        base = network & ~(size - 1)
        staticBand = Self.staticBandSize(rangeSize: size)
        next = max(1, staticBand)
    }

    /// Upstream's `calculateRangeOffset`: no band under 16 addresses, else a sixteenth of the range, between 16 and 256.
    static func staticBandSize(rangeSize: UInt32) -> UInt32 {
        guard rangeSize >= 16 else { return 0 }
        return min(max(rangeSize / 16, 16), 256)
    }

    /// The first address of the range (the `kubernetes` Service's ClusterIP).
    var firstAddress: String { Self.format(base + 1) }

    /// The address `offset` addresses into the range (10: `kube-dns`'s 10.96.0.10 in 10.96.0.0/12).
    func address(at offset: UInt32) -> String { Self.format(base + min(offset, size - 2)) }

    /// Allocates `requested`, or the next free address when it is nil.
    func allocate(_ requested: String?) throws -> String {
        if let requested {
            guard let ip = Self.parse(requested) else { throw AllocationError.invalid(requested) }
            guard ip > base, ip < base + size - 1 else { throw AllocationError.outOfRange(requested, cidr: cidr) }
            guard allocated.insert(ip).inserted else { throw AllocationError.alreadyAllocated(requested) }
            return requested
        }
        // Network and broadcast addresses are never handed out; scan the upper band round-robin from the last
        // allocation, then the static band from its start.
        let lower = max(1, staticBand)
        if lower < size - 1 {
            for _ in lower..<(size - 1) {
                let candidate = base + next
                next = next + 1 >= size - 1 ? lower : next + 1
                if allocated.insert(candidate).inserted { return Self.format(candidate) }
            }
        }
        for offset in UInt32(1)..<max(1, min(staticBand, size - 1)) where allocated.insert(base + offset).inserted {
            return Self.format(base + offset)
        }
        throw AllocationError.full(cidr)
    }

    /// Marks `ip` used (when rebuilding from stored Services).
    func markAllocated(_ ip: String) {
        if let v = Self.parse(ip) { allocated.insert(v) }
    }

    func release(_ ip: String) {
        if let v = Self.parse(ip) { allocated.remove(v) }
    }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let n = UInt32(octet), n < 256, octet.count <= 3 else { return nil }
            value = value << 8 | n
        }
        return value
    }

    static func format(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)" }
}

/// Hands out NodePorts from the node port range (30000-32767 by default), unique across Services.
///
/// A port nobody asked for is picked at random from the upper part of the range first, as upstream does since
/// KEP-3668: the lowest `staticBandSize` ports (30000-30085 by default) stay free for Services that ask for a fixed
/// port, unless the rest of the range is full, so a manifest that names its NodePort does not find it taken by a
/// Service that did not care which port it got.
actor NodePortAllocator {
    enum AllocationError: Error, CustomStringConvertible {
        case alreadyAllocated(Int)
        case outOfRange(Int, ClosedRange<Int>)
        case full(ClosedRange<Int>)

        var description: String {
            switch self {
            case .alreadyAllocated: "provided port is already allocated"
            case .outOfRange(_, let range): "provided port is not in the valid range. The range of valid ports is \(range.lowerBound)-\(range.upperBound)"
            case .full: "range is full"
            }
        }
    }

    let range: ClosedRange<Int>
    /// The ports a dynamic allocation tries first (above the static band), then the static band.
    private let bands: [Range<Int>]
    private var allocated: Set<Int> = []

    init(range: ClosedRange<Int> = 30000...32767) {
        self.range = range
        let staticEnd = range.lowerBound + Self.staticBandSize(rangeSize: range.count)
        bands = [staticEnd..<(range.upperBound + 1), range.lowerBound..<staticEnd]
    }

    /// Upstream's `calculateRangeOffset` for ports: no band for 16 ports or fewer, else a thirty-second of the
    /// range, between 16 and 128.
    static func staticBandSize(rangeSize: Int) -> Int {
        guard rangeSize > 16 else { return 0 }
        return min(max(rangeSize / 32, 16), 128)
    }

    func allocate(_ requested: Int?) throws -> Int {
        if let requested {
            guard range.contains(requested) else { throw AllocationError.outOfRange(requested, range) }
            guard allocated.insert(requested).inserted else { throw AllocationError.alreadyAllocated(requested) }
            return requested
        }
        for band in bands where allocated.count(where: band.contains) < band.count {
            while true {
                let candidate = Int.random(in: band)
                if allocated.insert(candidate).inserted { return candidate }
            }
        }
        throw AllocationError.full(range)
    }

    func markAllocated(_ port: Int) { allocated.insert(port) }
    func release(_ port: Int) { allocated.remove(port) }
}
