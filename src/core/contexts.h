// Who is calling, once authenticated. Every service call takes one of these,
// and every store access is scoped by its tenant.
#pragma once

#include <string>

#include "store/records.h"

namespace duet::core {

struct AppContext {
  std::string tenant_id;
  std::string app_id;
  store::AppEnvironment environment = store::AppEnvironment::kSandbox;
};

struct HolderContext {
  std::string tenant_id;
  std::string holder_id;
};

struct OperatorContext {
  std::string name;
  std::string role;
};

}  // namespace duet::core
