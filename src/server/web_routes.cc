#include "server/web_routes.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/request_auth.h"

namespace duet::server {

using http::Request;
using http::Response;

namespace {

constexpr size_t kMaxWebFile = 16 * 1024 * 1024;

std::string content_type_of(std::string_view name) {
  auto ext = name.substr(name.rfind('.') == std::string_view::npos ? name.size() : name.rfind('.'));
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool safe_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

// "name.<16 lowercase hex>.ext"
bool hashed_name(std::string_view name) {
  auto last = name.rfind('.');
  if (last == std::string_view::npos || last < 17) return false;
  std::string_view h = name.substr(last - 16, 16);
  if (name[last - 17] != '.') return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::filesystem::path default_root() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return exe.parent_path().parent_path() / "web";
}

void set_security_headers(Response& r) {
  r.headers.set("Content-Security-Policy", web_content_security_policy());
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.headers.set("Referrer-Policy", "no-referrer");
  r.headers.set("X-Frame-Options", "DENY");
  r.headers.set("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.set("Cross-Origin-Resource-Policy", "same-origin");
  r.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
}

Response serve(const WebMount& m, std::string_view name) {
  auto it = m.files.find(name);
  if (it == m.files.end()) {
    Response r = Response::text(404, m.files.empty() ? "not built: run scripts/build-web (docs/web.md)\n"
                                                     : "no such file\n");
    set_security_headers(r);
    r.headers.set("Cache-Control", "no-store");
    return r;
  }
  Response r;
  r.status = 200;
  r.content_type = it->second.content_type;
  r.body = it->second.body;
  set_security_headers(r);
  r.headers.set("Cache-Control", it->second.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

}  // namespace

std::vector<WebMount> web_mounts() {
  return {WebMount{"/m", "app", {}}, WebMount{"/portal", "portal", {}}, WebMount{"/console", "console", {}}};
}

void load_web_files(const std::string& root, std::vector<WebMount>& mounts) {
  std::filesystem::path base = root.empty() ? default_root() : std::filesystem::path(root);
  for (WebMount& m : mounts) {
    m.files.clear();
    std::error_code ec;
    std::filesystem::directory_iterator it(base / m.folder, ec);
    if (ec) continue;
    for (const auto& entry : it) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file(ec) || !safe_name(name) || entry.file_size(ec) > kMaxWebFile) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream body;
      body << in.rdbuf();
      if (!in.good() && !in.eof()) continue;
      m.files.emplace(name, WebFile{content_type_of(name), body.str(), hashed_name(name)});
    }
  }
}

const std::string& web_content_security_policy() {
  static const std::string kCsp =
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; "
      "connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; base-uri 'none'; "
      "form-action 'none'; frame-ancestors 'none'";
  return kCsp;
}

void register_web_routes(http::Router& r, const std::vector<WebMount>& mounts) {
  for (const WebMount& m : mounts) {
    const WebMount* mp = &m;
    r.get(m.url_prefix, RequestAuth::public_request([mp](const Request&) -> Result<Response> {
      Response resp = Response::empty(308);
      resp.headers.set("Location", mp->url_prefix + "/");
      return resp;
    }));
    r.get(m.url_prefix + "/", RequestAuth::public_request(
                                  [mp](const Request&) -> Result<Response> { return serve(*mp, "index.html"); }));
    r.get(m.url_prefix + "/{file}", RequestAuth::public_request([mp](const Request& req) -> Result<Response> {
      return serve(*mp, req.param("file"));
    }));
  }
}

}  // namespace duet::server
