/// The `CNI_*` variables a runtime passes to a plugin, parsed and validated per verb like upstream's skel.
///
/// Required variables: ADD and CHECK need all of COMMAND, CONTAINERID, NETNS, IFNAME, PATH; DEL needs
/// COMMAND, CONTAINERID, IFNAME, PATH; GC needs COMMAND and PATH; STATUS needs COMMAND and PATH (the
/// spec only asks for PATH, but the command has to be named to be STATUS at all); VERSION needs only
/// COMMAND. A missing one is code 4 listing every name missing.
public struct PluginEnvironment: Sendable {
    public var command: Command
    public var containerID: String
    /// Path to the network namespace (`/var/run/netns/…` or `/proc/<pid>/ns/net`).
    public var netns: String
    public var ifName: String
    /// `CNI_ARGS` as ordered key/value pairs (`IgnoreUnknown=1;K8S_POD_NAME=web`).
    public var args: [(key: String, value: String)]
    /// `CNI_PATH` split on `:`.
    public var path: [String]

    public init(
        command: Command, containerID: String = "", netns: String = "", ifName: String = "",
        args: [(key: String, value: String)] = [], path: [String] = []
    ) {
        self.command = command
        self.containerID = containerID
        self.netns = netns
        self.ifName = ifName
        self.args = args
        self.path = path
    }

    /// Reads and validates the variables `environment` holds for its `CNI_COMMAND`.
    public init(_ environment: [String: String]) throws(CNIError) {
        let value = { (name: String) in environment[name] ?? "" }
        let commandText = value("CNI_COMMAND")
        let command = Command(rawValue: commandText)
        let required: [String] =
            switch command {
            case .add?, .check?: ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]
            case .delete?: ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]
            case .garbageCollect?, .status?: ["CNI_COMMAND", "CNI_PATH"]
            case .version?, nil: ["CNI_COMMAND"]
            }
        let missing = required.filter { value($0).isEmpty }
        guard missing.isEmpty else {
            throw CNIError(.invalidEnvironment, "required env variables [\(missing.joined(separator: ","))] missing")
        }
        guard let command else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND: \(commandText)")
        }
        if required.contains("CNI_CONTAINERID") {
            try Self.validateContainerID(value("CNI_CONTAINERID"))
            try Self.validateInterfaceName(value("CNI_IFNAME"))
        }
        self.init(
            command: command, containerID: value("CNI_CONTAINERID"), netns: value("CNI_NETNS"),
            ifName: value("CNI_IFNAME"), args: try Self.parseArgs(value("CNI_ARGS")),
            path: value("CNI_PATH").split(separator: ":").map(String.init))
    }

    /// The variables to hand a plugin (`CNI_ARGS` joined back with `;`).
    public var variables: [String: String] {
        [
            "CNI_COMMAND": command.rawValue,
            "CNI_CONTAINERID": containerID,
            "CNI_NETNS": netns,
            "CNI_IFNAME": ifName,
            "CNI_ARGS": args.map { "\($0.key)=\($0.value)" }.joined(separator: ";"),
            "CNI_PATH": path.joined(separator: ":"),
        ]
    }

    /// Splits `K=V;K2=V2`; a pair without exactly one `=` is code 4.
    static func parseArgs(_ text: String) throws(CNIError) -> [(key: String, value: String)] {
        guard !text.isEmpty else { return [] }
        var pairs: [(key: String, value: String)] = []
        for pair in text.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw CNIError(.invalidEnvironment, "ARGS: invalid pair \"\(pair)\"")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        return pairs
    }

    /// Container IDs are `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (libcni `ValidateContainerID`).
    static func validateContainerID(_ id: String) throws(CNIError) {
        guard NameRules.isValid(id) else {
            throw CNIError(.invalidEnvironment, "invalid characters in containerID", details: id)
        }
    }

    /// Interface names are 1–15 bytes, not `.`/`..`, without `/`, `:` or whitespace.
    static func validateInterfaceName(_ name: String) throws(CNIError) {
        guard name.utf8.count <= 15 else {
            throw CNIError(
                .invalidEnvironment, "interface name is too long",
                details: "interface name should be less than 16 characters")
        }
        guard name != ".", name != ".." else {
            throw CNIError(.invalidEnvironment, "interface name is . or ..")
        }
        guard !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) else {
            throw CNIError(.invalidEnvironment, "interface name contains / or : or whitespace characters")
        }
    }
}

/// The character rule libcni applies to container IDs and network names.
enum NameRules {
    /// Whether `text` matches `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`.
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.dropFirst().allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
