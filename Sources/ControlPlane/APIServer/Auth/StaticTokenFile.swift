import Foundation

/// `--token-auth-file`: upstream's CSV of `token,user,uid[,"group1,group2,…"]`, one user per line.
struct StaticTokenFile: Sendable {
    let users: [String: Identity]

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuthError("cannot read token file \(path)")
        }
        try self.init(csv: text, path: path)
    }

    init(csv text: String, path: String = "token file") throws {
        var users: [String: Identity] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = Self.fields(trimmed)
            guard fields.count >= 3 else {
                throw AuthError("\(path), line \(index + 1): token file '\(path)' must have at least 3 columns (token, user name, user uid), found \(fields.count)")
            }
            guard !fields[0].isEmpty else { throw AuthError("\(path), line \(index + 1): token is empty") }
            var identity = Identity(name: fields[1], uid: fields[2])
            if fields.count >= 4 {
                identity.groups = fields[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            users[fields[0]] = identity
        }
        self.users = users
    }

    /// Splits one CSV record (RFC 4180 quoting, as Go's encoding/csv reads it).
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// An authentication or authorization set-up failure.
struct AuthError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
