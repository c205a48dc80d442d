import Foundation

/// A parsed label selector, as upstream's `labels.Selector`: parsed from the query-string syntax
/// (`app=web,tier!=db,env in (prod,staging),!canary,release`) or converted from a meta/v1 `LabelSelector`.
///
/// ```swift
/// let s = try LabelSelectorExpression(parsing: "app=web,env in (prod,staging)")
/// s.matches(["app": "web", "env": "prod"])   // true
/// s.description                               // "app=web,env in (prod,staging)"
/// let t = try LabelSelectorExpression(deployment.spec?.selector)   // nil selector matches nothing
/// ```
///
/// Errors carry upstream's messages (`unable to parse requirement: found '', expected: identifier`).
public struct LabelSelectorExpression: Sendable, Hashable, CustomStringConvertible {
    /// A selection operator, with upstream's spelling as the raw value.
    public enum Operator: String, Sendable, Hashable {
        case doesNotExist = "!"
        case equals = "="
        case doubleEquals = "=="
        case `in` = "in"
        case notEquals = "!="
        case notIn = "notin"
        case exists = "exists"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One term: `key op values`.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public let key: String
        public let `operator`: Operator
        /// The values; sorted and unique when parsed from text.
        public let values: [String]

        /// Validates like upstream's `NewRequirement` (key and values, value count per operator).
        public init(key: String, operator op: Operator, values: [String] = []) throws {
            try self.init(key: key, operator: op, values: values, path: "")
        }

        init(key: String, operator op: Operator, values: [String], path: String) throws {
            var errors = [String]()
            let keyPath = path.isEmpty ? "key" : "\(path).key"
            let valuesPath = path.isEmpty ? "values" : "\(path).values"
            let keyErrors = LabelValidation.qualifiedNameErrors(key)
            if !keyErrors.isEmpty {
                errors.append(LabelValidation.invalid(keyPath, key, keyErrors.joined(separator: "; ")))
            }
            let goSlice = "[]string{" + values.map(GoQuoted.string).joined(separator: ", ") + "}"
            switch op {
            case .in, .notIn:
                if values.isEmpty {
                    errors.append("\(valuesPath): Invalid value: \(goSlice): for 'in', 'notin' operators, values set can't be empty")
                }
            case .equals, .doubleEquals, .notEquals:
                if values.count != 1 {
                    errors.append("\(valuesPath): Invalid value: \(goSlice): exact-match compatibility requires one single value")
                }
            case .exists, .doesNotExist:
                if !values.isEmpty {
                    errors.append("\(valuesPath): Invalid value: \(goSlice): values set must be empty for exists and does not exist")
                }
            case .greaterThan, .lessThan:
                if values.count != 1 {
                    errors.append("\(valuesPath): Invalid value: \(goSlice): for 'Gt', 'Lt' operators, exactly one value is required")
                }
                for (i, v) in values.enumerated() where Int64(v) == nil {
                    errors.append(LabelValidation.invalid("\(valuesPath)[\(i)]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
                }
            }
            for (i, v) in values.enumerated() {
                let valueErrors = LabelValidation.labelValueErrors(v)
                if !valueErrors.isEmpty {
                    errors.append(LabelValidation.invalid("\(valuesPath)[\(i)][\(key)]", v, valueErrors.joined(separator: "; ")))
                }
            }
            if let message = LabelValidation.aggregate(errors) { throw SelectorError(message) }
            self.key = key
            self.operator = op
            self.values = values
        }

        /// Whether `labels` satisfy this requirement, as upstream's `Requirement.Matches`.
        public func matches(_ labels: [String: String]) -> Bool {
            switch self.operator {
            case .in, .equals, .doubleEquals:
                guard let v = labels[key] else { return false }
                return values.contains(v)
            case .notIn, .notEquals:
                guard let v = labels[key] else { return true }
                return !values.contains(v)
            case .exists:
                return labels[key] != nil
            case .doesNotExist:
                return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let raw = labels[key], let have = Int64(raw), values.count == 1, let want = Int64(values[0]) else {
                    return false
                }
                return self.operator == .greaterThan ? have > want : have < want
            }
        }

        /// Upstream's text form: `a=b`, `a in (x,y)`, `!a`, `a>3`.
        public var description: String {
            var s = self.operator == .doesNotExist ? "!" + key : key
            switch self.operator {
            case .equals: s += "="
            case .doubleEquals: s += "=="
            case .notEquals: s += "!="
            case .in: s += " in "
            case .notIn: s += " notin "
            case .greaterThan: s += ">"
            case .lessThan: s += "<"
            case .exists, .doesNotExist: return s
            }
            let joined = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            if self.operator == .in || self.operator == .notIn { return s + "(" + joined + ")" }
            return s + joined
        }
    }

    /// The requirements, ANDed, sorted by key.
    public private(set) var requirements: [Requirement]
    /// `true` for the selector that matches nothing (a missing meta/v1 selector).
    public private(set) var matchesNothing: Bool

    /// Matches every label set.
    public static let everything = LabelSelectorExpression(requirements: [])
    /// Matches no label set.
    public static let nothing: LabelSelectorExpression = {
        var s = LabelSelectorExpression(requirements: [])
        s.matchesNothing = true
        return s
    }()

    /// A selector from requirements (sorted by key, as upstream's `Add`).
    public init(requirements: [Requirement]) {
        self.requirements = requirements.enumerated().sorted {
            $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset
        }.map(\.element)
        self.matchesNothing = false
    }

    /// `key=value` for every entry, as upstream's `SelectorFromSet` (no validation).
    public init(matchLabels: [String: String]) {
        self.init(requirements: matchLabels.map { Requirement(unchecked: $0.key, .equals, [$0.value]) })
    }

    /// Converts a meta/v1 selector as upstream's `LabelSelectorAsSelector`: `nil` matches nothing, an empty
    /// selector matches everything, and operators other than In/NotIn/Exists/DoesNotExist are rejected.
    public init(_ selector: LabelSelector?) throws {
        guard let selector else { self = .nothing; return }
        var reqs = [Requirement]()
        for (k, v) in selector.matchLabels ?? [:] {
            reqs.append(try Requirement(key: k, operator: .equals, values: [v]))
        }
        for expr in selector.matchExpressions ?? [] {
            let op: Operator
            switch expr.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default: throw SelectorError("\(GoQuoted.string(expr.operator)) is not a valid label selector operator")
            }
            reqs.append(try Requirement(key: expr.key, operator: op, values: expr.values ?? []))
        }
        self.init(requirements: reqs)
    }

