// Helpers for the pki tests: a local "external signer" (an ordinary SM2 key),
// a scratch directory, file I/O and the openssl command line.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"
#include "crypto/sm2.h"
#include "pki/external_signer.h"

namespace duet::pki::testing {

// The pki tests name everything they share through `using namespace testing`.
using ::duet::testing_support::ok_value;

// Standard SM2 signing of a digest e (GB/T 32918.2 §6.1 steps A3–A7):
// k random, (x1, y1) = k·G, r = (e + x1) mod n, s = (1 + d)^-1 (k − r·d).
inline crypto::Sm2Signature sign_digest(const crypto::Scalar& d, const crypto::Digest& e,
                                        crypto::RandomSource& rng = crypto::SystemRandom::instance()) {
  crypto::Scalar ev = crypto::Scalar::reduce(e);
  for (;;) {
    crypto::Scalar k = crypto::Scalar::random_nonzero(rng);
    crypto::Point kg = crypto::Point::mul_base(k).value();
    auto x1 = kg.x_bytes();
    crypto::Scalar r = ev + crypto::Scalar::reduce(x1);
    if (r.is_zero() || (r + k).is_zero()) continue;
    crypto::Scalar s = (crypto::Scalar::one() + d).inverse().value() * (k - r * d);
    if (s.is_zero()) continue;
    return {r, s};
  }
}

// An ExternalSigner backed by a whole key (what the two-party protocol does
// in the service), counting its calls.
struct LocalSigner {
  crypto::Scalar key = crypto::Scalar::random_nonzero(crypto::SystemRandom::instance());
  crypto::Point pub = crypto::Point::mul_base(key).value();
  int calls = 0;
  ExternalSigner signer() {
    return [this](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
      ++calls;
      return sign_digest(key, e);
    };
  }
};

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "duet-pki-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    if (std::getenv("DUET_KEEP_SCRATCH") == nullptr) std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  std::string write(const std::string& name, const std::string& data) const {
    std::ofstream(file(name), std::ios::binary) << data;
    return file(name);
  }
  std::string write(const std::string& name, ByteView data) const {
    return write(name, std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  std::string read(const std::string& name) const {
    std::ifstream in(file(name), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command (popen), capturing stdout+stderr.
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

struct Asn1Item {
  size_t offset, depth, header, length;
  std::string what;
};

// `openssl asn1parse` as an independent reader of our DER.
inline std::vector<Asn1Item> asn1parse(const std::string& path) {
  auto r = run("openssl asn1parse -inform DER -in " + path);
  std::vector<Asn1Item> items;
  std::regex line(R"(^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s*(.*)$)");
  std::istringstream in(r.output);
  std::string l;
  std::smatch m;
  while (std::getline(in, l)) {
    if (std::regex_match(l, m, line)) {
      items.push_back({std::stoul(m[1]), std::stoul(m[2]), std::stoul(m[3]), std::stoul(m[4]), m[5]});
    }
  }
  return items;
}

// Checks the SM2 signature of a one-signer SignedData (`der`, written to
// `dir`) with the openssl CLI only: the signed attributes ([0] at depth 5,
// re-tagged as SET) and the signature (the last OCTET STRING at depth 5)
// are cut out with asn1parse and checked with `openssl dgst -sm3` and the
// GM/T default ID under `signer_pub_pem`. Returns dgst's output.
inline std::string openssl_check_signed_attributes(const ScratchDir& dir, ByteView der,
                                                   const std::string& signer_pub_pem) {
  std::string path = dir.write("checked.p7s", der);
  std::vector<Asn1Item> items = asn1parse(path);
  const Asn1Item* attrs = nullptr;
  const Asn1Item* sig = nullptr;
  for (const Asn1Item& it : items) {
    if (it.depth == 5 && it.what.find("cont [ 0 ]") != std::string::npos) attrs = &it;
    if (it.depth == 5 && it.what.find("OCTET STRING") != std::string::npos) sig = &it;
  }
  if (attrs == nullptr || sig == nullptr) return "no signed attributes or signature found";
  Bytes attrs_der(der.begin() + attrs->offset, der.begin() + attrs->offset + attrs->header + attrs->length);
  attrs_der[0] = 0x31;  // [0] IMPLICIT -> SET, as RFC 5652 §5.4 prescribes for signing
  Bytes sig_der(der.begin() + sig->offset + sig->header, der.begin() + sig->offset + sig->header + sig->length);
  dir.write("checked-attrs.der", attrs_der);
  dir.write("checked-sig.der", sig_der);
  dir.write("checked-pub.pem", signer_pub_pem);
  return run("openssl dgst -sm3 -verify " + dir.file("checked-pub.pem") +
             " -sigopt distid:1234567812345678 -signature " + dir.file("checked-sig.der") + " " +
             dir.file("checked-attrs.der"))
      .output;
}

}  // namespace duet::pki::testing
