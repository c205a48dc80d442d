import Crypto
import Foundation
import SwiftASN1
import X509

/// A PEM PKCS#10 request as a signer reads it: subject, requested names, and whether its signature holds.
///
/// ```swift
/// let pem = try SigningRequest.make(commonName: "system:node:n1", organizations: ["system:nodes"], key: key)
/// let parsed = try SigningRequest(pem: pem)   // parsed.subject.commonName == "system:node:n1"
/// ```
public struct SigningRequest: Sendable {
    public let subject: CertificateSubject
    public let dnsNames: [String]
    public let ipAddresses: [[UInt8]]
    public let emailAddresses: [String]
    public let uris: [String]
    let request: X509.CertificateSigningRequest

    /// Parses the first `CERTIFICATE REQUEST` block of `pem` and checks its self-signature.
    public init(pem: String) throws(PKIError) {
        let request: X509.CertificateSigningRequest
        do { request = try X509.CertificateSigningRequest(pemEncoded: pem) } catch {
            throw PKIError("PEM block type must be CERTIFICATE REQUEST", cause: error)
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError("the request's signature is invalid")
        }
        self.request = request
        subject = CertificateSubject(request.subject)
        var dns: [String] = [], ips: [[UInt8]] = [], emails: [String] = [], uris: [String] = []
        if let extensions = try? request.attributes.extensionRequest?.extensions,
           let names = try? extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let value): dns.append(value)
                case .ipAddress(let bytes): ips.append(Array(bytes.bytes))
                case .rfc822Name(let value): emails.append(value)
                case .uniformResourceIdentifier(let value): uris.append(value)
                default: break
                }
            }
        }
        dnsNames = dns
        ipAddresses = ips
        emailAddresses = emails
        self.uris = uris
    }

    /// A PEM request for `key` naming `commonName` and `organizations` (what a kubelet submits to bootstrap), with
    /// `subjectAlternativeNames` (IP addresses and DNS names, as a serving certificate asks for them) in an
    /// extension request when there are any.
    public static func make(commonName: String, organizations: [String], subjectAlternativeNames: [String] = [],
                            key: P256.Signing.PrivateKey) throws(PKIError) -> String {
        do {
            let subject = try DistinguishedName {
                for organization in organizations { OrganizationName(organization) }
                CommonName(commonName)
            }
            var attributes = X509.CertificateSigningRequest.Attributes()
            if !subjectAlternativeNames.isEmpty {
                let sorted = CertificateRequest(commonName: commonName, subjectAlternativeNames: subjectAlternativeNames, usage: .server)
                var names: [GeneralName] = sorted.dnsNames.map { .dnsName($0) }
                for address in sorted.ipAddresses {
                    guard let bytes = IPAddressBytes.parse(address) else { continue }
                    names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
                }
                let extensions = try Certificate.Extensions { SubjectAlternativeNames(names) }
                attributes[oid: .CSRAttributes.extensionRequest] = try .init(ExtensionRequest(extensions: extensions))
            }
            let request = try X509.CertificateSigningRequest(version: .v1, subject: subject, privateKey: .init(key),
                                                             attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
            return try request.serializeAsPEM().pemString
        } catch {
            throw PKIError("cannot make a certificate request for \(commonName)", cause: error)
        }
    }
}

extension CertificateAuthority {
    /// Upstream's `--cluster-signing-duration` default: one year.
    public static let defaultSigningDuration: TimeInterval = 365 * 86400

    /// Upstream's backdating of a signed certificate's `notBefore` (clock skew between nodes).
    public static let signingBackdate: TimeInterval = 300
    /// Upstream's "short-lived" bound: a certificate for less than this is not shortened by the backdate.
    public static let shortSigningDuration: TimeInterval = 8 * 3600

