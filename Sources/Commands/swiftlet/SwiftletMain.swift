import ArgumentParser
import SwiftletCommands

/// The `swiftlet` executable: everything lives in `SwiftletCommands`.
@main
struct SwiftletMain: AsyncMainProtocol {
    typealias Command = Swiftlet
}
