import ClusterPKI
import Crypto
import Foundation
import Logging
import Store

/// What every API server of one cluster must share: the CA (so one kubeconfig works against any of them) and the
/// service-account signing key (so a token one server issued authenticates at another).
///
/// A server keeps them in `DATA_DIR/pki`. Given the cluster's token (`--token`, or `DATA_DIR/token` written on first
/// start), it also keeps them in the store under `/bootstrap/<hash of the token>`, sealed with AES-GCM under a key
/// derived from the token, as k3s's bootstrap data is: a server joining a store that already holds a cluster, with
/// the same token, adopts that cluster's CA instead of making its own.
struct ClusterSecrets: Codable, Sendable, Equatable {
    var caCertificatePEM: String
    var caKeyPEM: String
    var serviceAccountKeyPEM: String

    static func generate() throws(PKIError) -> ClusterSecrets {
        let ca = try CertificateAuthority.generate(commonName: "swiftlet-ca")
        return ClusterSecrets(caCertificatePEM: ca.certificatePEM, caKeyPEM: ca.keyPEM,
                              serviceAccountKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
    }

    // MARK: Files

    static func read(directory: String) -> ClusterSecrets? {
        let read = { (name: String) in try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8) }
        guard let cert = read("ca.crt"), let key = read("ca.key"), let sa = read("sa.key") else { return nil }
        return ClusterSecrets(caCertificatePEM: cert, caKeyPEM: key, serviceAccountKeyPEM: sa)
    }

    func write(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try PKIFiles.write(caCertificatePEM, to: "\(directory)/ca.crt", mode: 0o644)
        try PKIFiles.write(caKeyPEM, to: "\(directory)/ca.key", mode: 0o600)
        try PKIFiles.write(serviceAccountKeyPEM, to: "\(directory)/sa.key", mode: 0o600)
    }

    // MARK: The store

    /// The store key for a token: a hash, so the token itself is never stored.
    static func storeKey(token: String) -> String {
        let digest = SHA256.hash(data: Data(token.utf8))
        return "/bootstrap/" + digest.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    static func sealingKey(token: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(token.utf8)), salt: Data("swiftlet-bootstrap".utf8),
                               info: Data("cluster-secrets".utf8), outputByteCount: 32)
    }

    func sealed(token: String) throws -> Data {
        try AES.GCM.seal(try JSONEncoder().encode(self), using: Self.sealingKey(token: token)).combined ?? Data()
    }

    static func open(_ data: Data, token: String) throws(PKIError) -> ClusterSecrets {
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: sealingKey(token: token))
            return try JSONDecoder().decode(ClusterSecrets.self, from: plain)
        } catch {
            throw PKIError("the store holds a cluster whose bootstrap data this token does not open", cause: error)
        }
    }

    /// The cluster's secrets: those in the store under `token` if a cluster is there; else the local ones (or new
    /// ones), which are then stored for the servers that join later. The local files are made to match.
    static func bootstrap(store: any Store, directory: String, token: String, logger: Logger) async throws -> ClusterSecrets {
        let key = storeKey(token: token)
        if let stored = try await store.get(key: key) {
            let secrets = try open(stored.value, token: token)
            if read(directory: directory) != secrets {
                logger.info("joining an existing cluster: using the certificate authority from the store")
            }
            try secrets.write(directory: directory)
            return secrets
        }
        // Bootstrap data under another token means another cluster's CA is already in this store.
        if let other = try await store.list(prefix: "/bootstrap/", startAfter: nil, limit: 1, revision: nil).items.first, other.key != key {
            throw PKIError("the store already holds a cluster whose token is not this one: start the server with that cluster's --token")
        }
        let local = try read(directory: directory) ?? generate()
        do {
            _ = try await store.create(key: key, value: try local.sealed(token: token))
        } catch StoreError.keyExists {
            // Another server stored its secrets first: adopt them.
            return try await bootstrap(store: store, directory: directory, token: token, logger: logger)
        }
        try local.write(directory: directory)
        return local
    }
}

/// Writing key material with the right permissions, atomically.
enum PKIFiles {
    static func write(_ text: String, to path: String, mode: Int) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw PKIError("cannot write \(temporary)")
        }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// The cluster token from `path`, or a new random one written there (k3s's `K10…` tokens are random too).
    static func token(at path: String) throws -> String {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        let token = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        try write(token + "\n", to: path, mode: 0o600)
        return token
    }
}