    /// Signs `request` as upstream's csrsigning controller does (`PermissiveSigningPolicy`): the requested subject and
    /// names, the key and extended usages named by `usages` (Kubernetes' strings: `digital signature`, `client
    /// auth`, …), valid from five minutes ago (backdating for clock skew) until `duration` from now (less the
    /// backdate when `duration` is eight hours or more), never past the CA's own expiry. Returns PEM.
    ///
    /// One deviation: a `duration` under ten minutes (possible only through `--cluster-signing-duration`, since
    /// `expirationSeconds` is floored at ten minutes) is backdated by a tenth of it instead of five minutes, so
    /// rotation at 70–90 % of the lifetime still falls before expiry (upstream's kubelet would renew at once and
    /// forever).
    public func sign(_ request: SigningRequest, usages: [String], duration: TimeInterval = defaultSigningDuration,
                     now: Date = Date()) throws(PKIError) -> String {
        do {
            var keyUsage = KeyUsage()
            var extended: [ExtendedKeyUsage.Usage] = []
            for usage in usages {
                switch usage {
                case "signing", "digital signature": keyUsage.digitalSignature = true
                case "content commitment": keyUsage.nonRepudiation = true
                case "key encipherment": keyUsage.keyEncipherment = true
                case "key agreement": keyUsage.keyAgreement = true
                case "data encipherment": keyUsage.dataEncipherment = true
                case "cert sign": keyUsage.keyCertSign = true
                case "crl sign": keyUsage.cRLSign = true
                case "encipher only": keyUsage.encipherOnly = true
                case "decipher only": keyUsage.decipherOnly = true
                case "any": extended.append(.any)
                case "server auth": extended.append(.serverAuth)
                case "client auth": extended.append(.clientAuth)
                case "code signing": extended.append(.codeSigning)
                case "email protection", "s/mime": extended.append(.emailProtection)
                case "timestamping": extended.append(.timeStamping)
                case "ocsp signing": extended.append(.ocspSigning)
                default: break
                }
            }
            var names: [GeneralName] = request.dnsNames.map { .dnsName($0) }
            names += request.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
            names += request.emailAddresses.map { .rfc822Name($0) }
            names += request.uris.map { .uniformResourceIdentifier($0) }
            let authorityKeyID = (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            guard now < certificate.notValidAfter else {
                throw PKIError("refusing to sign a certificate that expired in the past: NotAfter=\(certificate.notValidAfter)")
            }
            let backdate = duration < 2 * Self.signingBackdate ? duration / 10 : Self.signingBackdate
            let end = duration < Self.shortSigningDuration ? now.addingTimeInterval(duration) : now.addingTimeInterval(duration - backdate)
            let notAfter = min(end, certificate.notValidAfter)
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: request.request.publicKey,
                notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: notAfter,
                issuer: certificate.subject, subject: request.request.subject,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    if keyUsage != KeyUsage() { Critical(keyUsage) }
                    if !extended.isEmpty { try ExtendedKeyUsage(extended) }
                    if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
                    if !names.isEmpty { SubjectAlternativeNames(names) }
                },
                issuerPrivateKey: .init(key))
            return try leaf.serializeAsPEM().pemString
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError("cannot sign the certificate request of \(request.subject.commonName)", cause: error)
        }
    }
}

extension IssuedCertificate {
    /// The `notAfter` of a PEM certificate, nil when it does not parse.
    public static func notAfter(ofPEM pem: String) -> Date? {
        (try? Certificate(pemEncoded: pem))?.notValidAfter
    }

    /// The serial number of a PEM certificate in hex (`openssl x509 -serial` style, upper case, no separators),
    /// nil when it does not parse.
    public static func serialNumber(ofPEM pem: String) -> String? {
        (try? Certificate(pemEncoded: pem)).map { $0.serialNumber.bytes.map { String(format: "%02X", $0) }.joined() }
    }

    /// The `notBefore` and `notAfter` of a PEM certificate, nil when it does not parse.
    public static func validity(ofPEM pem: String) -> ClosedRange<Date>? {
        guard let parsed = try? Certificate(pemEncoded: pem), parsed.notValidBefore <= parsed.notValidAfter else { return nil }
        return parsed.notValidBefore...parsed.notValidAfter
    }

    /// When a certificate valid over `validity` should be renewed, as client-go's certificate manager decides:
    /// at a jittered 70–90 % of its lifetime from `notBefore` (`jitter` in 0...1 picks the point).
    public static func rotationDeadline(validity: ClosedRange<Date>, jitter: Double = Double.random(in: 0...1)) -> Date {
        let lifetime = validity.upperBound.timeIntervalSince(validity.lowerBound)
        return validity.lowerBound.addingTimeInterval(lifetime * (0.7 + 0.2 * min(max(jitter, 0), 1)))
    }

    /// Whether the PEM private key `keyPEM` belongs to the PEM certificate `certificatePEM` (a pair written as two
    /// files may be torn by a crash between the writes).
    public static func keyMatches(certificatePEM: String, keyPEM: String) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM),
              let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM) else { return false }
        return certificate.publicKey == Certificate.PublicKey(key.publicKey)
    }

    /// The subject of a PEM certificate, nil when it does not parse.
    public static func subject(ofPEM pem: String) -> CertificateSubject? {
        (try? Certificate(pemEncoded: pem)).map { CertificateSubject($0.subject) }
    }
}
