// The static web front ends duetd serves (docs/web.md): the holder app at /m/
// (web/app, built by scripts/build-web into <build>/web/app), the tenant portal
// at /portal/ (web/portal, docs/portal.md) and the operator console at
// /console/ (web/console). Public, not
// audited, GET only.
//
// The files are read ONCE at start-up from `web.root` (docs/configuration.md)
// into memory: a request can only ever name one of the files read then (no
// path reaches the filesystem), and a missing build serves a 404 page that
// says so instead of failing the daemon. Flat folders only (no
// sub-directories), names of [A-Za-z0-9._-].
//
// Headers: a strict Content-Security-Policy (scripts and WebAssembly only from
// the same origin: 'wasm-unsafe-eval' for WebAssembly compilation, nothing
// inline, no eval), nosniff, no referrer, framing refused. Files whose name
// carries a content hash ("name.<16 hex>.ext", as the build writes them) are
// cached for a year, immutable; the others (index.html, sw.js, the manifest)
// are revalidated every time (no-cache), so a new build is picked up at once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "http/router.h"

namespace duet::server {

struct WebFile {
  std::string content_type;
  std::string body;
  bool immutable = false;  // hashed name: long-lived cache
};

// One mount: URL prefix "/m" serves folder "app" of the web root.
struct WebMount {
  std::string url_prefix;  // "/m"
  std::string folder;      // "app"
  std::map<std::string, WebFile, std::less<>> files;  // by file name; index.html is "/m/"
};

// The mounts duetd has (holder app, portal, console); each gets GET <prefix>,
// <prefix>/ and <prefix>/{file} (docs/api/openapi.yaml).
std::vector<WebMount> web_mounts();

// Reads every mount's folder under `root` ("" = `<directory of the duetd
// binary>/../web`, i.e. build/web next to build/bin). A missing folder leaves
// the mount empty (its pages answer 404 "not built"); an unreadable or
// oversized file (> 16 MiB) is skipped.
void load_web_files(const std::string& root, std::vector<WebMount>& mounts);

// The Content-Security-Policy every web page is served with.
const std::string& web_content_security_policy();

// `mounts` must outlive the router.
void register_web_routes(http::Router& r, const std::vector<WebMount>& mounts);

}  // namespace duet::server
