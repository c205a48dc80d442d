import CNI
import Foundation
import Testing

/// The skel behaviour: env validation, version negotiation, error JSON shape, exit codes.
@Suite struct PluginRunnerTests {
    struct Recorder: Plugin {
        var supportedVersions: [CNIVersion] { [CNIVersion(0, 3, 1), CNIVersion(0, 4, 0), CNIVersion(1, 0, 0), CNIVersion(1, 1, 0)] }
        func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
            CNIResult(cniVersion: .current, interfaces: [.init(name: request.ifName, mtu: 1500)])
        }
        func delete(_ request: PluginRequest) async throws(CNIError) {}
    }

    let runner = PluginRunner(plugin: Recorder(), about: "recorder")
    let config = #"{"cniVersion":"1.0.0","name":"net","type":"recorder"}"#

    func error(_ outcome: PluginRunner<Recorder>.Outcome) throws -> [String: Any] {
        #expect(outcome.exitCode == 1)
        #expect(!outcome.stderr.isEmpty)
        return try #require(JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
    }

    @Test func addPrintsTheResultInTheConfigVersion() async throws {
        let outcome = await runner.run(environment: cniEnvironment("ADD"), stdin: #"{"cniVersion":"0.4.0","name":"net"}"#.data)
        #expect(outcome.exitCode == 0)
        let json = try #require(JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        #expect(json["cniVersion"] as? String == "0.4.0")
        #expect((json["interfaces"] as? [[String: Any]])?.first?["mtu"] == nil)
    }

    @Test func versionAnswersWithoutStdin() async throws {
        let outcome = await runner.run(environment: ["CNI_COMMAND": "VERSION"], stdin: Data())
        #expect(outcome.exitCode == 0)
        let info = try JSONDecoder().decode(VersionInfo.self, from: outcome.stdout)
        #expect(info.cniVersion == "1.1.0")
        #expect(info.supportedVersions == ["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    }

    @Test func errorJSONHasTheSpecShape() async throws {
        let json = try error(await runner.run(environment: cniEnvironment("ADD"), stdin: "garbage".data))
        #expect(json["code"] as? Int == 6)
        #expect(json["cniVersion"] as? String == "1.1.0")
        #expect(json["msg"] is String)
        #expect(Set(json.keys).isSubset(of: ["cniVersion", "code", "msg", "details"]))
    }

    @Test(arguments: [
        ("ADD", [String](), "CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH"),
        ("DEL", ["CNI_NETNS"], "CNI_CONTAINERID,CNI_IFNAME,CNI_PATH"),
        ("GC", ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"], "CNI_PATH"),
        ("STATUS", ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"], "CNI_PATH"),
    ])
    func missingEnvironmentIsCode4(command: String, present: [String], missing: String) async throws {
        let full = cniEnvironment(command)
        let environment = full.filter { $0.key == "CNI_COMMAND" || present.contains($0.key) }
        let json = try error(await runner.run(environment: environment, stdin: config.data))
        #expect(json["code"] as? Int == 4)
        #expect(json["msg"] as? String == "required env variables [\(missing)] missing")
    }

    @Test func gcAndStatusNeedOnlyPath() async {
        for command in ["GC", "STATUS"] {
            let outcome = await runner.run(
                environment: ["CNI_COMMAND": command, "CNI_PATH": "/usr/lib/cni"],
                stdin: #"{"cniVersion":"1.1.0","name":"net"}"#.data)
            #expect(outcome.exitCode == 0, "\(command): \(String(decoding: outcome.stdout, as: UTF8.self))")
        }
    }

    @Test func invalidEnvironmentValues() async throws {
        for (key, value) in [("CNI_IFNAME", "eth0/1"), ("CNI_IFNAME", "a-very-long-ifname"), ("CNI_CONTAINERID", "-bad"), ("CNI_ARGS", "K8S=a=b"), ("CNI_COMMAND", "FROB")] {
            var environment = cniEnvironment("ADD")
            environment[key] = value
            let json = try error(await runner.run(environment: environment, stdin: config.data))
            #expect(json["code"] as? Int == 4, "\(key)=\(value)")
        }
    }

    @Test func networkNameIsRequiredAndValidated() async throws {
        for stdin in [#"{"cniVersion":"1.0.0"}"#, #"{"cniVersion":"1.0.0","name":"bad name"}"#] {
            let json = try error(await runner.run(environment: cniEnvironment("ADD"), stdin: stdin.data))
            #expect(json["code"] as? Int == 7)
        }
    }

    @Test func unsupportedVersionIsCode1WithDetails() async throws {
        let json = try error(await runner.run(environment: cniEnvironment("ADD"), stdin: #"{"cniVersion":"0.2.0","name":"net"}"#.data))
        #expect(json["code"] as? Int == 1)
        #expect(json["msg"] as? String == "incompatible CNI versions")
        #expect(json["details"] as? String == #"config is "0.2.0", plugin supports ["0.3.1" "0.4.0" "1.0.0" "1.1.0"]"#)
        #expect(json["cniVersion"] as? String == "0.2.0")
    }

    @Test(arguments: [("CHECK", "0.3.1"), ("GC", "1.0.0"), ("STATUS", "0.4.0")])
    func verbsNeedTheirMinimumVersion(command: String, version: String) async throws {
        let json = try error(await runner.run(environment: cniEnvironment(command), stdin: "{\"cniVersion\":\"\(version)\",\"name\":\"net\"}".data))
        #expect(json["code"] as? Int == 1)
        #expect(json["msg"] as? String == "config version does not allow \(command)")
    }

    @Test func noCommandPrintsAboutToStderr() async {
        let outcome = await runner.run(environment: [:], stdin: Data())
        #expect(outcome.exitCode == 0)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.hasPrefix("recorder\nCNI protocol versions supported: 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
    }
}

extension String {
    var data: Data { Data(utf8) }
}
