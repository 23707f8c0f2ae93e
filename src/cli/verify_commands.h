#pragma once

namespace CLI {
class App;
}

namespace duet::cli {
// duet verify: local signature verification (raw, DER, CMS), no server needed.
void add_verify_commands(CLI::App& app);
}  // namespace duet::cli