    /// Converts node selector requirements (node affinity `matchExpressions`), which also allow `Gt` and `Lt`,
    /// as upstream's `NodeSelectorRequirementsAsSelector`. An empty list matches nothing.
    public init(nodeSelectorRequirements: [NodeSelectorRequirement]) throws {
        guard !nodeSelectorRequirements.isEmpty else { self = .nothing; return }
        var reqs = [Requirement]()
        for expr in nodeSelectorRequirements {
            let op: Operator
            switch expr.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            case "Gt": op = .greaterThan
            case "Lt": op = .lessThan
            default: throw SelectorError("\(GoQuoted.string(expr.operator)) is not a valid node selector operator")
            }
            reqs.append(try Requirement(key: expr.key, operator: op, values: expr.values ?? []))
        }
        self.init(requirements: reqs)
    }

    /// Whether the selector places no restriction (`""` or an empty meta/v1 selector).
    public var isEmpty: Bool { !matchesNothing && requirements.isEmpty }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// Whether the object's labels satisfy every requirement.
    public func matches(_ object: any KubeObject) -> Bool { matches(object.metadata.labels ?? [:]) }

    /// The canonical query-string form (`a=b,c in (x,y)`); empty for everything and nothing.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// The value a selector requires for `label` (`app=web` or `app in (web)`), as upstream's `RequiresExactMatch`.
    public func requiredValue(for label: String) -> String? {
        guard let r = requirements.first(where: { $0.key == label }) else { return nil }
        switch r.operator {
        case .equals, .doubleEquals, .in: return r.values.count == 1 ? r.values[0] : nil
        default: return nil
        }
    }
}

extension LabelSelectorExpression.Requirement {
    /// Builds a requirement without validation (for `matchLabels` conversions that upstream does not check).
    init(unchecked key: String, _ op: LabelSelectorExpression.Operator, _ values: [String]) {
        self.key = key
        self.operator = op
        self.values = values
    }
}

