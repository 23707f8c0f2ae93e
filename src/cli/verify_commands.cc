// duet verify --data F --signature F [--cert F] [--chain F | --server URL]:
// verifies an SM2 signature locally with core::verify_signature (the same
// code as POST /api/v1/verify). Formats: raw (r‖s), der (SEQUENCE{r,s}), cms
// (SignedData, DER or PEM); "auto" guesses from the bytes. A certificate
// (given, or inside a CMS) without trust anchors is not valid. The trust anchors
// come from --chain (PEM: intermediates and the self-signed root) or from the
// server's current chain (GET /pki/ca/chain.pem; with --environment sandbox,
// the sandbox CA's, GET /pki/sandbox/ca/chain.pem, and then production's is
// not trusted: docs/pki.md "The sandbox CA"). Revocation is not checked
// locally ("unknown"). Prints the verdict as JSON; exit 0 valid, 2 not valid.
//
// duet verify --pdf F [--chain F | --server URL] [--json]: every signature of
// a signed PDF with pdf::verify_pdf (the checks of POST /api/v1/verify with a
// PDF); the report for people, or --json as that route answers. Revocation:
// with --server, from the built-in CA's CRL (the path of the certificate's
// CRL distribution point, fetched from --server, its signature checked under
// the issuing CA); without it the report says it was not checked.
#include "cli/verify_commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/cli_common.h"
#include "core/certificate_service.h"
#include "core/pdf_verification.h"
#include "core/verification.h"
#include "pki/crl.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"

