import Foundation
import Testing
@testable import KubeAPI

@Suite struct LabelSelectorTests {
    @Test(arguments: ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"])
    func parsesUpstreamGoodStrings(_ text: String) throws {
        let s = try LabelSelectorExpression(parsing: text)
        #expect(s.description == text.replacingOccurrences(of: " ", with: ""))
    }

    @Test(arguments: ["x=a||y=b", "x==a==b", "!x=a", "x<a"])
    func rejectsUpstreamBadStrings(_ text: String) {
        #expect(throws: SelectorError.self) { try LabelSelectorExpression(parsing: text) }
    }

    @Test func setBasedSyntaxAndCanonicalOrder() throws {
        let s = try LabelSelectorExpression(parsing: "  env in (staging, prod),tier notin (db),app==web,!canary,release ")
        // Sorted by key, as upstream sorts requirements.
        #expect(s.description == "app==web,!canary,env in (prod,staging),release,tier notin (db)")
        #expect(try LabelSelectorExpression(parsing: "x=a,a=x").description == LabelSelectorExpression(parsing: "a=x,x=a").description)
        #expect(try LabelSelectorExpression(parsing: "x in (in, notin)").description == "x in (in,notin)")
        #expect(try LabelSelectorExpression(parsing: "x in ()").requirements.first?.values == [""])
        #expect(try LabelSelectorExpression(parsing: "x in (foo,,baz),y,z notin ()").description == "x in (,baz,foo),y,z notin ()")
        #expect(try LabelSelectorExpression(parsing: "example.com/app=web").requirements.first?.key == "example.com/app")
    }

    @Test func matchesLikeUpstream() throws {
        func m(_ sel: String, _ labels: [String: String]) throws -> Bool { try LabelSelectorExpression(parsing: sel).matches(labels) }
        #expect(try m("", ["x": "y"]))
        #expect(try m("x=y", ["x": "y"]))
        #expect(try m("x=y,z=w", ["x": "y", "z": "w"]))
        #expect(try m("x!=y,z!=w", ["x": "z", "z": "a"]))
        #expect(try m("notin=in", ["notin": "in"]))
        #expect(try m("x", ["x": "z"]))
        #expect(try m("!x", ["y": "z"]))
        #expect(try m("x>1", ["x": "2"]))
        #expect(try m("x<1", ["x": "0"]))
        #expect(try m("x in (a,b)", ["x": "b"]))
        #expect(try m("x notin (a,b)", ["y": "b"]))
        #expect(try !m("x=z", [:]))
        #expect(try !m("x=y", ["x": "z"]))
        #expect(try !m("x=y,z=w", ["x": "w", "z": "w"]))
        #expect(try !m("x!=y,z!=w", ["x": "z", "z": "w"]))
        #expect(try !m("x", ["y": "z"]))
        #expect(try !m("!x", ["x": "z"]))
        #expect(try !m("x>1", [:]))
        #expect(try !m("x>1", ["x": "0"]))
        #expect(try !m("x<1", ["x": "a"]))
        #expect(try !m("x in (a,b)", ["x": "c"]))
        #expect(try !m("x notin (a,b)", ["x": "a"]))
    }

    @Test func errorMessagesAreUpstreams() {
        func message(_ text: String) -> String {
            do { _ = try LabelSelectorExpression(parsing: text); return "" } catch { return "\(error)" }
        }
        let nameRule = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        #expect(message("a:") == "unable to parse requirement: <nil>: Invalid value: \"a:\": " + nameRule)
        #expect(message("env IN (a)") == "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt")
        #expect(message("x=a b") == "found 'b', expected: ',' or 'end of string'")
        #expect(message("x=a||y=b").hasPrefix("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label"))
        #expect(message("x=a,") == "found '', expected: identifier after ','")
        #expect(message(",x") == "found ',', expected: !, identifier, or 'end of string'")
        #expect(message("x in a") == "unable to parse requirement: found 'a' expected: '('")
        #expect(message("x in (a") == "unable to parse requirement: found '', expected: ',' or ')'")
        #expect(message("x in (a b)") == "unable to parse requirement: found 'b', expected: ',' or ')'")
        #expect(message("x=(a,b)") == "unable to parse requirement: found '(', expected: identifier")
        #expect(message("x<a") == "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer")
        #expect(message("x=-a") == "unable to parse requirement: values[0][x]: Invalid value: \"-a\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        #expect(message("Example.com/a=b").hasPrefix("unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"))
        #expect(message(String(repeating: "k", count: 64)) == "unable to parse requirement: <nil>: Invalid value: \"\(String(repeating: "k", count: 64))\": name part must be no more than 63 characters")
        #expect(message("x!!y") == "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt")
    }

    @Test func convertsMetaV1Selectors() throws {
        #expect(try LabelSelectorExpression(nil).matches([:]) == false)
        #expect(try LabelSelectorExpression(LabelSelector()).matches(["a": "b"]))
        let sel = LabelSelector(matchLabels: ["app": "web"], matchExpressions: [
            LabelSelectorRequirement(key: "tier", operator: "In", values: ["front", "edge"]),
            LabelSelectorRequirement(key: "canary", operator: "DoesNotExist"),
        ])
        let s = try LabelSelectorExpression(sel)
        #expect(s.description == "app=web,!canary,tier in (edge,front)")
        #expect(s.matches(["app": "web", "tier": "edge"]))
        #expect(!s.matches(["app": "web", "tier": "edge", "canary": "1"]))
        #expect(s.requiredValue(for: "app") == "web")
        #expect(throws: SelectorError("\"Gt\" is not a valid label selector operator")) {
            try LabelSelectorExpression(LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "a", operator: "Gt", values: ["1"])]))
        }
        #expect(throws: SelectorError("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")) {
            try LabelSelectorExpression(LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "a", operator: "In")]))
        }
        #expect(throws: SelectorError.self) { try LabelSelectorExpression(LabelSelector(matchLabels: ["bad key": "v"])) }
        // Node affinity allows Gt/Lt.
        let node = try LabelSelectorExpression(nodeSelectorRequirements: [
            NodeSelectorRequirement(key: "cores", operator: "Gt", values: ["3"]),
            NodeSelectorRequirement(key: "zone", operator: "In", values: ["a"]),
        ])
        #expect(node.matches(["cores": "4", "zone": "a"]))
        #expect(!node.matches(["cores": "3", "zone": "a"]))
        #expect(try !LabelSelectorExpression(nodeSelectorRequirements: []).matches([:]))
        // Selecting objects directly.
        let pod = Pod(metadata: ObjectMeta(name: "p", labels: ["app": "web"]))
        #expect(try LabelSelectorExpression(parsing: "app=web").matches(pod))
        #expect(LabelSelectorExpression(matchLabels: ["b": "2", "a": "1"]).description == "a=1,b=2")
    }
}

