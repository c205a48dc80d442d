import Foundation
import KubeAPI
import Testing
import TestSupport

/// The fields only a LoadBalancer Service has, as upstream's `ValidateService` / `ValidateServiceUpdate` and service
/// strategy treat them: `allocateLoadBalancerNodePorts` defaulted to true on a LoadBalancer and forbidden elsewhere;
/// `loadBalancerClass` forbidden elsewhere, a qualified name, fixed once the LoadBalancer exists, dropped (when left
/// as it was) with the type. Refusals are checked as upstream's 422 `Status` (reason, and each cause's reason, field
/// and message) and as kubectl prints them.
@Suite("Service load balancer fields", .timeLimit(.minutes(3)))
struct ServiceLoadBalancerFieldTests {
    /// Upstream's `IsQualifiedName` message for a name part that is not one.
    static let nameFormat = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let onlyLoadBalancer = "Forbidden: may only be used when `type` is 'LoadBalancer'"

    /// A refused write's `Status`: its code, reason and message, and each cause as `reason field: message`.
    struct Refusal: CustomStringConvertible {
        var code: Int
        var reason: String
        var message: String
        var causes: [String]
        var description: String { "\(code) \(reason) \(message) \(causes)" }
    }

    static func refusal(_ response: (code: Int, body: String)) throws -> Refusal {
        let status = try JSONValue(parsing: Data(response.body.utf8))
        let causes = status[path: ["details", "causes"]]?.arrayValue?.map { cause in
            "\(cause["reason"]?.stringValue ?? "") \(cause["field"]?.stringValue ?? ""): \(cause["message"]?.stringValue ?? "")"
        }
        return Refusal(code: response.code, reason: status["reason"]?.stringValue ?? "", message: status["message"]?.stringValue ?? "", causes: causes ?? [])
    }

