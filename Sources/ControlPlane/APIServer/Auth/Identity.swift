import KubeAPI

/// Who a request acts as once authenticated: user name, UID, groups and extra attributes (upstream's `user.Info`).
struct Identity: Sendable, Hashable {
    var name: String
    var uid: String = ""
    var groups: [String] = []
    var extra: [String: [String]] = [:]

    static let anonymous = Identity(name: "system:anonymous", groups: ["system:unauthenticated"])

    /// Everyone who authenticated is in `system:authenticated`, as upstream's authenticator union adds it.
    func authenticated() -> Identity {
        var copy = self
        if !copy.groups.contains("system:authenticated") { copy.groups.append("system:authenticated") }
        return copy
    }

    var userInfo: UserInfo {
        UserInfo(username: name, uid: uid.isEmpty ? nil : uid, groups: groups.isEmpty ? nil : groups, extra: extra.isEmpty ? nil : extra)
    }

    var isNode: Bool { groups.contains("system:nodes") && name.hasPrefix("system:node:") }

    /// `n1` for `system:node:n1`.
    var nodeName: String? { isNode ? String(name.dropFirst("system:node:".count)) : nil }
}
