#pragma once

namespace CLI {
class App;
}

namespace duet::cli {
// duet audit verify (--data DIR offline | --server URL --token FILE | --export FILE)
// and duet audit export (docs/audit.md).
void add_audit_commands(CLI::App& app);
}  // namespace duet::cli
