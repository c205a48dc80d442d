import Foundation

/// A parsed `WWW-Authenticate` challenge: `Bearer realm="https://auth.example/token",service="registry",
/// scope="repository:library/busybox:pull"` or `Basic realm="registry"`.
struct AuthChallenge: Sendable, Equatable {
    /// Lower-cased: `bearer`, `basic`.
    var scheme: String
    /// Lower-cased keys.
    var parameters: [String: String]

    init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses one header value; quoted values may contain commas.
    init?(header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            guard !trimmed.isEmpty else { return nil }
            self.init(scheme: trimmed.lowercased(), parameters: [:])
            return
        }
        var parameters: [String: String] = [:]
        var rest = Substring(trimmed[trimmed.index(after: space)...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[key] = value
        }
        self.init(scheme: trimmed[..<space].lowercased(), parameters: parameters)
    }
}
