import CRI
import Foundation
import OCI

/// Resolves who a container's process runs as: CRI `run_as_user`/`run_as_username`/`run_as_group`, else the
/// image's `User` (`uid`, `name`, `uid:gid`, `name:group`), names looked up in the container's own
/// `/etc/passwd` and `/etc/group`; supplementary groups are the user's groups there plus the CRI list.
struct UserResolver {
    let rootfs: String

    func resolve(security: Runtime_V1_LinuxContainerSecurityContext, imageUser: String) throws -> RuntimeSpec.User {
        let passwd = table("etc/passwd"), groups = table("etc/group")
        var user = RuntimeSpec.User()
        var userName: String?
        let parts = imageUser.split(separator: ":", maxSplits: 1).map(String.init)
        if security.hasRunAsUser {
            user.uid = UInt32(truncatingIfNeeded: security.runAsUser.value)
        } else if !security.runAsUsername.isEmpty {
            userName = security.runAsUsername
        } else if let first = parts.first {
            if let uid = UInt32(first) { user.uid = uid } else { userName = first }
        }
        if let name = userName {
            guard let entry = passwd.first(where: { $0.first == name }), entry.count > 3,
                  let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) else {
                throw RuntimeError.invalidArgument("unable to find user \(name): no matching entries in passwd file")
            }
            user.uid = uid
            user.gid = gid
        } else if let entry = passwd.first(where: { $0.count > 3 && UInt32($0[2]) == user.uid }), let gid = UInt32(entry[3]) {
            user.gid = gid
            userName = entry[0]
        }
        if security.hasRunAsGroup {
            user.gid = UInt32(truncatingIfNeeded: security.runAsGroup.value)
        } else if parts.count == 2 {
            if let gid = UInt32(parts[1]) {
                user.gid = gid
            } else if let entry = groups.first(where: { $0.first == parts[1] }), entry.count > 2, let gid = UInt32(entry[2]) {
                user.gid = gid
            } else {
                throw RuntimeError.invalidArgument("unable to find group \(parts[1]): no matching entries in group file")
            }
        }
        var additional: [UInt32] = []
        if let name = userName {
            for entry in groups where entry.count > 3 && entry[3].split(separator: ",").contains(Substring(name)) {
                if let gid = UInt32(entry[2]), gid != user.gid { additional.append(gid) }
            }
        }
        for gid in security.supplementalGroups.map({ UInt32(truncatingIfNeeded: $0) }) where !additional.contains(gid) {
            additional.append(gid)
        }
        user.additionalGids = additional.isEmpty ? nil : additional
        return user
    }

    /// A colon-separated file of the image, split into fields; missing files are empty.
    private func table(_ path: String) -> [[String]] {
        guard let text = try? String(contentsOfFile: rootfs + "/" + path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
