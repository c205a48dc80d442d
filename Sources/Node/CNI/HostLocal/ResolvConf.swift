import FoundationEssentials

/// Reads a `resolv.conf` into result DNS the way the reference's `parseResolvConf` does:
/// `nameserver`, `domain`, `search` and `options` lines; comments (`#`, `;`) and short lines skipped.
enum ResolvConf {
    static func parse(path: String) throws(CNIError) -> CNIResult.DNS {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CNIError(.ioFailure, "failed to read resolvConf \(path)")
        }
        var dns = CNIResult.DNS()
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingWhitespace
            guard let first = trimmed.first, first != "#", first != ";" else { continue }
            let fields = trimmed.split(whereSeparator: \.isWhitespace).map(String.init)
            guard fields.count >= 2 else { continue }
            switch fields[0] {
            case "nameserver": dns.nameservers = (dns.nameservers ?? []) + [fields[1]]
            case "domain": dns.domain = fields[1]
            case "search": dns.search = (dns.search ?? []) + fields.dropFirst()
            case "options": dns.options = (dns.options ?? []) + fields.dropFirst()
            default: continue
            }
        }
        return dns
    }
}
