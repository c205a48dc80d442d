/// One protobuf message type of the Kubernetes API: its fields by number, with their JSON names.
///
/// The tables (`Schemas+Core.swift`, …) transcribe upstream's `generated.proto` files; the JSON names and the
/// `keepsZero`/`inline` options come from the Go types' `json` tags. Message names are short:
/// `core.v1.Pod`, `meta.v1.ObjectMeta`.
struct MessageSchema: Sendable {
    let name: String
    /// Sorted by field number, the order Go's marshaller writes them in.
    let fields: [Field]
    private let indexByNumber: [Int: Int]

    init(_ name: String, _ fields: [Field]) {
        self.name = name
        self.fields = fields.sorted { $0.number < $1.number }
        self.indexByNumber = Dictionary(uniqueKeysWithValues: self.fields.enumerated().map { ($1.number, $0) })
    }

    func field(number: Int) -> Field? {
        indexByNumber[number].map { fields[$0] }
    }
}

/// One field of a message.
struct Field: Sendable {
    let number: Int
    /// The JSON member name (for an `inline` field, only a label: its members sit in the parent object).
    let name: String
    let type: FieldType
    let options: FieldOptions

    init(_ number: Int, _ name: String, _ type: FieldType, _ options: FieldOptions = []) {
        self.number = number
        self.name = name
        self.type = type
        self.options = options
    }
}

/// What a field holds and how it maps to JSON.
indirect enum FieldType: Sendable {
    case string
    /// Raw bytes; base64 text in JSON.
    case bytes
    case bool
    case int32
    case int64
    /// `resource.Quantity`, the message `{string string = 1}`; a JSON string such as `"500m"`.
    case quantity
    /// `intstr.IntOrString`, the message `{type = 1, intVal = 2, strVal = 3}`; a JSON number or string.
    case intOrString
    /// meta `Time`, the message `{seconds = 1, nanos = 2}`; RFC 3339 text with whole seconds.
    case time
    /// meta `MicroTime`, the same message; RFC 3339 text with six fractional digits.
    case microTime
    /// `runtime.RawExtension` or meta `FieldsV1`, the message `{bytes raw = 1}` holding JSON; that JSON, embedded.
    case rawJSON
    /// A message `{repeated string items = 1}` written in JSON as a plain array of strings (upstream's
    /// `ExtraValue`, a `[]string` type with its own protobuf message).
    case stringList
    /// Another message, by schema name.
    case message(String)
    /// A `map<string, V>`: repeated entry messages `{key = 1, value = 2}`; a JSON object.
    case map(FieldType)
}

/// How a field repeats and how its zero value maps to JSON.
struct FieldOptions: OptionSet, Sendable {
    let rawValue: UInt8

    /// A repeated field: a JSON array.
    static let repeated = FieldOptions(rawValue: 1)
    /// A Go struct embedded with `json:",inline"` (`Volume.volumeSource`, `Probe.handler`): its members are
    /// members of the parent JSON object.
    static let inline = FieldOptions(rawValue: 2)
    /// The Go field is a pointer or lacks `omitempty`, so a zero value (`0`, `""`, `false`) is printed in JSON.
    /// Without it a zero value is dropped, as Go's JSON encoder would: Go's protobuf marshaller writes every
    /// non-pointer field, so presence on the wire says nothing about whether the client set it.
    static let keepsZero = FieldOptions(rawValue: 4)
}
