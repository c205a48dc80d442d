/// An image reference normalized the way docker and containerd do: `busybox` is
/// `docker.io/library/busybox:latest`, `127.0.0.1:5000/test/shell:v1` keeps its registry, and a
/// `@sha256:…` suffix pins the manifest.
///
/// ```swift
/// let ref = try ImageReference(parsing: "busybox")
/// ref.description        // "docker.io/library/busybox:latest"
/// ref.familiarName       // "busybox"
/// ```
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry host (and port): `docker.io`, `127.0.0.1:5000`.
    public let registry: String
    /// The repository path inside the registry: `library/busybox`, `test/shell`.
    public let repository: String
    /// The tag; `latest` when neither a tag nor a digest was given, nil for a digest-only reference.
    public let tag: String?
    /// The manifest digest, when pinned.
    public let digest: Digest?

    /// Parses and normalizes `string`.
    /// - Throws: `ImageError` with `.invalidReference` for empty names, upper-case repositories, bad tags or digests.
    public init(parsing string: String) throws(ImageError) {
        func invalid(_ why: String) -> ImageError {
            ImageError(.invalidReference, "invalid image reference \"\(string)\": \(why)")
        }
        var rest = Substring(string)
        guard !rest.isEmpty else { throw invalid("empty") }
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard let parsed = Digest(digestText) else { throw invalid("bad digest \(digestText)") }
            digest = parsed
            rest = rest[..<at]
        }
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tagText = String(rest[rest.index(after: colon)...])
            guard ImageReference.isValidTag(tagText) else { throw invalid("bad tag \(tagText)") }
            tag = tagText
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = "docker.io"
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" || first.contains("[") {
            registry = first == "index.docker.io" || first == "registry-1.docker.io" ? "docker.io" : first
            components.removeFirst()
        }
        guard !components.isEmpty, components.allSatisfy(ImageReference.isValidPathComponent) else {
            throw invalid("repository must be lower-case letters, digits and separators")
        }
        if registry == "docker.io", components.count == 1 { components.insert("library", at: 0) }
        let repository = components.joined(separator: "/")
        guard registry.utf8.count + repository.utf8.count < 256 else { throw invalid("name too long") }
        if tag == nil, digest == nil { tag = "latest" }
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// `registry/repository`, e.g. `docker.io/library/busybox`.
    public var name: String { registry + "/" + repository }

    /// The short form docker prints: `busybox` for `docker.io/library/busybox`, else `name`.
    public var familiarName: String {
        guard registry == "docker.io" else { return name }
        return repository.hasPrefix("library/") ? String(repository.dropFirst(8)) : repository
    }

    /// `name:tag` when tagged (what a CRI image lists as a repo tag).
    public var taggedName: String? { tag.map { "\(name):\($0)" } }

    /// `name@digest` given a manifest digest.
    public func digested(_ digest: Digest) -> String { "\(name)@\(digest)" }

    public var description: String {
        var text = name
        if let tag, digest == nil || tag != "latest" { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { (97...122).contains(c) || (65...90).contains(c) || (48...57).contains(c) || c == 95 }
        return word(first) && bytes.dropFirst().allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        func alnum(_ c: UInt8) -> Bool { (97...122).contains(c) || (48...57).contains(c) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) { i += 1; continue }
            var j = i
            while j < bytes.count, !alnum(bytes[j]) { j += 1 }
            let separator = bytes[i..<j]
            let ok = separator.elementsEqual([46]) || separator.elementsEqual([95]) || separator.elementsEqual([95, 95])
                || separator.allSatisfy { $0 == 45 }
            guard ok else { return false }
            i = j
        }
        return true
    }
}
