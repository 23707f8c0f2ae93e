#include "server/pki_routes.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "server/json_body.h"
#include "server/request_auth.h"

namespace duet::server {

using http::Request;
using http::Response;

namespace {

// "<id>.<ext>" with one of `exts`: the id and the extension; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> split_file(std::string_view file,
                                                              std::initializer_list<std::string_view> exts) {
  auto dot = file.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view ext = file.substr(dot + 1);
  for (auto e : exts)
    if (ext == e) return std::pair{std::string(file.substr(0, dot)), std::string(ext)};
  return std::nullopt;
}

Response der_response(const Bytes& der, std::string content_type) {
  return binary_response(200, std::string(der.begin(), der.end()), std::move(content_type));
}

using store::AppEnvironment;

// /pki/ca/<file> (production) and /pki/sandbox/ca/<file> (the sandbox CA,
// docs/pki.md "The sandbox CA"): chain.pem (issuing CA, root: what `duet
// verify --server` trusts), root.pem / root.cer (the root alone), or
// <ca_id>.pem / .cer / .der of a CA of that environment (another's: 404).
Result<Response> ca_file(const ApiServices& s, const Request& req, AppEnvironment e) {
  DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
  auto f = split_file(req.param("ca_file"), {"pem", "cer", "der"});
  if (!f) return make_error(ErrorCode::kNotFound, "expected <ca_id>.pem or .cer");
  if (f->first == "chain" && f->second == "pem") return binary_response(200, cs->chain_pem(e), "application/x-pem-file");
  std::string id = f->first == "root" ? cs->root_ca_id(e) : f->first;
  auto env = cs->ca_environment(id);
  if (!env.ok() || *env != e) return make_error(ErrorCode::kNotFound, "no such CA");
  DUET_ASSIGN_OR_RETURN(pki::Certificate c, cs->ca_certificate(id));
  if (f->second == "pem") return binary_response(200, c.pem(), "application/x-pem-file");
  return der_response(c.der(), "application/pkix-cert");
}

Result<Response> crl_file(const ApiServices& s, const Request& req, AppEnvironment e) {
  DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
  auto f = split_file(req.param("crl_file"), {"crl"});
  if (!f) return make_error(ErrorCode::kNotFound, "expected <ca_id>.crl");
  DUET_ASSIGN_OR_RETURN(Bytes der, cs->crl_der({}, f->first, s.deps.clock.now(), e));
  return der_response(der, "application/pkix-crl");
}

Result<Response> ocsp(const ApiServices& s, const Request& req, AppEnvironment e) {
  DUET_ASSIGN_OR_RETURN(core::CertificateService * cs, s.ready_ca());
  DUET_ASSIGN_OR_RETURN(Bytes der, cs->ocsp_response(as_bytes(req.body), s.deps.clock.now(), e));
  Response resp = der_response(der, "application/ocsp-response");
  resp.headers.set("Cache-Control", "no-cache");
  return resp;
}

// RFC 3161 §3.4: a DER TimeStampReq in, a DER TimeStampResp out (a refused
// request is a rejection inside a 200 answer, as the RFC has it).
Result<Response> tsa(const ApiServices& s, const Request& req) {
  if (s.tsa == nullptr || !s.tsa->ready()) {
    return make_error(ErrorCode::kUnavailable, "the time-stamping unit is not available");
  }
  const auto type = req.header("Content-Type");
  if (!type || type->substr(0, type->find(';')) != "application/timestamp-query") {
    return make_error(ErrorCode::kBadEncoding, "expected Content-Type: application/timestamp-query");
  }
  Bytes der = s.tsa->respond(as_bytes(req.body), s.deps.clock.now());
  Response resp = der_response(der, "application/timestamp-reply");
  resp.headers.set("Cache-Control", "no-store");
  return resp;
}

}  // namespace

void register_pki_routes(http::Router& r, const ApiServices& s) {
  for (AppEnvironment e : {AppEnvironment::kProduction, AppEnvironment::kSandbox}) {
    const std::string base(core::pki_path(e));
    r.get(base + "/ca/{ca_file}", RequestAuth::public_request([&s, e](const Request& req) { return ca_file(s, req, e); }));
    r.get(base + "/crl/{crl_file}",
          RequestAuth::public_request([&s, e](const Request& req) { return crl_file(s, req, e); }));
    r.post(base + "/ocsp", RequestAuth::public_request([&s, e](const Request& req) { return ocsp(s, req, e); }));
  }
  r.post("/pki/tsa", RequestAuth::public_request([&s](const Request& req) { return tsa(s, req); }));
}

}  // namespace duet::server
