#include "core/audit_witness.h"

#include <string>

#include "core/audit_json.h"

namespace duet::core {
namespace {

// One witness line into w (event and link lines, an export's, add nothing).
Status add_line(AuditWitness& w, std::string_view line) {
  DUET_ASSIGN_OR_RETURN(std::string type, audit_json_type(line));
  if (type == "key") {
    DUET_ASSIGN_OR_RETURN(store::AuditKey k, audit_key_from_json(line));
    w.keys.push_back(std::move(k));
  } else if (type == "checkpoint") {
    DUET_ASSIGN_OR_RETURN(store::AuditCheckpoint cp, audit_checkpoint_from_json(line));
    w.checkpoints.push_back(std::move(cp));
  }
  return Status::Ok();
}

}  // namespace

Result<AuditWitness> parse_audit_witness(std::string_view text) {
  AuditWitness w;
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    const bool last = nl == std::string_view::npos;
    std::string_view line = text.substr(at, last ? std::string_view::npos : nl - at);
    at = last ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    Status added = add_line(w, line);
    // Every line duetd writes ends with '}' (one flat JSON object): a bad
    // line that does not, or a bad last line without its newline, is a write
    // a crash cut short (duetd ends it with a newline before its next line).
    const bool cut = last || line.back() != '}';
    if (!added.ok() && !cut)
      return make_error(ErrorCode::kBadEncoding, "witness line " + std::to_string(line_no) + ": " + added.error().message);
  }
  return w;
}

}  // namespace duet::core
