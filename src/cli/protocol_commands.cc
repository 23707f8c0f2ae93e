#include "cli/protocol_commands.h"

#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cosign/keygen.h"
#include "cosign/sign.h"
#include "cosign/vectors.h"
#include "cosign/wire.h"
#include "crypto/sm2_evp.h"

namespace duet::cli {
namespace {

struct DemoOptions {
  std::string message_file;
  std::string pin;
  std::string out_dir;
  std::string holder_id = "hld_demo";
  uint32_t iterations = cosign::PinKdf::kDefaultIterations;
};

Status write_file(const std::filesystem::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return make_error(ErrorCode::kInvalidArgument, "cannot write " + path.string());
  return Status::Ok();
}

// Runs key generation and one signature with both roles in this process, each
// message passing through its JSON wire form as it would over the network.
Status run_demo(const DemoOptions& o) {
  std::ifstream in(o.message_file, std::ios::binary);
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot read " + o.message_file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string message = ss.str();
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, "cannot create " + o.out_dir);

  crypto::RandomSource& rng = crypto::SystemRandom::instance();
  std::cout << "1. device: key generation starts (d1 random, P1 = d1^-1*G with proof)\n";
  DUET_ASSIGN_OR_RETURN(auto started, cosign::DeviceKeygen::start(o.holder_id, rng));
  std::string keygen_request = cosign::to_json(started.second);
  std::cout << "   -> " << keygen_request.size() << " bytes to the service\n";

  std::cout << "2. service: checks the proof, d2 random, P = d2^-1*P1 - G with proof\n";
  DUET_ASSIGN_OR_RETURN(cosign::KeygenRequest kreq, cosign::parse_keygen_request(keygen_request));
  DUET_ASSIGN_OR_RETURN(auto keyed, cosign::ServiceKeygen::respond(o.holder_id, kreq, rng));
  cosign::ServiceKeyShare share = keyed.first;
  std::string keygen_response = cosign::to_json(keyed.second);

  std::cout << "3. device: checks the proof, wraps d1 under the PIN (PBKDF2-HMAC-SM3, " << o.iterations
            << " iterations)\n";
  DUET_ASSIGN_OR_RETURN(cosign::KeygenResponse kresp, cosign::parse_keygen_response(keygen_response));
  DUET_ASSIGN_OR_RETURN(cosign::DeviceState state, started.first.finish(kresp, o.pin, o.iterations, rng));
  std::cout << "   joint public key P = " << state.public_key.to_hex().substr(0, 20) << "...\n";

  DUET_ASSIGN_OR_RETURN(crypto::Digest e, crypto::sm2_digest(state.public_key, as_bytes(message)));
  cosign::SignSessionContext ctx{"ord_demo", "ses_demo", {e}};
  std::cout << "4. device: e = SM3(Z_A || M) over " << message.size() << " bytes; unwraps d1 with the PIN; k1 random,\n"
            << "   Q1 = k1*G with a proof of k1, and the PIN proof: knowledge of d1^-1 for P1 (P1 is not sent)\n";
  DUET_ASSIGN_OR_RETURN(auto signing, cosign::DeviceSignSession::start(state, o.pin, ctx, rng));
  std::string sign_request = cosign::to_json(signing.second);
  std::cout << "   -> " << sign_request.size() << " bytes to the service\n";

  std::cout << "5. service: counts one attempt, checks both proofs against its own P1 (a wrong PIN stops here:\n"
            << "   pin_invalid, no r, s2, s3), then answers r, s2, s3\n";
  DUET_ASSIGN_OR_RETURN(cosign::SignSessionRequest sreq, cosign::parse_sign_session_request(sign_request, 1));
  DUET_ASSIGN_OR_RETURN(crypto::Point p1, share.p1_or_derive());
  DUET_ASSIGN_OR_RETURN(cosign::VerifiedSignSession verified, cosign::ServiceSigner::verify_session(p1, ctx, sreq));
  DUET_ASSIGN_OR_RETURN(std::vector<cosign::SignResponse> sresp, cosign::ServiceSigner::respond(share, verified, rng));
  std::string sign_response = cosign::to_json(sresp.at(0));

  std::cout << "6. device: s = d1*k1*s2 + d1*s3 - r, checks (r, s) before releasing it\n";
  DUET_ASSIGN_OR_RETURN(cosign::SignResponse dresp, cosign::parse_sign_response(sign_response));
  DUET_ASSIGN_OR_RETURN(auto finished, signing.first.finish({dresp}));
  std::string finish = cosign::to_json(finished.first.at(0));

  std::cout << "7. service: verifies (r, s) as a standard SM2 signature under P\n";
  DUET_ASSIGN_OR_RETURN(cosign::SignFinish sfin, cosign::parse_sign_finish(finish));
  DUET_ASSIGN_OR_RETURN(crypto::Sm2Signature sig,
                        cosign::ServiceSigner::finish(share.public_key, ctx.item(0), sresp.at(0).r, sfin));

  std::filesystem::path dir(o.out_dir);
  DUET_ASSIGN_OR_RETURN(std::string pem, crypto::public_key_spki_pem(share.public_key));
  DUET_TRY_STATUS(write_file(dir / "public.pem", as_bytes(pem)));
  Bytes der = sig.to_der();
  DUET_TRY_STATUS(write_file(dir / "signature.der", der));
  std::cout << "wrote " << (dir / "public.pem").string() << " and " << (dir / "signature.der").string() << "\n"
            << "check: openssl dgst -sm3 -verify " << (dir / "public.pem").string()
            << " -sigopt distid:1234567812345678 -signature " << (dir / "signature.der").string() << " "
            << o.message_file << "\n";
  return Status::Ok();
}

}  // namespace

void add_protocol_commands(CLI::App& app) {
  auto* protocol = app.add_subcommand("protocol", "The two-party SM2 protocol, both roles in this process");
  protocol->require_subcommand(1);

  auto opts = std::make_shared<DemoOptions>();
  auto* demo = protocol->add_subcommand("demo", "Generate a joint key and co-sign FILE; write public.pem and signature.der");
  demo->add_option("--message", opts->message_file, "File to sign")->required()->check(CLI::ExistingFile);
  demo->add_option("--pin", opts->pin, "The holder's PIN (4 to 64 bytes)")->required();
  demo->add_option("--out", opts->out_dir, "Output directory")->required();
  demo->add_option("--holder-id", opts->holder_id, "Holder id bound into the key generation proofs");
  demo->add_option("--kdf-iterations", opts->iterations, "PIN KDF iterations")->check(CLI::Range(1000u, 100000000u));
  demo->callback([opts] {
    Status st = run_demo(*opts);
    if (!st.ok()) {
      std::cerr << "duet protocol demo: " << st.error().to_string() << "\n";
      throw CLI::RuntimeError(1);
    }
  });

  auto* vectors = protocol->add_subcommand("vectors", "Print the test vectors of docs/protocol.md §9");
  vectors->callback([] { std::cout << cosign::format_vectors(cosign::protocol_test_vectors()); });
}

}  // namespace duet::cli
