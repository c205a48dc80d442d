import Foundation
import Testing
import Synchronization
import TestSupport
@testable import Images

/// The bearer token flow (and Docker schema-2 manifests, and redirects) against `TokenRegistryStub`.
@Suite(.serialized) struct TokenAuthTests {
    func withStub(_ body: (TokenRegistryStub, ImageStore) async throws -> Void) async throws {
        try await LoopbackRegistry.pushTestImages(to: nil)
        let stub = TokenRegistryStub(layout: LoopbackRegistry.imageCache + "/oci", user: "robot", password: "hunter2")
        try await stub.start()
        let dir = try TemporaryDirectory("store")
        do {
            let store = try ImageStore(root: dir.path + "/images", registries: RegistryConfiguration(), logger: testLogger)
            try await body(stub, store)
        } catch {
            await stub.stop()
            dir.remove()
            throw error
        }
        await stub.stop()
        dir.remove()
    }

    @Test func bearerTokenFromTheRealmWithBasicCredentials() async throws {
        try await withStub { stub, store in
            let reference = "\(stub.host)/swiftlet-test/shell:v1"
            let image = try await store.pull(reference, credentials: RegistryCredentials(username: "robot", password: "hunter2"))
            #expect(FileManager.default.isExecutableFile(atPath: store.layerPaths(of: image)[0] + "/bin/busybox"))
            let requests = stub.requests.withLock { $0 }
            #expect(requests.contains { $0.hasPrefix("GET /token?") && $0.contains("scope=repository%3Aswiftlet-test/shell%3Apull") && $0.hasSuffix("Basic") }
                    || requests.contains { $0.hasPrefix("GET /token?") && $0.contains("scope=repository:swiftlet-test/shell:pull") && $0.hasSuffix("Basic") },
                    "\(requests)")
            // One token for the whole pull; blobs came through the cross-host redirect, without the token.
            #expect(requests.filter { $0.hasPrefix("GET /token") }.count == 1)
            #expect(requests.contains { $0.hasPrefix("GET /direct/") && $0.hasSuffix(" -") })
        }
    }

    @Test func refusedCredentialsAreUnauthorized() async throws {
        try await withStub { stub, store in
            let reference = "\(stub.host)/swiftlet-test/shell:v1"
            let wrong = await #expect(throws: ImageError.self) {
                try await store.pull(reference, credentials: RegistryCredentials(username: "robot", password: "wrong"))
            }
            #expect(wrong?.code == .unauthorized)
            #expect(wrong?.message.contains("bad credentials for token") == true, "\(String(describing: wrong))")
        }
    }

    @Test func identityAndRegistryTokens() async throws {
        try await withStub { stub, store in
            let reference = "\(stub.host)/swiftlet-test/web:v1"
            let web = try await store.pull(reference, credentials: RegistryCredentials(identityToken: TokenRegistryStub.refreshToken))
            #expect(web.layers.count == 2)
            #expect(stub.requests.withLock { $0 }.contains { $0.hasPrefix("POST /token") })
            try await store.remove(web.id)
            let again = try await store.pull(reference, credentials: RegistryCredentials(registryToken: TokenRegistryStub.token))
            #expect(again.id == web.id)
        }
    }

    @Test func dockerSchema2Manifest() async throws {
        try await withStub { stub, store in
            let credentials = RegistryCredentials(username: "robot", password: "hunter2")
            let docker = try await store.pull("\(stub.host)/swiftlet-test/shell:docker-v1", credentials: credentials)
            let oci = try await store.pull("\(stub.host)/swiftlet-test/shell:v1", credentials: credentials)
            #expect(docker.id == oci.id)
            #expect(docker.config.cmd == ["sh"])
            #expect(await store.statistics.layersUnpacked == 1)
        }
    }
}