@Suite struct FieldSelectorTests {
    @Test(arguments: ["x=a,y=b,z=c", "", "x!=a,y=b", #"x=a||y\=b"#, #"x=a\=\=b"#])
    func parsesUpstreamGoodStrings(_ text: String) throws {
        #expect(try FieldSelector(parsing: text).description == text)
    }

    @Test(arguments: ["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"])
    func rejectsUpstreamBadStrings(_ text: String) {
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: text) }
    }

    @Test func parsingDetails() throws {
        #expect(try FieldSelector(parsing: "x=a,a=x").description == "a=x,x=a")
        #expect(try FieldSelector(parsing: "spec.nodeName==node-1").description == "spec.nodeName=node-1")
        #expect(try FieldSelector(parsing: #"metadata.name=a\,b"#).terms == [.init(field: "metadata.name", value: "a,b")])
        #expect(try FieldSelector(parsing: #"a=\\"#).terms.first?.value == "\\")
        #expect(try FieldSelector(parsing: "a=,").terms.first?.value == "")
        #expect(throws: SelectorError("invalid selector: 'x'; can't understand 'x'")) { try FieldSelector(parsing: "x") }
        #expect(throws: SelectorError("invalid field selector: invalid escape sequence: \\a")) { try FieldSelector(parsing: #"x=\a"#) }
        #expect(throws: SelectorError("invalid field selector: invalid escape sequence: \\")) { try FieldSelector(parsing: #"x=\\\"#) }
        #expect(throws: SelectorError("invalid field selector: unescaped character in value: =")) { try FieldSelector(parsing: "x==a==b") }
        #expect(FieldSelector.escape(#"a,b=c\d"#) == #"a\,b\=c\\d"#)
        #expect(try FieldSelector.unescape(FieldSelector.escape(#"a,b=c\d"#)) == #"a,b=c\d"#)
    }

