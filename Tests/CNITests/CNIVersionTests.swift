import CNI
import Testing

@Suite struct CNIVersionTests {
    @Test func parsesAndOrdersNumerically() throws {
        #expect(try CNIVersion(parsing: "0.10.0") > CNIVersion(parsing: "0.4.0"))
        #expect(try CNIVersion(parsing: "1") == CNIVersion(1, 0, 0))
        #expect(try CNIVersion(parsing: "") == CNIVersion(0, 1, 0))
        #expect(CNIVersion.current.description == "1.1.0")
    }

    @Test(arguments: ["1.x.0", "1.0.0.0", "-1.0", "a"])
    func rejectsMalformedVersions(_ text: String) {
        #expect(throws: CNIError.self) { try CNIVersion(parsing: text) }
        do { _ = try CNIVersion(parsing: text) } catch { #expect(error.code == .decodingFailure) }
    }

    @Test func verbsHaveTheSpecsMinimumVersions() {
        #expect(Command.check.minimumVersion == CNIVersion(0, 4, 0))
        #expect(Command.garbageCollect.minimumVersion == CNIVersion(1, 1, 0))
        #expect(Command.status.minimumVersion == CNIVersion(1, 1, 0))
        #expect(Command.add.minimumVersion == nil)
    }
}
