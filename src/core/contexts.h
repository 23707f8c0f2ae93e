// Who is calling, once authenticated. Every service call takes one of these,
// and every store access is scoped by its tenant. `write` is the context of
// the request's store writes (store/write_context.h: its audit event and,
// for the Business API, its nonce), set by the server's request wrapper;
// the services hand it to every store write they make for the request.
#pragma once

#include <string>

#include "store/records.h"
#include "store/write_context.h"

namespace duet::core {

struct AppContext {
  std::string tenant_id;
  std::string app_id;
  store::AppEnvironment environment = store::AppEnvironment::kSandbox;
  store::WriteContext write{};
};

struct HolderContext {
  std::string tenant_id;
  std::string holder_id;
  store::WriteContext write{};
  // The holder's environment as authenticate_device read it with the token
  // (other constructions leave production: only the SLA attribution reads it).
  store::AppEnvironment environment = store::AppEnvironment::kProduction;
};

struct OperatorContext {
  std::string name;
  std::string role;
  store::WriteContext write{};
};

}  // namespace duet::core
