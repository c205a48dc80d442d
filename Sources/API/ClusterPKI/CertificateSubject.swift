import Foundation
import SwiftASN1
import X509

/// Who a client certificate names, read as the API server's x509 authenticator does: the Common Name is the user,
/// each Organization a group.
public struct CertificateSubject: Sendable, Hashable {
    public var commonName: String
    public var organizations: [String]

    public init(commonName: String, organizations: [String]) {
        self.commonName = commonName
        self.organizations = organizations
    }

    /// Parses a DER certificate (what the TLS layer hands over after verifying the chain).
    public init(der: [UInt8]) throws(PKIError) {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw PKIError("cannot parse the client certificate", cause: error)
        }
        self.init(certificate.subject)
    }

    /// The `notBefore…notAfter` of a DER certificate.
    public static func validity(der: [UInt8]) throws(PKIError) -> ClosedRange<Date> {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw PKIError("cannot parse the client certificate", cause: error)
        }
        guard certificate.notValidBefore <= certificate.notValidAfter else { throw PKIError("the certificate's validity is empty") }
        return certificate.notValidBefore...certificate.notValidAfter
    }

    init(_ name: DistinguishedName) {
        var commonName = ""
        var organizations: [String] = []
        for rdn in name {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName { commonName = String(attribute.value) ?? "" }
                if attribute.type == .RDNAttributeType.organizationName, let o = String(attribute.value) { organizations.append(o) }
            }
        }
        self.init(commonName: commonName, organizations: organizations)
    }
}
