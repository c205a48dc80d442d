import Foundation
import KubeAPI

/// A Go value as github.com/google/go-cmp sees it: what `GoCmpDiff` prints. Struct, map, slice and pointer values
/// are descended into; strings, integers, nil and `resource.Quantity` (compared with its `Equal` method) are leaves.
indirect enum CmpValue {
    case string(String)
    case integer(Int64)
    /// A nil pointer, slice or map.
    case null
    case pointer(CmpValue)
    case slice(type: String, [CmpValue])
    /// Entries by their printed key (`s"storage"`, `"app"`), in Go's key order.
    case map(type: String, [(key: String, value: CmpValue)])
    case structure(type: String, [(name: String, value: CmpValue)])
    case quantity(Quantity)

    /// Go's `reflect.Value.IsZero`.
    var isZero: Bool {
        switch self {
        case .string(let s): s.isEmpty
        case .integer(let i): i == 0
        case .null: true
        case .structure(_, let fields): fields.allSatisfy { $0.value.isZero }
        case .pointer, .slice, .map, .quantity: false
        }
    }

    /// go-cmp's equality: deep, quantities by value.
    static func same(_ a: CmpValue, _ b: CmpValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case (.null, .null): true
        case let (.pointer(x), .pointer(y)): same(x, y)
        case let (.slice(_, x), .slice(_, y)): x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (.map(_, x), .map(_, y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        case let (.structure(_, x), .structure(_, y)): zip(x, y).allSatisfy { same($0.value, $1.value) }
        case let (.quantity(x), .quantity(y)): x == y
        default: false
        }
    }
}

/// `cmp.Diff(old, new)` as upstream appends it to some validation messages (a claim's immutable spec): the values
/// side by side, changed fields prefixed `-`/`+`, runs of identical ones elided past two lines of context
/// (`... // 4 identical fields`). go-cmp deliberately varies its indentation between regular and non-breaking spaces
/// from one process to the next; this prints the regular-space form. Slices are shown whole rather than element by
/// element.
enum GoCmpDiff {
    static func diff(_ old: CmpValue, _ new: CmpValue) -> String {
        guard !CmpValue.same(old, new) else { return "" }
        let node = differing(old, new, emitType: true)
        let (_, compacted) = compact(node, .unknown)
        return "  " + expanded(compacted, .unknown, 0) + "\n"
    }

    // MARK: Text (go-cmp's textNode)

    enum Mode: Equatable { case unknown, removed, inserted }

    indirect enum Text {
        case line(String)
        case wrap(prefix: String, Text, suffix: String)
        case list([Record])
    }

    struct Record {
        var mode: Mode = .unknown
        var key = ""
        var value: Text
        var comment: String?
        var elideComma = false
        static var ellipsis: Record { Record(value: .line("..."), elideComma: true) }
    }

    static let maxColumnLength = 80

    private static func combine(_ d: Mode, _ r: Mode) -> Mode { r == .removed || r == .inserted ? r : d }

    /// One line where the node fits: no changed record inside, and removed or inserted text at most 80 bytes.
    static func compact(_ node: Text, _ d: Mode) -> (String, Text) {
        switch node {
        case .line(let s):
            return (s, node)
        case let .wrap(prefix, value, suffix):
            let (text, inner) = compact(value, d)
            let whole = prefix + text + suffix
            if case .line = inner { return (whole, .line(whole)) }
            return (whole, .wrap(prefix: prefix, inner, suffix: suffix))
        case .list(var records):
            var out = "", multiLine = false
            for index in records.indices {
                let record = records[index]
                if record.mode == .removed || record.mode == .inserted { multiLine = true }
                if !record.key.isEmpty { out += record.key + ": " }
                let (text, inner) = compact(record.value, combine(d, record.mode))
                out += text
                records[index].value = inner
                if case .line = inner {} else { multiLine = true }
                if record.comment != nil { multiLine = true }
                if index < records.count - 1 { out += ", " }
            }
            if d == .removed || d == .inserted, out.utf8.count > maxColumnLength { multiLine = true }
            return multiLine ? (out, .list(records)) : (out, .line(out))
        }
    }

    private static func indent(_ d: Mode, _ n: Int) -> String {
        let marker = switch d {
        case .removed: "- "
        case .inserted: "+ "
        default: "  "
        }
        return marker + String(repeating: "\t", count: n)
    }

    static func expanded(_ node: Text, _ d: Mode, _ n: Int) -> String {
        switch node {
        case .line(let s):
            return s
        case let .wrap(prefix, value, suffix):
            return prefix + expanded(value, d, n) + suffix
        case .list(let records):
            func isLine(_ r: Record) -> Bool { if case .line = r.value { true } else { false } }
            var out = ""
            if records.allSatisfy({ $0.mode == .unknown && $0.key.isEmpty && isLine($0) && $0.comment == nil }) {
                // Simple values batched several to a line.
                var batch = ""
                func emit() {
                    guard !batch.isEmpty else { return }
                    out += "\n" + indent(d, n + 1) + String(batch.dropLast())
                    batch = ""
                }
                for record in records {
                    guard case .line(let line) = record.value else { continue }
                    if batch.utf8.count + line.utf8.count + 2 > maxColumnLength { emit() }
                    batch += line + ", "
                }
                emit()
                return out + "\n" + indent(d, n)
            }
            // Keys padded so the values of consecutive one-line records line up.
            var padding = [Int](repeating: 0, count: records.count)
            var start = 0, longest = 0
            func flush(upTo end: Int) {
                for j in start..<end { padding[j] = longest - records[j].key.count }
            }
            for (index, record) in records.enumerated() {
                if record.key.isEmpty || !isLine(record) {
                    flush(upTo: index)
                    start = index + 1
                    longest = 0
                } else {
                    longest = max(longest, record.key.count)
                }
            }
            flush(upTo: records.count)
            for (index, record) in records.enumerated() {
                let mode = combine(d, record.mode)
                out += "\n" + indent(mode, n + 1)
                if !record.key.isEmpty { out += record.key + ": " }
                out += String(repeating: " ", count: padding[index])
                out += expanded(record.value, mode, n + 1)
                if !record.elideComma { out += "," }
                if let comment = record.comment { out += " // " + comment }
            }
            return out + "\n" + indent(d, n)
        }
    }

    // MARK: Values (FormatValue, and FormatDiff's unified modes)

    private static func typed(_ type: String, _ body: Text, emit: Bool) -> Text {
        guard emit, case let .wrap(prefix, value, suffix) = body, prefix == "{" else { return body }
        return .wrap(prefix: type + prefix, value, suffix: suffix)
    }

    /// A whole value: `identical` prints it as context (types elided, quantities' inner amounts as `{...}`), otherwise
    /// as one side of a change. `emitType`: whether the value's own type is named (struct fields: yes; map and slice
    /// elements: no).
    static func whole(_ value: CmpValue, identical: Bool, emitType: Bool) -> Text {
        let named = emitType && !identical
        switch value {
        case .string(let s): return .line(GoQuoted.string(s))
        case .integer(let i): return .line(String(i))
        case .null: return .line("nil")
        case .pointer(let inner): return .wrap(prefix: "&", whole(inner, identical: identical, emitType: emitType), suffix: "")
        case let .slice(type, items):
            let records = items.map { Record(value: whole($0, identical: identical, emitType: false)) }
            return typed(type, .wrap(prefix: "{", .list(records), suffix: "}"), emit: named)
        case let .map(type, entries):
            let records = entries.map { Record(key: $0.key, value: whole($0.value, identical: identical, emitType: false)) }
            return typed(type, .wrap(prefix: "{", .list(records), suffix: "}"), emit: named)
        case let .structure(type, fields):
            let records = fields.filter { !$0.value.isZero }.map { Record(key: $0.name, value: whole($0.value, identical: identical, emitType: true)) }
            return typed(type, .wrap(prefix: "{", .list(records), suffix: "}"), emit: named)
        case .quantity(let quantity):
            return formatValue(goQuantity(quantity), verbosity: identical ? 1 : 3, identical: identical, emitType: emitType)
        }
    }

    /// FormatValue with go-cmp's verbosity limit: a struct shows at most ((2^v)/2)·4 fields, then `...`.
    private static func formatValue(_ value: CmpValue, verbosity: Int, identical: Bool, emitType: Bool) -> Text {
        guard case let .structure(type, fields) = value else { return whole(value, identical: identical, emitType: emitType) }
        let limit = ((1 << max(verbosity, 0)) >> 1) << 2
        var records: [Record] = []
        for field in fields where !field.value.isZero {
            if records.count == limit { records.append(.ellipsis); break }
            records.append(Record(key: field.name, value: formatValue(field.value, verbosity: verbosity - 1, identical: identical, emitType: true)))
        }
        return typed(type, .wrap(prefix: "{", .list(records), suffix: "}"), emit: emitType && !identical)
    }

    /// `resource.Quantity`'s fields as ParseQuantity's int64 fast path fills them from the quantity's text: the amount,
    /// its scale, the text itself when it is canonical, the format.
    static func goQuantity(_ quantity: Quantity) -> CmpValue {
        let text = quantity.description
        var fields: [(name: String, value: CmpValue)] = []
        let digits = text.prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }
        let suffix = text.dropFirst(digits.count)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        let num = parts.first.map(String.init) ?? "", denom = parts.count > 1 ? String(parts[1]) : ""
        let binary = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
        let decimal = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
        var amount: (Int64, Int64) = (0, 0)
        if let exponent = binary[String(suffix)], denom.isEmpty, let v = Int64(num) {
            amount = (v << exponent, 0)
        } else if let exponent = decimal[String(suffix)] ?? (suffix.first.map { "eE".contains($0) } == true ? Int(suffix.dropFirst()) : nil),
                  let v = Int64(num + denom) {
            amount = (v, Int64(exponent - denom.count))
        }
        if amount.0 != 0 {
            fields.append((name: "i", value: .structure(type: "resource.int64Amount", [(name: "value", value: .integer(amount.0)),
                                                                                        (name: "scale", value: .integer(amount.1))])))
        }
        let canonical: Bool
        if text == "0" {
            canonical = true
        } else if binary[String(suffix)] != nil {
            canonical = ((Int64(num) ?? 0) & 0x07) != 0
        } else {
            let shifted = num.trimmingPrefix("-") + denom
            canonical = amount.1 % 3 == 0 && !shifted.hasSuffix("000") && !shifted.hasPrefix("0")
        }
        if canonical { fields.append((name: "s", value: .string(text))) }
        fields.append((name: "Format", value: .string(quantity.format.rawValue)))
        return .structure(type: "resource.Quantity", fields)
    }

    // MARK: Differences (FormatDiff / formatDiffList)

    /// go-cmp's tree statistics of a compared pair: how many nodes below it, how deep.
    private static func shape(_ a: CmpValue?, _ b: CmpValue?) -> (children: Int, depth: Int) {
        var children = 0, depth = 0
        func add(_ x: CmpValue?, _ y: CmpValue?) {
            let child = shape(x, y)
            children += child.children + 1
            depth = max(depth, child.depth + 1)
        }
        switch (a, b) {
        case let (.pointer(x)?, .pointer(y)?): add(x, y)
        case let (.structure(_, x)?, .structure(_, y)?): for (f, g) in zip(x, y) { add(f.value, g.value) }
        case let (.map(_, x)?, .map(_, y)?):
            for key in keys(x, y) { add(x.first { $0.key == key }?.value, y.first { $0.key == key }?.value) }
        case let (.slice(_, x)?, .slice(_, y)?):
            for index in 0..<max(x.count, y.count) { add(index < x.count ? x[index] : nil, index < y.count ? y[index] : nil) }
        default: break
        }
        return (children, depth)
    }

    private static func keys(_ x: [(key: String, value: CmpValue)], _ y: [(key: String, value: CmpValue)]) -> [String] {
        var seen = Set<String>()
        return (x.map(\.key) + y.map(\.key)).filter { seen.insert($0).inserted }.sorted()
    }

    /// A changed struct, map or pointer descended into.
    private static func differing(_ a: CmpValue, _ b: CmpValue, emitType: Bool) -> Text {
        switch (a, b) {
        case let (.pointer(x), .pointer(y)):
            return .wrap(prefix: "&", differing(x, y, emitType: emitType), suffix: "")
        case let (.structure(type, x), .structure(_, y)):
            let records = zip(x, y).map { (key: $0.name, old: Optional($0.value), new: Optional($1.value)) }
            return typed(type, .wrap(prefix: "{", .list(list(records, unit: "field", emitType: true)), suffix: "}"), emit: emitType)
        case let (.map(type, x), .map(_, y)):
            let records = keys(x, y).map { key in (key: key, old: x.first { $0.key == key }?.value, new: y.first { $0.key == key }?.value) }
            return typed(type, .wrap(prefix: "{", .list(list(records, unit: "entry", emitType: false)), suffix: "}"), emit: emitType)
        default:
            return .list([Record(mode: .removed, value: whole(a, identical: false, emitType: emitType)),
                          Record(mode: .inserted, value: whole(b, identical: false, emitType: emitType))])
        }
    }

    /// formatDiffList: changed records as `-`/`+` pairs (or descended into), runs of equal ones with at most two
    /// records of context on each side of a change.
    private static func list(_ records: [(key: String, old: CmpValue?, new: CmpValue?)], unit: String, emitType: Bool) -> [Record] {
        let equal = records.map { r in r.old.flatMap { o in r.new.map { CmpValue.same(o, $0) } } ?? false }
        var groups: [Range<Int>] = []
        var start = 0
        for index in records.indices where index > 0 && equal[index] != equal[index - 1] {
            groups.append(start..<index)
            start = index
        }
        if !records.isEmpty { groups.append(start..<records.count) }
        var out: [Record] = []
        for (g, group) in groups.enumerated() {
            if equal[group.lowerBound] {
                let count = group.count
                var low = 0, high = 0
                while low < 2, low + high < count, g != 0 { low += 1 }
                while high < 2, low + high < count, g != groups.count - 1 { high += 1 }
                if count - (low + high) == 1 { high += 1 }
                func context(_ index: Int) -> Record {
                    Record(key: records[index].key, value: whole(records[index].old!, identical: true, emitType: emitType))
                }
                for index in group.prefix(low) { out.append(context(index)) }
                if count > low + high {
                    let elided = count - low - high
                    out.append(Record(value: .line("..."), comment: "\(elided) identical \(elided == 1 ? unit : (unit == "entry" ? "entries" : unit + "s"))", elideComma: true))
                }
                for index in group.suffix(high) { out.append(context(index)) }
                continue
            }
            for index in group {
                let (key, old, new) = records[index]
                let tree = shape(old, new)
                if let old, let new, tree.children != tree.depth {
                    out.append(Record(key: key, value: differing(old, new, emitType: emitType)))
                } else {
                    if let old { out.append(Record(mode: .removed, key: key, value: whole(old, identical: false, emitType: emitType))) }
                    if let new { out.append(Record(mode: .inserted, key: key, value: whole(new, identical: false, emitType: emitType))) }
                }
            }
        }
        return out
    }
}

