import CRI
import Foundation

/// Registry credentials from a pod's `imagePullSecrets`, as upstream's kubelet reads them: Secrets of type
/// `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`: `{"auths": {"registry:5000": {…}}}`) or
/// `kubernetes.io/dockercfg` (`.dockercfg`: the same map without `auths`), each entry with `username`/`password`
/// or `auth` (base64 `user:password`). An entry matches an image when its host (a `*` glob per label, the port
/// if it names one) is the image's registry and its path, if any, prefixes the repository; the most specific
/// entries are tried first.
struct PullSecrets {
    struct Entry: Sendable, Equatable {
        /// The key as written (`registry.example:5000`, `https://index.docker.io/v1/`).
        var key: String
        var username: String
        var password: String
        var identityToken: String
    }

    private(set) var entries: [Entry] = []

    /// Adds the entries of one Secret's decoded data; malformed data adds nothing.
    mutating func add(_ data: [String: Data]) {
        var map: [String: Any] = [:]
        if let json = data[".dockerconfigjson"], let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
            map = object["auths"] as? [String: Any] ?? [:]
        } else if let json = data[".dockercfg"], let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
            map = object
        }
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            guard let fields = value as? [String: Any] else { continue }
            var username = fields["username"] as? String ?? "", password = fields["password"] as? String ?? ""
            if username.isEmpty, let auth = (fields["auth"] as? String).flatMap({ Data(base64Encoded: $0) }),
               let pair = String(data: auth, encoding: .utf8), let colon = pair.firstIndex(of: ":") {
                username = String(pair[..<colon])
                password = String(pair[pair.index(after: colon)...])
            }
            entries.append(Entry(key: key, username: username, password: password, identityToken: fields["identitytoken"] as? String ?? ""))
        }
    }

    /// The CRI credentials to try for `image`, most specific first; empty when none match.
    func credentials(for image: String) -> [Runtime_V1_AuthConfig] {
        let (registry, repository) = Self.split(image)
        let matching = entries.compactMap { entry -> (Int, Entry)? in
            guard let score = Self.match(entry.key, registry: registry, repository: repository) else { return nil }
            return (score, entry)
        }
        return matching.sorted { $0.0 > $1.0 }.map { _, entry in
            var auth = Runtime_V1_AuthConfig()
            auth.username = entry.username
            auth.password = entry.password
            auth.identityToken = entry.identityToken
            auth.serverAddress = registry
            return auth
        }
    }

    /// The registry host of an image reference (`docker.io` when it names none) and the repository path.
    static func split(_ image: String) -> (registry: String, repository: String) {
        let name = image.split(separator: "@").first.map(String.init) ?? image
        let slash = name.firstIndex(of: "/")
        if let slash {
            let first = String(name[..<slash])
            if first.contains(".") || first.contains(":") || first == "localhost" {
                let rest = String(name[name.index(after: slash)...])
                return (first, rest.split(separator: ":").first.map(String.init) ?? rest)
            }
        }
        let repository = name.split(separator: ":").first.map(String.init) ?? name
        return ("docker.io", slash == nil ? "library/" + repository : repository)
    }

    /// How specifically `key` matches (its length), or nil when it does not.
    static func match(_ key: String, registry: String, repository: String) -> Int? {
        var rest = Substring(key)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let hostPart = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPart.count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var host = String(hostPart)
        // Docker Hub's historical key.
        if host == "index.docker.io" || host == "registry-1.docker.io" { host = "docker.io" }
        let wanted = registry
        func hostAndPort(_ text: String) -> (String, String?) {
            guard let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") else { return (text, nil) }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        let (keyHost, keyPort) = hostAndPort(host), (imageHost, imagePort) = hostAndPort(wanted)
        guard keyPort == imagePort || (keyPort == nil && imagePort == nil) else { return nil }
        let keyLabels = keyHost.split(separator: "."), imageLabels = imageHost.split(separator: ".")
        guard keyLabels.count == imageLabels.count,
              zip(keyLabels, imageLabels).allSatisfy({ pattern, label in
                  pattern == label || (pattern.contains("*") && Self.glob(pattern, label)) }) else { return nil }
        let versionless = path.split(separator: "/").first.map { $0.hasPrefix("v1") || $0.hasPrefix("v2") } ?? false
        if !path.isEmpty, !versionless, !(repository == path || repository.hasPrefix(path + "/")) { return nil }
        return key.count
    }

    /// `*` matches any run of characters within one label.
    private static func glob(_ pattern: Substring, _ text: Substring) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard let first = parts.first, text.hasPrefix(first) else { return false }
        var rest = text.dropFirst(first.count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return parts.count == 1 ? rest.isEmpty : rest.hasSuffix(parts.last ?? "")
    }
}
