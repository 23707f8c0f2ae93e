#include "cli/demo_gateway.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "base/base64.h"
#include "base/secret_file.h"
#include "cli/process.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;

// A free loopback port (the gateway's callback URL must name it up front).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) fail("no socket for a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    fail("cannot find a free loopback port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text.empty() ? "" : "\n--- duet-gateway log\n" + text;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

Bytes sign_pdf_through_gateway(const GatewayDemo& d, HolderDevice& device) {
  const std::string binary = d.gateway_binary.empty() ? self_directory() + "/duet-gateway" : d.gateway_binary;
  if (!fs::exists(binary)) fail("no duet-gateway binary at " + binary + " (give --gateway-bin)");
  TempDir dir("duet-demo-gateway-");
  const std::string data = dir.path() + "/data";
  fs::create_directories(data);
  const std::string upstream_secret = dir.path() + "/upstream.secret";
  unwrap(write_secret_file(upstream_secret, as_bytes(d.upstream_app.secret)), "upstream secret");
  const int port = free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string config = dir.path() + "/gateway.toml";
  {
    std::ofstream c(config);
    c << "[http]\nlisten = \"127.0.0.1:" << port << "\"\n"
      << "[gateway]\ndata_dir = " << toml_string(data) << "\ncallback_url = " << toml_string(base + "/gateway/v1/callbacks")
      << "\npoll_interval_seconds = 1\n"
      << "[upstream]\nurl = " << toml_string(d.upstream.server) << "\nca_file = " << toml_string(d.upstream.ca_file)
      << "\napp_id = " << toml_string(d.upstream_app.app_id) << "\nsecret_file = " << toml_string(upstream_secret)
      // The demo's app is its tenant's sandbox credential: the sandbox CA's chain.
      << "\nenvironment = \"sandbox\""
      << "\n[[local_apps]]\napp_id = \"demo-local\"\nsecret_file = " << toml_string(data + "/local.secret") << "\n";
  }
  const std::string log = dir.path() + "/gateway.log";
  ChildProcess gateway({binary, "--config", config}, log);
  for (int i = 0; i < 300 && !fs::exists(data + "/gateway.port"); ++i) {
    if (!gateway.running()) fail("duet-gateway exited at start (" + gateway.exit_description() + ")" + tail_of(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!fs::exists(data + "/gateway.port")) fail("duet-gateway did not start" + tail_of(log));
  const std::string local_secret = read_secret_file(data + "/local.secret");
  ServerOptions local;
  local.server = base;
  BusinessClient business(local, AppCredential{"demo-local", local_secret});

  const std::string pdf = read_file(d.pdf_file);
  json where = d.pdf_keyword.empty() ? json{{"page", 1}, {"x", 40}, {"y", 40}, {"width", 120}, {"height", 80}}
                                     : json{{"keyword", d.pdf_keyword}, {"width", 120}, {"height", 80}};
  json request = {{"holder_id", d.holder_id},
                  {"title", "Duet demo PDF (gateway)"},
                  {"display_text", "Sign " + fs::path(d.pdf_file).filename().string()},
                  {"signer_name", d.signer_name},
                  {"output", "pdf"},
                  {"pdf_base64", encode_base64(as_bytes(pdf))},
                  {"placements", json::array({where})}};
  try {
    json order = business.create_order(request, "demo-" + random_hex(8));
    const std::string order_id = json_string(order, "order_id", "create the gateway order");
    std::cout << std::setw(2) << d.first_step << ". " << std::left << std::setw(10) << "gateway:" << std::setw(30)
              << "stamp, send the digest" << order_id << " over " << pdf.size()
              << " bytes (only its SM3 digest leaves)" << std::right << std::endl;
    auto poll = [&](const char* want, int seconds) -> json {
      for (int i = 0; i < seconds * 5; ++i) {
        json o = business.get_order(order_id);
        if (o.value("state", "") == "failed") fail("the gateway order failed: " + o.dump());
        if (std::string(want) == "submitted" ? o["upstream_order_id"].is_string() : o.value("state", "") == want)
          return o;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      fail(std::string("the gateway order is not ") + want + " in time" + tail_of(log));
    };
    const std::string upstream_id = poll("submitted", 60)["upstream_order_id"];
    device.sign(upstream_id, d.pin);
    std::cout << std::setw(2) << d.first_step + 1 << ". " << std::left << std::setw(10) << "holder:" << std::setw(30)
              << "sign the digest-only order" << upstream_id << " signed" << std::right << std::endl;
    poll("signed", 60);
    auto r = business.call("GET", "/api/v1/orders/" + order_id + "/pdf");
    if (r.status != 200) fail("fetch the signed PDF from the gateway: " + describe_error_response(r), kExitServer);
    return Bytes(r.body.begin(), r.body.end());
  } catch (const CliError& e) {
    throw CliError(e.what() + tail_of(log), e.exit_code());
  }
}

}  // namespace duet::cli
