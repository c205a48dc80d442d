import Crypto
import Foundation
import SwiftASN1
import X509

/// A cluster's certificate authority: a self-signed ECDSA P-256 CA that signs the API server's serving certificate and
/// every client certificate (admin, nodes, the server's own components), as kubeadm's `ca.crt`/`ca.key` do.
///
/// ```swift
/// let ca = try CertificateAuthority.generate(commonName: "swiftlet-ca")
/// let admin = try ca.issue(.init(commonName: "kubernetes-admin", organizations: ["system:masters"], usage: .client))
/// ```
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: P256.Signing.PrivateKey

    /// kubeadm's CA lifetime (10 years).
    public static let defaultValidity: Duration = .seconds(10 * 365 * 86400)

    public init(certificate: Certificate, key: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// Reads a CA from its PEM certificate and PEM (PKCS#8 or SEC1) key.
    public init(certificatePEM: String, keyPEM: String) throws(PKIError) {
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw PKIError("cannot read the certificate authority", cause: error)
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw PKIError("the certificate authority's key does not match its certificate")
        }
    }

    /// A new self-signed CA (`CN=commonName`), valid from a minute ago (clock skew) for `validity`.
    public static func generate(commonName: String, validity: Duration = defaultValidity, now: Date = Date()) throws(PKIError) -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(validity.seconds),
                issuer: name, subject: name,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true, keyCertSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: .init(key))
            return CertificateAuthority(certificate: certificate, key: key)
        } catch {
            throw PKIError("cannot create a certificate authority", cause: error)
        }
    }

    public var certificatePEM: String {
        (try? certificate.serializeAsPEM().pemString) ?? ""
    }

    public var keyPEM: String { key.pemRepresentation }

    /// Signs a new key pair for `request`.
    public func issue(_ request: CertificateRequest, now: Date = Date()) throws(PKIError) -> IssuedCertificate {
        let leafKey = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                for organization in request.organizations { OrganizationName(organization) }
                CommonName(request.commonName)
            }
            let publicKey = Certificate.PublicKey(leafKey.publicKey)
            var names: [GeneralName] = request.dnsNames.map { .dnsName($0) }
            for address in request.ipAddresses {
                guard let bytes = IPAddressBytes.parse(address) else { throw PKIError("not an IP address: \(address)") }
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            }
            let authorityKeyID = (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            let usages: [ExtendedKeyUsage.Usage] = switch request.usage {
            case .server: [.serverAuth]
            case .client: [.clientAuth]
            case .serverAndClient: [.serverAuth, .clientAuth]
            }
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(request.validity.seconds),
                issuer: certificate.subject, subject: subject,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage(usages)
                    if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
                    if !names.isEmpty { SubjectAlternativeNames(names) }
                },
                issuerPrivateKey: .init(key))
            return IssuedCertificate(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation,
                                     notAfter: leaf.notValidAfter)
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError("cannot issue a certificate for \(request.commonName)", cause: error)
        }
    }

    /// Whether `certificatePEM` was signed by this CA (its issuer and signature).
    public func signed(_ certificatePEM: String) -> Bool {
        guard let leaf = try? Certificate(pemEncoded: certificatePEM), leaf.issuer == certificate.subject else { return false }
        return certificate.publicKey.isValidSignature(leaf.signature, for: leaf)
    }
}

/// What a new certificate says: who (CN, O), where it serves (SANs), what it is for and how long.
public struct CertificateRequest: Sendable, Hashable {
    public enum Usage: Sendable, Hashable { case server, client, serverAndClient }

    public var commonName: String
    public var organizations: [String]
    public var dnsNames: [String]
    public var ipAddresses: [String]
    public var usage: Usage
    public var validity: Duration

    /// kubeadm's lifetime for leaf certificates (1 year).
    public static let defaultValidity: Duration = .seconds(365 * 86400)

    public init(commonName: String, organizations: [String] = [], dnsNames: [String] = [], ipAddresses: [String] = [],
                usage: Usage, validity: Duration = defaultValidity) {
        self.commonName = commonName
        self.organizations = organizations
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.usage = usage
        self.validity = validity
    }

    /// A request whose subject alternative names are sorted into IP SANs (text that parses as an IPv4 or IPv6
    /// address) and DNS SANs, in order, without duplicates or empty names.
    public init(commonName: String, organizations: [String] = [], subjectAlternativeNames names: [String], usage: Usage,
                validity: Duration = defaultValidity) {
        var dns: [String] = []
        var ips: [String] = []
        for name in names where !name.isEmpty {
            if IPAddressBytes.isAddress(name) {
                if !ips.contains(name) { ips.append(name) }
            } else if !dns.contains(name) {
                dns.append(name)
            }
        }
        self.init(commonName: commonName, organizations: organizations, dnsNames: dns, ipAddresses: ips, usage: usage, validity: validity)
    }
}

/// A signed certificate and its private key, both PEM.
public struct IssuedCertificate: Sendable, Hashable, Codable {
    public var certificatePEM: String
    public var keyPEM: String
    public var notAfter: Date

    public init(certificatePEM: String, keyPEM: String, notAfter: Date) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        self.notAfter = notAfter
    }

    /// Reads a PEM pair from disk, nil when either is missing or unreadable.
    public init?(certificateFile: String, keyFile: String) {
        guard let cert = try? String(contentsOfFile: certificateFile, encoding: .utf8),
              let key = try? String(contentsOfFile: keyFile, encoding: .utf8),
              let parsed = try? Certificate(pemEncoded: cert) else { return nil }
        self.init(certificatePEM: cert, keyPEM: key, notAfter: parsed.notValidAfter)
    }

    /// Whether less than `fraction` of the lifetime is left (client-go's certificate manager rotates at 70–90 %).
    public func needsRotation(now: Date = Date(), remaining fraction: Double = 0.2) -> Bool {
        guard let parsed = try? Certificate(pemEncoded: certificatePEM) else { return true }
        let lifetime = parsed.notValidAfter.timeIntervalSince(parsed.notValidBefore)
        return parsed.notValidAfter.timeIntervalSince(now) < lifetime * fraction
    }
}

/// A PKI failure with its reason and what caused it.
public struct PKIError: Error, CustomStringConvertible {
    public var message: String
    public var cause: (any Error)?

    public init(_ message: String, cause: (any Error)? = nil) {
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}

extension Duration {
    var seconds: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }
}