/// A selector that could not be parsed or converted; `message` is upstream's text.
public struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Parsing (upstream's labels.Parse lexer and recursive-descent parser)

extension LabelSelectorExpression {
    /// Parses the query-string syntax exactly as upstream's `labels.Parse`:
    ///
    ///     <selector>    ::= <requirement> | <requirement> "," <selector>
    ///     <requirement> ::= [!] KEY [ ("in"|"notin") "(" VALUES ")" | ("="|"=="|"!="|">"|"<") VALUE ]
    ///
    /// The empty string matches everything.
    public init(parsing text: String) throws {
        var parser = LabelSelectorParser(text: text)
        self.init(requirements: try parser.parse())
    }
}

struct LabelSelectorParser {
    enum Token: Equatable {
        case error, endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier,
             `in`, lessThan, notEquals, notIn, openPar
    }
    enum Context { case keyAndOperator, values }

    static let literals: [String: Token] = [
        ")": .closedPar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    let bytes: [UInt8]
    var pos = 0
    var items: [(Token, String)] = []
    var position = 0

    init(text: String) { bytes = Array(text.utf8) }

    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
    static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
             UInt8(ascii: ">"), UInt8(ascii: "<"): true
        default: false
        }
    }

    mutating func read() -> UInt8 {
        guard pos < bytes.count else { pos += 1; return 0 }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func lex() -> (Token, String) {
        var ch = read()
        while Self.isWhitespace(ch) { ch = read() }
        if ch == 0 { return (.endOfString, "") }
        pos -= 1
        if Self.isSpecial(ch) {
            var buffer = [UInt8]()
            var last: (Token, String)?
            while true {
                let c = read()
                if c == 0 { break }
                if Self.isSpecial(c) {
                    buffer.append(c)
                    if let t = Self.literals[String(decoding: buffer, as: UTF8.self)] {
                        last = (t, String(decoding: buffer, as: UTF8.self))
                    } else if last != nil {
                        pos -= 1
                        break
                    }
                } else {
                    pos -= 1
                    break
                }
            }
            guard let last else { return (.error, "error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'") }
            return last
        }
        var buffer = [UInt8]()
        while true {
            let c = read()
            if c == 0 { break }
            if Self.isSpecial(c) || Self.isWhitespace(c) { pos -= 1; break }
            buffer.append(c)
        }
        let s = String(decoding: buffer, as: UTF8.self)
        return (Self.literals[s] ?? .identifier, s)
    }

    func lookahead(_ context: Context) -> (Token, String) {
        var (t, l) = items[position]
        if context == .values, t == .in || t == .notIn { t = .identifier }
        return (t, l)
    }

    mutating func consume(_ context: Context) -> (Token, String) {
        let r = lookahead(context)
        position += 1
        return r
    }

    mutating func parse() throws -> [LabelSelectorExpression.Requirement] {
        while true {
            let item = lex()
            items.append(item)
            if item.0 == .endOfString { break }
        }
        var requirements = [LabelSelectorExpression.Requirement]()
        while true {
            let (tok, lit) = lookahead(.values)
            switch tok {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch let e as SelectorError {
                    throw SelectorError("unable to parse requirement: \(e.message)")
                }
                let (t, l) = consume(.values)
                switch t {
                case .endOfString:
                    return requirements
                case .comma:
                    let (t2, l2) = lookahead(.values)
                    if t2 != .identifier && t2 != .doesNotExist {
                        throw SelectorError("found '\(l2)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(l)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw SelectorError("found '\(lit)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws -> LabelSelectorExpression.Requirement {
        // Key, and the unary operators.
        var op: LabelSelectorExpression.Operator?
        var (tok, literal) = consume(.values)
        if tok == .doesNotExist {
            op = .doesNotExist
            (tok, literal) = consume(.values)
        }
        guard tok == .identifier else { throw SelectorError("found '\(literal)', expected: identifier") }
        let keyErrors = LabelValidation.qualifiedNameErrors(literal)
        if !keyErrors.isEmpty {
            throw SelectorError(LabelValidation.invalid("<nil>", literal, keyErrors.joined(separator: "; ")))
        }
        let key = literal
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma {
            if op != .doesNotExist { op = .exists }
        }
        if let op, op == .exists || op == .doesNotExist {
            return try LabelSelectorExpression.Requirement(key: key, operator: op, values: [])
        }
        // Binary operator.
        let (opTok, opLit) = consume(.keyAndOperator)
        let binary: LabelSelectorExpression.Operator
        switch opTok {
        case .in: binary = .in
        case .equals: binary = .equals
        case .doubleEquals: binary = .doubleEquals
        case .greaterThan: binary = .greaterThan
        case .lessThan: binary = .lessThan
        case .notIn: binary = .notIn
        case .notEquals: binary = .notEquals
        default: throw SelectorError("found '\(opLit)', expected: in, notin, =, ==, !=, gt, lt")
        }
        let values: Set<String>
        switch binary {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try LabelSelectorExpression.Requirement(key: key, operator: binary, values: values.sorted())
    }

    mutating func parseValues() throws -> Set<String> {
        let (tok, lit) = consume(.values)
        guard tok == .openPar else { throw SelectorError("found '\(lit)' expected: '('") }
        let (t, l) = lookahead(.values)
        switch t {
        case .identifier, .comma:
            let s = try parseIdentifiersList()
            if consume(.values).0 != .closedPar { throw SelectorError("found '\(l)', expected: ')'") }
            return s
        case .closedPar:
            _ = consume(.values)
            return [""]
        default:
            throw SelectorError("found '\(l)', expected: ',', ')' or identifier")
        }
    }

    mutating func parseIdentifiersList() throws -> Set<String> {
        var s = Set<String>()
        while true {
            let (tok, lit) = consume(.values)
            switch tok {
            case .identifier:
                s.insert(lit)
                let (t2, l2) = lookahead(.values)
                switch t2 {
                case .comma: continue
                case .closedPar: return s
                default: throw SelectorError("found '\(l2)', expected: ',' or ')'")
                }
            case .comma:
                if s.isEmpty { s.insert("") }
                let (t2, _) = lookahead(.values)
                if t2 == .closedPar { s.insert(""); return s }
                if t2 == .comma { _ = consume(.values); s.insert("") }
            default:
                throw SelectorError("found '\(lit)', expected: ',', or identifier")
            }
        }
    }

    mutating func parseExactValue() throws -> Set<String> {
        let (t, _) = lookahead(.values)
        if t == .endOfString || t == .comma { return [""] }
        let (tok, lit) = consume(.values)
        if tok == .identifier { return [lit] }
        throw SelectorError("found '\(lit)', expected: identifier")
    }
}