    @Test("Forbidden on other types: loadBalancerClass and allocateLoadBalancerNodePorts on a NodePort Service, in upstream's order; a LoadBalancer's class must be a qualified name")
    func refusedOnCreate() async throws {
        let k = try await KubectlHarness(controllers: false)
        let services = "/api/v1/namespaces/default/services"
        func create(_ name: String, _ spec: String) async throws -> Refusal {
            try Self.refusal(await k.curl("POST", services, body: """
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"\(name)"},"spec":{\(spec),"ports":[{"port":80}]}}
                """))
        }

        let nodePort = try await create("np", #""type":"NodePort","loadBalancerClass":"example.com/lb","allocateLoadBalancerNodePorts":false"#)
        #expect(nodePort.code == 422 && nodePort.reason == "Invalid", "\(nodePort)")
        #expect(nodePort.causes == [
            "FieldValueForbidden spec.allocateLoadBalancerNodePorts: \(Self.onlyLoadBalancer)",
            "FieldValueForbidden spec.loadBalancerClass: \(Self.onlyLoadBalancer)",
        ], "\(nodePort)")
        #expect(nodePort.message == """
            Service "np" is invalid: [spec.allocateLoadBalancerNodePorts: \(Self.onlyLoadBalancer), spec.loadBalancerClass: \(Self.onlyLoadBalancer)]
            """, "\(nodePort)")

        let badName = try await create("lb", #""type":"LoadBalancer","loadBalancerClass":"example.com/not a name""#)
        #expect(badName.code == 422 && badName.reason == "Invalid", "\(badName)")
        #expect(badName.causes == [#"FieldValueInvalid spec.loadBalancerClass: Invalid value: "example.com/not a name": \#(Self.nameFormat)"#], "\(badName)")
        let badPrefix = try await create("lb", #""type":"LoadBalancer","loadBalancerClass":"/lb""#)
        #expect(badPrefix.causes == [#"FieldValueInvalid spec.loadBalancerClass: Invalid value: "/lb": prefix part must be non-empty"#], "\(badPrefix)")

        // kubectl prints them as upstream's server words them.
        let onClusterIP = try await k.applyService("plain", type: "ClusterIP", spec: ["loadBalancerClass: example.com/lb"])
        #expect(onClusterIP.stderr.contains(#"The Service "plain" is invalid: spec.loadBalancerClass: \#(Self.onlyLoadBalancer)"#), "\(onClusterIP)")
        let onExternalName = try await k.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: external}
            spec: {type: ExternalName, externalName: example.com, allocateLoadBalancerNodePorts: true}
            """)
        #expect(onExternalName.stderr.contains(#"The Service "external" is invalid: spec.allocateLoadBalancerNodePorts: \#(Self.onlyLoadBalancer)"#),
                "\(onExternalName)")
        // Nothing refused was stored.
        let stored = try await k.ok("get", "services", "-o", "name").split(separator: "\n")
        #expect(stored.allSatisfy { !["service/np", "service/lb", "service/plain", "service/external"].contains($0) }, "\(stored)")
    }

    @Test("A LoadBalancer's class: kept, may not change, be added or be removed (printed as \"null\"); a bad new class reported twice in the causes, once in the message; dropped with the type when left as it was, kept (and refused) when changed with it")
    func classIsImmutableAndDroppedWithTheType() async throws {
        let k = try await KubectlHarness(controllers: false)
        func field(_ service: String, _ path: String) async throws -> String { try await k.serviceField(service, path) }
        func patch(_ service: String, _ body: String) async throws -> Refusal {
            try Self.refusal(await k.curl("PATCH", "/api/v1/namespaces/default/services/\(service)", body: body,
                                          contentType: "application/merge-patch+json"))
        }

        #expect(try await k.applyService("lb", type: "LoadBalancer", spec: ["loadBalancerClass: example.com/lb"]).status == 0)
        #expect(try await field("lb", ".spec.loadBalancerClass") == "example.com/lb")
        #expect(try await field("lb", ".spec.allocateLoadBalancerNodePorts") == "true")
        // Another field changes; the class stays.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"sessionAffinity":"ClientIP"}}"#)
        #expect(try await field("lb", ".spec.loadBalancerClass") == "example.com/lb")

        let changed = try await patch("lb", #"{"spec":{"loadBalancerClass":"example.com/other"}}"#)
        #expect(changed.code == 422 && changed.reason == "Invalid", "\(changed)")
        #expect(changed.causes == [#"FieldValueInvalid spec.loadBalancerClass: Invalid value: "example.com/other": may not change once set"#], "\(changed)")
        let removed = try await k.refused(["patch", "service", "lb", "-p", #"{"spec":{"loadBalancerClass":null}}"#])
        #expect(removed.contains(#"The Service "lb" is invalid: spec.loadBalancerClass: Invalid value: "null": may not change once set"#), "\(removed)")
        // A PUT of a manifest without it removes it too.
        let replaced = try await k.kubectl(["replace", "-f", "-"], stdin: k.serviceManifest("lb", type: "LoadBalancer"))
        #expect(replaced.stderr.contains(#"spec.loadBalancerClass: Invalid value: "null": may not change once set"#), "\(replaced)")
        // A bad new class: the update's check and the create's, the format problem twice among the causes.
        let bad = try await patch("lb", #"{"spec":{"loadBalancerClass":"not a name"}}"#)
        let format = #"spec.loadBalancerClass: Invalid value: "not a name": \#(Self.nameFormat)"#
        #expect(bad.causes == [#"FieldValueInvalid spec.loadBalancerClass: Invalid value: "not a name": may not change once set"#,
                               "FieldValueInvalid \(format)", "FieldValueInvalid \(format)"], "\(bad)")
        #expect(bad.message == #"Service "lb" is invalid: [spec.loadBalancerClass: Invalid value: "not a name": may not change once set, \#(format)]"#, "\(bad)")
        #expect(try await field("lb", ".spec.loadBalancerClass") == "example.com/lb")

        // A LoadBalancer created without one cannot get one.
        #expect(try await k.applyService("classless", type: "LoadBalancer").status == 0)
        let added = try await patch("classless", #"{"spec":{"loadBalancerClass":"example.com/lb"}}"#)
        #expect(added.causes == [#"FieldValueInvalid spec.loadBalancerClass: Invalid value: "example.com/lb": may not change once set"#], "\(added)")

        // Away from LoadBalancer with the class (and allocateLoadBalancerNodePorts) as they were: both dropped.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"type":"ClusterIP"}}"#)
        #expect(try await field("lb", ".spec.loadBalancerClass").isEmpty)
        #expect(try await field("lb", ".spec.allocateLoadBalancerNodePorts").isEmpty)
        // Back to LoadBalancer: a class may be chosen again, and allocateLoadBalancerNodePorts is defaulted.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/other"}}"#)
        #expect(try await field("lb", ".spec.loadBalancerClass") == "example.com/other")
        #expect(try await field("lb", ".spec.allocateLoadBalancerNodePorts") == "true")

        // Away from LoadBalancer changing them on the way: kept, and refused on the new type (the class by the update's
        // check and again by the create's).
        let newClass = try await patch("lb", #"{"spec":{"type":"NodePort","loadBalancerClass":"example.com/third"}}"#)
        #expect(newClass.code == 422 && newClass.causes == Array(repeating: "FieldValueForbidden spec.loadBalancerClass: \(Self.onlyLoadBalancer)", count: 2),
                "\(newClass)")
        #expect(newClass.message == #"Service "lb" is invalid: spec.loadBalancerClass: \#(Self.onlyLoadBalancer)"#, "\(newClass)")
        let noAllocation = try await k.refused(["patch", "service", "lb", "-p", #"{"spec":{"type":"NodePort","allocateLoadBalancerNodePorts":false}}"#])
        #expect(noAllocation.contains(#"The Service "lb" is invalid: spec.allocateLoadBalancerNodePorts: \#(Self.onlyLoadBalancer)"#), "\(noAllocation)")
        #expect(try await field("lb", ".spec.type") == "LoadBalancer")
        // A NodePort Service may not gain either.
        #expect(try await k.applyService("np", type: "NodePort").status == 0)
        let gained = try await patch("np", #"{"spec":{"allocateLoadBalancerNodePorts":true,"loadBalancerClass":"example.com/lb"}}"#)
        #expect(gained.causes == ["FieldValueForbidden spec.loadBalancerClass: \(Self.onlyLoadBalancer)",
                                  "FieldValueForbidden spec.allocateLoadBalancerNodePorts: \(Self.onlyLoadBalancer)",
                                  "FieldValueForbidden spec.loadBalancerClass: \(Self.onlyLoadBalancer)"], "\(gained)")
        #expect(gained.message == """
            Service "np" is invalid: [spec.loadBalancerClass: \(Self.onlyLoadBalancer), spec.allocateLoadBalancerNodePorts: \(Self.onlyLoadBalancer)]
            """, "\(gained)")
    }
}
