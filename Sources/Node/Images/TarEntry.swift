/// One member of a tar archive as the unpacker needs it, with GNU long names and PAX records already applied.
struct TarEntry: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case file, hardlink, symlink, characterDevice, blockDevice, directory, fifo
        /// Types an image layer has no use for (GNU sparse, volume labels …), skipped with their data.
        case other(UInt8)
    }

    var path: String
    var kind: Kind
    var linkTarget: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    /// Seconds since the epoch, with PAX sub-second precision when present.
    var mtime: Double
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    /// `SCHILY.xattr.<name>` PAX records: extended attributes to set on the entry.
    var xattrs: [String: [UInt8]]
}
