import Foundation

extension Runc {
    /// The part of runc's `<root>/<id>/state.json` that removing a stopped container and signalling a running one
    /// without a runc process need.
    struct StateFile: Decodable {
        struct Config: Decodable {
            struct Hooks: Decodable { var poststop: [AnyHook]? }
            struct Namespace: Decodable {
                /// `NEWPID`, `NEWNET`, … (libcontainer's names).
                var type: String
                /// Empty for a namespace made for the container, else the namespace it joined.
                var path: String?
            }
            var hooks: Hooks?
            var namespaces: [Namespace]?
        }
        /// A hook's fields are not read, only whether there are any.
        struct AnyHook: Decodable {
            init(from decoder: any Decoder) throws {}
        }

        var initProcessPID: Int32
        var initProcessStart: UInt64
        var cgroupPaths: [String: String]
        var intelRdtPath: String?
        var config: Config?

        enum CodingKeys: String, CodingKey {
            case initProcessPID = "init_process_pid", initProcessStart = "init_process_start", cgroupPaths = "cgroup_paths"
            case intelRdtPath = "intel_rdt_path", config
        }

        /// Whether the container's init is the first process of a PID namespace made for it (not the host's, not a
        /// pod's it joined): then its death takes every other process of the container with it.
        var ownsPIDNamespace: Bool {
            config?.namespaces?.contains { $0.type == "NEWPID" && ($0.path ?? "").isEmpty } ?? false
        }

        /// Reads `<root>/<id>/state.json`; nil when it is missing or does not parse.
        static func read(root: String, id: String) -> StateFile? {
            guard let data = FileManager.default.contents(atPath: root + "/" + id + "/state.json") else { return nil }
            return try? JSONDecoder().decode(StateFile.self, from: data)
        }
    }
}
