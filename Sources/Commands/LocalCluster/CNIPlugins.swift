import Foundation

/// Our CNI plugin executables, built next to `swiftlet`.
public enum CNIPlugins {
    public static let names = ["swiftlet-bridge", "swiftlet-host-local", "swiftlet-loopback", "swiftlet-portmap"]

    /// Copies the plugins from `source` (the build's bin directory) into `destination` (`/opt/cni/bin`), each through a
    /// temporary file and a rename so a plugin running right now is never overwritten in place. Nothing to do when
    /// the two are the same directory.
    public static func install(from source: String, to destination: String) throws(LocalClusterError) {
        let manager = FileManager.default
        guard URL(fileURLWithPath: source).standardizedFileURL != URL(fileURLWithPath: destination).standardizedFileURL else { return }
        try ClusterLauncher.makeDirectories([destination])
        for name in names {
            let from = source + "/" + name, to = destination + "/" + name, temporary = to + ".swiftlet-new"
            guard manager.isExecutableFile(atPath: from) else {
                throw LocalClusterError(.invalid, "CNI plugin \(from) is missing (build it: swift build --product \(name))")
            }
            do {
                try? manager.removeItem(atPath: temporary)
                try manager.copyItem(atPath: from, toPath: temporary)
                try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
                guard rename(temporary, to) == 0 else { throw CocoaError(.fileWriteUnknown) }
            } catch {
                throw LocalClusterError(.system, "cannot install \(to)", cause: error)
            }
        }
    }
}