    @Test func matchesPods() throws {
        var pod = Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop"),
                      spec: PodSpec(containers: [Container(name: "c")], restartPolicy: "Always", nodeName: "node-1"),
                      status: PodStatus(phase: "Running", podIP: "10.0.0.9", podIPs: [PodIP(ip: "10.0.0.9"), PodIP(ip: "fd00::9")]))
        let values = Pod.fieldSelectorValues(of: pod)
        #expect(Set(values.keys) == Pod.selectableFields)
        #expect(values["spec.hostNetwork"] == "false")
        #expect(values["status.podIP"] == "10.0.0.9")
        #expect(values["spec.schedulerName"] == "")
        let s = try FieldSelector(parsing: "spec.nodeName=node-1,status.phase!=Succeeded,metadata.namespace=shop")
        try s.validate(for: Pod.self)
        #expect(s.matches(values))
        #expect(s.matches(pod))
        #expect(s.requiredValue(for: "spec.nodeName") == "node-1")
        pod.status?.phase = "Succeeded"
        #expect(!s.matches(pod))
        #expect(try FieldSelector(parsing: "spec.nodeName=").matches(Pod(metadata: ObjectMeta(name: "pending"))))
    }

    @Test func unsupportedFieldsAreRejected() throws {
        #expect(throws: SelectorError("field label not supported: foo")) {
            try FieldSelector(parsing: "foo=bar").validate(for: Pod.self)
        }
        #expect(throws: SelectorError("field label not supported: spec.nodeName")) {
            try FieldSelector(parsing: "spec.nodeName=a").validate(for: Service.self)
        }
        let kind: any KubeObject.Type = Node.self
        try FieldSelector(parsing: "spec.unschedulable=true").validate(for: kind)
        #expect(FieldSelector.selectableFields(of: Secret.self) == ["metadata.name", "metadata.namespace", "type"])
        #expect(FieldSelector.selectableFields(of: Namespace.self).contains("status.phase"))
        #expect(FieldSelector.selectableFields(of: ReplicaSet.self).contains("status.replicas"))
        #expect(FieldSelector.selectableFields(of: Job.self).contains("status.successful"))
        #expect(FieldSelector.selectableFields(of: Event.self).isSuperset(of: ["involvedObject.name", "involvedObject.uid", "reason", "source", "type", "reportingComponent"]))
        for kind in KubeKinds.all + KubeKinds.views {
            #expect(FieldSelector.selectableFields(of: kind).contains("metadata.name"))
            #expect(FieldSelector.selectableFields(of: kind).contains("metadata.namespace") == (kind.resource.namespaced))
        }
        #expect(throws: SelectorError("field label not supported: metadata.namespace")) {
            try FieldSelector(parsing: "metadata.namespace=x").validate(for: Node.self)
        }
    }

    @Test func eventsAndOthers() throws {
        let ev = Event(metadata: ObjectMeta(name: "e", namespace: "shop"),
                       involvedObject: ObjectReference(kind: "Pod", namespace: "shop", name: "web-0", uid: "u1"),
                       reason: "BackOff", type: "Warning", reportingComponent: "kubelet")
        let any: any KubeObject = ev
        let values = FieldSelector.fieldValues(of: any)
        #expect(values["involvedObject.name"] == "web-0")
        #expect(values["source"] == "kubelet")
        #expect(try FieldSelector(parsing: "involvedObject.kind=Pod,involvedObject.uid=u1,type=Warning").matches(any))
        let node = Node(metadata: ObjectMeta(name: "n"), spec: NodeSpec(unschedulable: true))
        #expect(try FieldSelector(parsing: "spec.unschedulable=true,metadata.name=n").matches(node))
        let secret = Secret(metadata: ObjectMeta(name: "s"), type: "kubernetes.io/tls")
        #expect(try FieldSelector(parsing: "type=kubernetes.io/tls").matches(secret))
        let job = Job(metadata: ObjectMeta(name: "j"), status: JobStatus(succeeded: 3))
        #expect(try FieldSelector(parsing: "status.successful=3").matches(job))
    }
}
