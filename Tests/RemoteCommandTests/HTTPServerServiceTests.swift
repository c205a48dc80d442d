import Foundation
import Hummingbird
import Logging
@testable import RemoteCommand
import ServiceLifecycle
import Testing

@Suite("HTTP server service")
struct HTTPServerServiceTests {
    @Test func dateHeaderValuesAreIMFFixdates() {
        #expect(HTTPDateHeader.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDateHeader.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDateHeader.format(1_796_428_800) == "Sat, 05 Dec 2026 00:00:00 GMT")
    }

    /// A real server on loopback, asked with curl: the route's answer with a current `Date`, a 404 for no route, and a
    /// 500 (not a dropped connection) when the handler throws.
    @Test func servesRoutesWithADateHeaderAndTurnsErrorsInto500() async throws {
        struct Broken: Error {}
        let router = Router()
        router.get("/hello") { _, _ in "hi" }
        router.get("/broken") { _, _ -> String in throw Broken() }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = HTTPServerService(router: router, address: .hostname("127.0.0.1", port: 0),
                                       onServerRunning: { listening.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "http-test"))
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let hello = try await curl("http://127.0.0.1:\(port)/hello")
        #expect(hello.status == 200 && hello.body == "hi", "\(hello)")
        let date = try #require(hello.headers["date"])
        let expected = (-1...2).map { HTTPDateHeader.format(time(nil) + $0) }
        #expect(expected.contains(date), "Date \(date), expected about \(expected)")
        #expect(try await curl("http://127.0.0.1:\(port)/nothing").status == 404)
        let broken = try await curl("http://127.0.0.1:\(port)/broken")
        #expect(broken.status == 500 && broken.headers["date"] != nil, "\(broken)")
    }

    /// In a service group, as every daemon runs it: a graceful shutdown ends the server (and its Date refresher)
    /// without an error, so the group — and the daemon — exit cleanly.
    @Test func aGracefulShutdownEndsTheServerWithoutAnError() async throws {
        let router = Router()
        router.get("/hello") { _, _ in "hi" }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "http-test")
        let server = HTTPServerService(router: router, address: .hostname("127.0.0.1", port: 0),
                                       onServerRunning: { listening.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        #expect(try await curl("http://127.0.0.1:\(port)/hello").status == 200)
        try await Task.sleep(for: .milliseconds(1_200))  // the Date refresher has slept and woken at least once
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// Status, lower-cased headers and body of a GET through curl, waited for on a thread of its own: blocking one of
    /// the few concurrency threads could starve the server under test.
    private func curl(_ url: String) async throws -> (status: Int, headers: [String: String], body: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try curlBlocking(url) }) }.start()
        }
    }

    private func curlBlocking(_ url: String) throws -> (status: Int, headers: [String: String], body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "-i", "--max-time", "10", url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
