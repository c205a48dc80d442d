import Foundation

/// Where the tests find plugin executables: ours next to the test bundle, the reference ones from
/// Debian's containernetworking-plugins.
enum PluginBinaries {
    /// The directory holding the built products (`.build/debug` or `.build/<triple>/debug`).
    static let buildDirectory: String = {
        let candidates = [Bundle.main.executableURL?.path, CommandLine.arguments.first, Bundle.main.bundlePath]
            .compactMap { $0 }
        for candidate in candidates {
            var directory = URL(fileURLWithPath: candidate).deletingLastPathComponent()
            for _ in 0..<4 {
                if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("swiftlet-host-local").path) {
                    return directory.path
                }
                directory.deleteLastPathComponent()
            }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }()

    /// Our executable `name` (`swiftlet-host-local`, …).
    static func ours(_ name: String) -> String { buildDirectory + "/" + name }

    /// The reference plugin `name` from `/usr/lib/cni`.
    static func reference(_ name: String) -> String { "/usr/lib/cni/" + name }

    static var referenceAvailable: Bool { FileManager.default.isExecutableFile(atPath: reference("host-local")) }
}