extension PersistentVolumeClaimSpec {
    /// The spec as upstream's internal `core.PersistentVolumeClaimSpec` holds it, for `GoCmpDiff`.
    var goValue: CmpValue {
        func text(_ s: String?) -> CmpValue { s.map { .pointer(.string($0)) } ?? .null }
        func resources(_ list: [String: Quantity]?) -> CmpValue {
            list.map { .map(type: "core.ResourceList", $0.sorted { $0.key < $1.key }.map { (key: "s" + GoQuoted.string($0.key), value: .quantity($0.value)) }) } ?? .null
        }
        func reference(_ json: JSONValue?, type: String, namespaced: Bool) -> CmpValue {
            guard case .object(let fields)? = json else { return .null }
            func string(_ key: String) -> String? { if case .string(let s)? = fields[key] { s } else { nil } }
            var members: [(name: String, value: CmpValue)] = [(name: "APIGroup", value: text(string("apiGroup"))),
                                                             (name: "Kind", value: .string(string("kind") ?? "")),
                                                             (name: "Name", value: .string(string("name") ?? ""))]
            if namespaced { members.append((name: "Namespace", value: text(string("namespace")))) }
            return .pointer(.structure(type: type, members))
        }
        let selector: CmpValue = self.selector.map { selector in
            let labels: CmpValue = selector.matchLabels.map { .map(type: "map[string]string", $0.sorted { $0.key < $1.key }.map { (key: GoQuoted.string($0.key), value: .string($0.value)) }) } ?? .null
            let expressions: CmpValue = selector.matchExpressions.map { requirements in
                .slice(type: "[]v1.LabelSelectorRequirement", requirements.map { requirement in
                    .structure(type: "v1.LabelSelectorRequirement", [
                        (name: "Key", value: .string(requirement.key)), (name: "Operator", value: .string(requirement.operator)),
                        (name: "Values", value: requirement.values.map { .slice(type: "[]string", $0.map { .string($0) }) } ?? .null),
                    ])
                })
            } ?? .null
            return .pointer(.structure(type: "v1.LabelSelector", [(name: "MatchLabels", value: labels), (name: "MatchExpressions", value: expressions)]))
        } ?? .null
        return .structure(type: "core.PersistentVolumeClaimSpec", [
            (name: "AccessModes", value: accessModes.map { .slice(type: "[]core.PersistentVolumeAccessMode", $0.map { .string($0) }) } ?? .null),
            (name: "Selector", value: selector),
            (name: "Resources", value: .structure(type: "core.VolumeResourceRequirements", [
                (name: "Limits", value: resources(self.resources?.limits)), (name: "Requests", value: resources(self.resources?.requests)),
            ])),
            (name: "VolumeName", value: .string(volumeName ?? "")),
            (name: "StorageClassName", value: text(storageClassName)),
            (name: "VolumeMode", value: text(volumeMode)),
            (name: "DataSource", value: reference(dataSource, type: "core.TypedLocalObjectReference", namespaced: false)),
            (name: "DataSourceRef", value: reference(dataSourceRef, type: "core.TypedObjectReference", namespaced: true)),
            (name: "VolumeAttributesClassName", value: text(volumeAttributesClassName)),
        ])
    }
}