namespace duet::cli {
namespace {

struct VerifyOptions {
  ServerOptions server;
  std::string data_file, digest_hex, signature_file, format = "auto", cert_file, public_key_hex, chain_file;
  std::string pdf_file;
  std::string environment = "production";  // whose CA --server gives: production | sandbox
  bool json_output = false;
};

std::vector<pki::Certificate> parse_pem_bundle(const std::string& pem) {
  std::vector<pki::Certificate> out;
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  size_t pos = 0;
  while (true) {
    size_t b = pem.find(begin, pos);
    if (b == std::string::npos) break;
    size_t e = pem.find(end, b);
    if (e == std::string::npos) fail("a certificate in the chain is cut short");
    out.push_back(unwrap(pki::Certificate::parse(std::string_view(pem).substr(b, e + end.size() - b)), "chain"));
    pos = e + end.size();
  }
  return out;
}

Bytes read_signature(const std::string& path) {
  std::string text = read_file(path);
  // PEM CMS ("-----BEGIN CMS-----" / "PKCS7") → DER.
  auto b = text.find("-----BEGIN ");
  if (b != std::string::npos) {
    auto body = text.find('\n', b);
    auto e = text.find("-----END ", body);
    if (body == std::string::npos || e == std::string::npos) fail("the signature PEM is cut short");
    std::string b64;
    for (size_t i = body; i < e; ++i)
      if (!std::isspace(static_cast<unsigned char>(text[i]))) b64 += text[i];
    return base64_decode(b64);
  }
  return Bytes(text.begin(), text.end());
}

std::string guess_format(const Bytes& sig) {
  if (sig.size() == 64) return "raw";
  if (crypto::Sm2Signature::from_der(sig).ok()) return "der";
  return "cms";
}

// The trust anchors: --chain, else the server's current chain of
// --environment (the other environment's CA known as distrusted, so that a
// verdict says why it fails), else none.
core::VerifyTrust trust_anchors(const VerifyOptions& o) {
  std::string chain_pem;
  core::VerifyTrust trust;
  if (!o.chain_file.empty()) {
    chain_pem = read_file(o.chain_file);
  } else if (!o.server.server.empty()) {
    const bool sandbox = o.environment == "sandbox";
    Connection conn(o.server);
    auto r = conn.send("GET", sandbox ? "/pki/sandbox/ca/chain.pem" : "/pki/ca/chain.pem", {});
    if (r.status != 200) fail("the server did not give its CA chain (HTTP " + std::to_string(r.status) + ")", kExitServer);
    chain_pem = r.body;
    auto other = conn.send("GET", sandbox ? "/pki/ca/chain.pem" : "/pki/sandbox/ca/chain.pem", {});
    if (other.status == 200) {
      trust.distrusted = parse_pem_bundle(other.body);
      trust.distrusted_reason =
          sandbox ? "the certificate was issued by the production CA, which sandbox verification does not trust "
                    "(--environment production)"
                  : "the certificate was issued by the sandbox CA, which production verification does not trust "
                    "(--environment sandbox)";
    }
  }
  for (auto& c : parse_pem_bundle(chain_pem)) {
    if (c.subject() == c.issuer()) trust.roots.push_back(c);
    else trust.intermediates.push_back(c);
  }
  return trust;
}

// A signer certificate's state from the CRL of its (trusted) issuing CA: the
// path of the certificate's CRL distribution point, fetched from --server.
pdf::RevocationStatus crl_status(Connection& conn, const core::VerifyTrust& trust, const pki::Certificate& cert) {
  using State = pdf::RevocationStatus::State;
  const pki::Certificate* issuer = nullptr;
  for (const auto* list : {&trust.intermediates, &trust.roots})
    for (const auto& ca : *list)
      if (ca.subject() == cert.issuer()) issuer = &ca;
  if (issuer == nullptr) return {State::kUnknown, std::nullopt, "", "no trusted CA issued the certificate: no CRL to ask"};
  std::string url = pki::crl_distribution_point(cert);
  size_t at = url.find("/pki/sandbox/crl/");
  if (at == std::string::npos) at = url.find("/pki/crl/");
  if (at == std::string::npos) return {State::kUnknown, std::nullopt, "", "the certificate names no CRL of the built-in CA"};
  const std::string path = url.substr(at);
  const std::string source = "the CRL " + conn.options().server + path;
  auto r = conn.send("GET", path, {});
  if (r.status != 200) return {State::kUnknown, std::nullopt, "", source + " (HTTP " + std::to_string(r.status) + ")"};
  Bytes der(r.body.begin(), r.body.end());
  // The service signs its CRLs with the standard SM2 ID, or with an empty one
  // for OpenSSL 3.0 clients (pki.ocsp_crl_sm2_id): either is its signature.
  if (!pki::verify_crl(der, *issuer).ok() && !pki::verify_crl(der, *issuer, "").ok()) {
    return {State::kUnknown, std::nullopt, "", source + " (its signature does not verify)"};
  }
  auto answer = pki::crl_lookup(der, cert.serial_bytes());
  if (!answer.ok()) return {State::kUnknown, std::nullopt, "", source + " (does not parse)"};
  if (answer->revoked) {
    return {State::kRevoked, answer->revoked->revoked_at,
            std::string(core::revocation_reason_name(static_cast<int>(answer->revoked->reason))), source};
  }
  if (answer->next_update && *answer->next_update < pki::now_seconds()) {
    return {State::kUnknown, std::nullopt, "", source + " (out of date)"};
  }
  return {State::kGood, std::nullopt, "", source};
}

// duet verify --pdf: the report, exit 0 valid, 2 not valid.
void verify_pdf_file(const VerifyOptions& o) {
  if (!o.signature_file.empty() || !o.data_file.empty() || !o.digest_hex.empty() || !o.cert_file.empty() ||
      !o.public_key_hex.empty() || o.format != "auto") {
    fail("--pdf goes without --signature, --data, --digest-hex, --cert, --public-key and --format");
  }
  std::string pdf = read_file(o.pdf_file);
  core::VerifyTrust trust = trust_anchors(o);
  std::unique_ptr<Connection> conn;
  if (!o.server.server.empty()) conn = std::make_unique<Connection>(o.server);
  pdf::VerifyOptions options;
  options.max_pdf_bytes = std::max<size_t>(pdf.size(), pdf::kDefaultMaxPdfBytes);  // a local file: no service limit
  pdf::RevocationSource revocation{{}, "offline (give --server to check the built-in CA's CRL)"};
  if (conn) revocation.check = [&](const pki::Certificate& c) { return crl_status(*conn, trust, c); };
  pki::CmsTrust cms_trust{trust.intermediates, trust.roots, std::nullopt};
  auto v = pdf::verify_pdf(as_bytes(pdf), cms_trust, options, revocation);
  if (v.ok()) {
    for (auto& sig : v->signatures) {
      if (sig.cms_ok || sig.signer_issuer.empty()) continue;
      if (std::string why = trust.distrust_reason_for(sig.signer_issuer); !why.empty()) sig.problems.push_back(why);
    }
  }
  if (!v.ok()) {
    switch (v.code()) {
      case ErrorCode::kNotPdf:
        fail(o.pdf_file + " is not a PDF (no %PDF- header)");
      case ErrorCode::kPdfEncrypted:
        fail(o.pdf_file + " is encrypted: an encrypted PDF cannot be verified");
      default:
        fail(o.pdf_file + " does not parse as a PDF (" + std::string(error_code_name(v.code())) + ")");
    }
  }
  if (o.json_output) {
    std::cout << core::pdf_verification_json(*v) << "\n";
  } else {
    std::cout << pdf::verification_text(*v);
    if (trust.roots.empty()) std::cout << "\nNo trusted CA given (--chain or --server): no certificate chain can verify.\n";
  }
  if (!v->ok()) throw CliError("the PDF's signatures are not valid", 2);
}

}  // namespace

void add_verify_commands(CLI::App& app) {
  auto o = std::make_shared<VerifyOptions>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Verify an SM2 signature (raw, DER or CMS), or every signature of a signed PDF (--pdf), locally.\n"
      "--pdf prints a report (--json: as POST /api/v1/verify answers): per signature the byte range, the digest,\n"
      "the CMS (SM2/SM3), the chain (--chain or --server), the revocation state (from the CA's CRL with\n"
      "--server; else reported as not checked) and what later revisions changed. Exit 0 valid, 2 not valid.");
  cmd->add_option("--data", o->data_file, "The signed data (file)");
  cmd->add_option("--digest-hex", o->digest_hex, "Instead of --data: e (raw/der) or SM3 of the content (cms), hex");
  cmd->add_option("--signature", o->signature_file, "The signature (file: raw, DER, CMS DER or PEM)");
  cmd->add_option("--pdf", o->pdf_file, "Instead of --signature: a signed PDF, every signature checked");
  cmd->add_flag("--json", o->json_output, "With --pdf: the report as JSON instead of text");
  cmd->add_option("--format", o->format, "auto | raw | der | cms")->check(CLI::IsMember({"auto", "raw", "der", "cms"}));
  cmd->add_option("--cert", o->cert_file, "The signer's certificate (PEM or DER); CMS carries its own");
  cmd->add_option("--public-key", o->public_key_hex, "The signer's public key (SEC1 uncompressed hex), raw/der");
  cmd->add_option("--chain", o->chain_file, "Trusted CA certificates (PEM bundle: issuing CA(s) and the root)");
  cmd->add_option("--environment", o->environment,
                  "With --server: whose CA to trust, production (default) or sandbox (the sandbox CA only)")
      ->check(CLI::IsMember({"production", "sandbox"}));
  add_server_options(*cmd, o->server, /*server_required=*/false);
  cmd->callback([o] {
    run_guarded("verify", [&] {
      if (!o->pdf_file.empty()) return verify_pdf_file(*o);
      if (o->signature_file.empty()) fail("give --signature (a signature) or --pdf (a signed PDF)");
      if (o->json_output) fail("--json goes with --pdf (a signature's verdict is always JSON)");
      core::VerifyRequest in;
      in.signature = read_signature(o->signature_file);
      in.format = o->format == "auto" ? guess_format(in.signature) : o->format;
      if (!o->data_file.empty() && !o->digest_hex.empty()) fail("give --data or --digest-hex, not both");
      if (!o->data_file.empty()) {
        std::string d = read_file(o->data_file);
        in.data = Bytes(d.begin(), d.end());
      } else if (!o->digest_hex.empty()) {
        Bytes d = unwrap(from_hex_exact(o->digest_hex, 32), "--digest-hex");
        crypto::Digest e{};
        std::copy(d.begin(), d.end(), e.begin());
        in.digest = e;
      }
      if (!o->public_key_hex.empty()) in.public_key = unwrap(crypto::Point::from_hex(o->public_key_hex), "--public-key");
      if (!o->cert_file.empty()) {
        std::string c = read_file(o->cert_file);
        in.certificate = unwrap(pki::Certificate::parse(as_bytes(c)), "--cert");
      }
      core::VerifyTrust trust = trust_anchors(*o);
      core::VerifyOutcome v = unwrap(core::verify_signature(in, trust), "verify");
      if (trust.roots.empty() && v.chain_ok.has_value()) {
        // Without anchors the chain cannot be judged: not valid, and said so.
        std::erase_if(v.reasons, [](const std::string& r) { return r.find("chain") != std::string::npos; });
        v.reasons.push_back("no trusted CA given (--chain or --server): the certificate is not checked");
        v.chain_ok.reset();
        v.valid = false;
      }
      json signer = nullptr;
      if (v.signer_serial) signer = json{{"serial", *v.signer_serial}, {"subject", v.signer_subject.value_or("")}};
      print_json(json{{"valid", v.valid},
                      {"format", in.format},
                      {"reasons", v.reasons},
                      {"signer", signer},
                      {"revoked_at_signing_time", "unknown"},
                      {"chain_ok", v.chain_ok ? json(*v.chain_ok) : json(nullptr)},
                      {"signing_time", v.signing_time ? json(*v.signing_time) : json(nullptr)}});
      if (!v.valid) throw CliError("the signature is not valid", 2);
    });
  });
}

}  // namespace duet::cli
