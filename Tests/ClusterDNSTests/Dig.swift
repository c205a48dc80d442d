import Foundation
import TestSupport

/// `dig` (bind9-dnsutils) as the real DNS client of the tests, its answer parsed into status, flags and sections.
struct Dig: CustomStringConvertible {
    struct Record: Equatable {
        var name: String
        var type: String
        var data: String
    }

    var status = ""
    var flags: Set<String> = []
    var answer: [Record] = []
    var authority: [Record] = []
    var additional: [Record] = []
    var output = ""

    var description: String { output }

    /// The data of the answer records of `type`, sorted.
    func answers(_ type: String) -> [String] { answer.filter { $0.type == type }.map(\.data).sorted() }

    /// Asks `server:port` for `name` `type`; `options` such as `+tcp`, `+noedns`, `+ignore`.
    static func query(_ name: String, _ type: String = "A", port: Int, server: String = "127.0.0.1", options: [String] = []) async throws -> Dig {
        guard let dig = which("dig") else { throw TestSupportError("dig is not installed (apt-get install bind9-dnsutils)") }
        let result = try await runCommand(dig, ["@\(server)", "-p", String(port), name, type, "+nocmd", "+noall", "+comments", "+answer",
                                                "+authority", "+additional", "+tries=1", "+time=5"] + options, timeout: 30)
        var parsed = Dig(output: result.stdout + result.stderr)
        var section = ""
        for line in result.stdout.split(separator: "\n").map(String.init) {
            if let range = line.range(of: "status: ") {
                parsed.status = String(line[range.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags:") {
                let flags = line.dropFirst(";; flags:".count).prefix { $0 != ";" }
                parsed.flags = Set(flags.split(separator: " ").map(String.init))
            } else if line.hasPrefix(";; ") && line.hasSuffix("SECTION:") {
                section = line
            } else if !line.hasPrefix(";"), !line.isEmpty {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard fields.count >= 5 else { continue }
                let record = Record(name: fields[0], type: fields[3], data: fields[4...].joined(separator: " "))
                if section.contains("ANSWER") { parsed.answer.append(record) }
                else if section.contains("AUTHORITY") { parsed.authority.append(record) }
                else if section.contains("ADDITIONAL") { parsed.additional.append(record) }
            }
        }
        guard !parsed.status.isEmpty else { throw TestSupportError("dig got no answer: \(parsed.output)") }
        return parsed
    }
}
