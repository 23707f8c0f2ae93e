#pragma once

namespace CLI {
class App;
}

namespace duet::cli {
// duet audit disclosure request|approve|refuse|list|show: disclosures of a
// tenant's audit events to a regulator, with a security officer's approval
// (docs/audit.md "Export for a regulator"). `duet audit export
// --disclosure ID` runs an approved one.
void add_disclosure_commands(CLI::App& audit);
}  // namespace duet::cli
