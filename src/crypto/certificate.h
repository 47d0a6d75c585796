// Reading the identity out of a peer's X.509 certificate, as a TLS-terminating proxy forwards it
// (Envoy ext_authz source.certificate). Pure functions over OpenSSL; nothing is logged.
#pragma once

#include <string>
#include <string_view>

namespace tollgate::crypto {

// The first URI subject alternative name (e.g. a SPIFFE ID "spiffe://cluster.local/ns/x/sa/y")
// of the PEM certificate in `pem`. `pem` may be URL-encoded (percent-encoding, as Envoy sends
// source.certificate: "%0A" for line breaks, "%2B" for '+', …); a '+' is kept as '+'.
//
// The certificate is read, not verified: the proxy that terminated TLS authenticated it, and the
// caller trusts that proxy's attributes as it trusts source.principal.
//
// Returns empty when `pem` holds no parseable certificate (garbage, bad percent-encoding, longer
// than 64 KiB, an encrypted PEM), when the certificate has no URI SAN, or when the first URI SAN
// contains a byte no URI may contain (control, space, non-ASCII). Malformed input never throws;
// never prompts for a password; leaves no error on OpenSSL's per-thread error queue. Thread-safe.
std::string FirstUriSanOfPem(std::string_view pem);

}  // namespace tollgate::crypto
