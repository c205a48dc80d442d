import CNI
import Foundation
import Testing

/// The exec path every runtime and delegating plugin call goes through: big outputs, plugins that
/// ignore stdin, error JSON and bare failures.
@Suite struct ProcessExecTests {
    func script(_ body: String) throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory("exec")
        let path = directory.path + "/plugin"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (directory, path)
    }

    @Test func collectsLargeOutputsOnBothStreams() async throws {
        let (directory, path) = try script("cat >/dev/null; head -c 300000 /dev/zero | tr '\\\\0' a; head -c 100000 /dev/zero | tr '\\\\0' b >&2")
        defer { directory.remove() }
        let logged = LockedText()
        let exec = ProcessExec(logStderr: { logged.append($0) })
        let stdout = try await exec.execute(path, stdin: Data(repeating: 0x7b, count: 200_000), environment: [:])
        #expect(stdout.count == 300_000)
        #expect(logged.value.count == 100_000)
    }

    @Test func aPluginIgnoringStdinDoesNotKillTheCaller() async throws {
        let (directory, path) = try script(#"echo '{"cniVersion":"1.0.0"}'"#)
        defer { directory.remove() }
        let stdout = try await ProcessExec().execute(path, stdin: Data(repeating: 0x20, count: 4 << 20), environment: [:])
        #expect(String(decoding: stdout, as: UTF8.self) == #"{"cniVersion":"1.0.0"}"# + "\n")
    }

    @Test func errorJSONIsPassedThrough() async throws {
        let (directory, path) = try script(#"echo '{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"later"}'; exit 1"#)
        defer { directory.remove() }
        do {
            _ = try await ProcessExec().execute(path, stdin: Data(), environment: [:])
            Issue.record("succeeded")
        } catch {
            #expect(error == CNIError(.tryAgainLater, "busy", details: "later", cniVersion: "1.0.0"))
        }
    }

    @Test func bareFailureCarriesStderrAndStatus() async throws {
        let (directory, path) = try script("echo boom >&2; exit 3")
        defer { directory.remove() }
        do {
            _ = try await ProcessExec().execute(path, stdin: Data(), environment: [:])
            Issue.record("succeeded")
        } catch {
            #expect(error.code == .pluginExecutionFailure)
            #expect(error.msg == "netplugin failed: \"boom\n\": exit status 3")
        }
    }

    @Test func environmentIsExactlyWhatWasGiven() async throws {
        let (directory, path) = try script("env | sort")
        defer { directory.remove() }
        let stdout = try await ProcessExec().execute(path, stdin: Data(), environment: ["CNI_COMMAND": "ADD", "A": "b=c"])
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("PWD=") && !$0.hasPrefix("SHLVL=") && !$0.hasPrefix("_=") }
        #expect(lines == ["A=b=c", "CNI_COMMAND=ADD"])
    }

    @Test func missingPluginIsReported() throws {
        #expect(throws: CNIError.self) { try PluginLocator.find("nope", in: ["/nonexistent", "/usr/lib/cni"]) }
        #expect(throws: CNIError.self) { try PluginLocator.find("../bin/sh", in: ["/usr/lib/cni"]) }
        let found = try PluginLocator.find("host-local", in: ["/nonexistent", "/usr/lib/cni"])
        #expect(found == "/usr/lib/cni/host-local")
    }
}

/// Text appended from a `@Sendable` callback.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    func append(_ more: String) { lock.withLock { text += more } }
    var value: String { lock.withLock { text } }
}
