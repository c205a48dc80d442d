/// The protobuf wire types Kubernetes messages use (groups, wire types 3 and 4, are never used and rejected).
enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}
