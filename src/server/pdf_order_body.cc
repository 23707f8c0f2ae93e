#include "server/pdf_order_body.h"

#include <cmath>
#include <string>

#include "base/base64.h"

namespace duet::server {
namespace {

using json = nlohmann::json;

Result<double> number(const json& obj, std::string_view key, const std::string& prefix, std::optional<double> def) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (def) return *def;
    return invalid(field_name(prefix, key) + " is required");
  }
  if (!it->is_number()) return invalid(field_name(prefix, key) + " must be a number");
  double v = it->get<double>();
  if (!std::isfinite(v) || std::fabs(v) > 1e6) return invalid(field_name(prefix, key) + " is out of range");
  return v;
}

// {"page", "x", "y", "width", "height"} or
// {"keyword", "occurrence": "first"|"every", "offset_x", "offset_y", "width", "height"}.
Result<pdf::SealPlacement> parse_placement(const json& p, const std::string& prefix) {
  if (!p.is_object()) return invalid(prefix + " must be an object");
  const bool by_page = p.contains("page") && !p["page"].is_null();
  const bool by_keyword = p.contains("keyword") && !p["keyword"].is_null();
  if (by_page == by_keyword) return invalid(prefix + " needs exactly one of page or keyword");
  DUET_ASSIGN_OR_RETURN(double width, number(p, "width", prefix, std::nullopt));
  DUET_ASSIGN_OR_RETURN(double height, number(p, "height", prefix, std::nullopt));
  if (by_page) {
    if (!p["page"].is_number_integer()) return invalid(field_name(prefix, "page") + " must be an integer");
    pdf::PagePlacement pp;
    const int64_t page = p["page"].get<int64_t>();
    if (page < 1 || page > 100000) return invalid(field_name(prefix, "page") + " is out of range");
    pp.page = static_cast<int>(page);
    DUET_ASSIGN_OR_RETURN(pp.rect.x, number(p, "x", prefix, std::nullopt));
    DUET_ASSIGN_OR_RETURN(pp.rect.y, number(p, "y", prefix, std::nullopt));
    pp.rect.width = width;
    pp.rect.height = height;
    return pdf::SealPlacement{pp};
  }
  pdf::KeywordPlacement kp;
  DUET_ASSIGN_OR_RETURN(kp.keyword, req_string(p, "keyword", prefix));
  if (kp.keyword.empty() || kp.keyword.size() > 256) return invalid(field_name(prefix, "keyword") + " must be 1 to 256 bytes");
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> occurrence, opt_string(p, "occurrence", prefix));
  if (occurrence && *occurrence != "first" && *occurrence != "every")
    return invalid(field_name(prefix, "occurrence") + " must be first or every");
  kp.every_occurrence = occurrence && *occurrence == "every";
  DUET_ASSIGN_OR_RETURN(kp.offset_x, number(p, "offset_x", prefix, 0.0));
  DUET_ASSIGN_OR_RETURN(kp.offset_y, number(p, "offset_y", prefix, 0.0));
  kp.width = width;
  kp.height = height;
  return pdf::SealPlacement{kp};
}

Result<core::NewPdfDocument> parse_document(const core::CoreConfig& cfg, const json& obj, const std::string& prefix) {
  core::NewPdfDocument d;
  DUET_ASSIGN_OR_RETURN(std::string b64, req_string(obj, "pdf_base64", prefix));
  if (b64.size() > (cfg.pdf_max_bytes + 2) / 3 * 4 + 4) {
    return make_error(ErrorCode::kPayloadTooLarge, field_name(prefix, "pdf_base64") + " is larger than pdf.max_bytes");
  }
  auto bytes = decode_base64(b64);
  if (!bytes) return make_error(ErrorCode::kBadEncoding, field_name(prefix, "pdf_base64") + " is not valid base64");
  if (bytes->size() > cfg.pdf_max_bytes) {
    return make_error(ErrorCode::kPayloadTooLarge, field_name(prefix, "pdf_base64") + " is larger than pdf.max_bytes");
  }
  d.pdf = std::move(*bytes);
  auto it = obj.find("placements");
  if (it == obj.end() || !it->is_array() || it->empty() || it->size() > pdf::kMaxSealWidgets)
    return invalid(field_name(prefix, "placements") + " must be an array of 1 to 100 placements");
  for (size_t i = 0; i < it->size(); ++i) {
    DUET_ASSIGN_OR_RETURN(pdf::SealPlacement p,
                          parse_placement((*it)[i], field_name(prefix, "placements") + "[" + std::to_string(i) + "]"));
    d.placements.push_back(std::move(p));
  }
  // "certify": true (DocMDP, first signer only) with "certify_permissions"
  // 1 | 2 | 3 (default 2).
  auto certify = obj.find("certify");
  auto permissions = obj.find("certify_permissions");
  const bool has_permissions = permissions != obj.end() && !permissions->is_null();
  if (certify != obj.end() && !certify->is_null()) {
    if (!certify->is_boolean()) return invalid(field_name(prefix, "certify") + " must be true or false");
    if (certify->get<bool>()) {
      d.certify_permission = 2;
      if (has_permissions) {
        if (!permissions->is_number_integer() || permissions->get<int64_t>() < 1 || permissions->get<int64_t>() > 3)
          return invalid(field_name(prefix, "certify_permissions") + " must be 1, 2 or 3");
        d.certify_permission = static_cast<int>(permissions->get<int64_t>());
      }
    }
  }
  if (has_permissions && d.certify_permission == 0)
    return invalid(field_name(prefix, "certify_permissions") + " needs certify: true");
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> sf, opt_string(obj, "sub_filter", prefix));
  if (sf) {
    auto f = core::sub_filter_from_name(*sf);
    if (!f) return invalid(field_name(prefix, "sub_filter") + " must be ETSI.CAdES.detached or adbe.pkcs7.detached");
    d.sub_filter = *f;
  }
  return d;
}

}  // namespace

Status parse_pdf_documents(const core::CoreConfig& cfg, const json& body, core::NewOrder& o) {
  for (const char* other : {"data_base64", "digest_hex", "items"}) {
    if (body.contains(other) && !body[other].is_null()) return invalid(std::string(other) + " is not taken by a PDF order");
  }
  DUET_ASSIGN_OR_RETURN(std::optional<std::string> appearance, opt_string(body, "appearance"));
  if (appearance) {
    auto a = core::order_appearance_from_name(*appearance);
    if (!a) return invalid("appearance must be name_stamp, handwritten or handwritten_or_name_stamp");
    o.appearance = *a;
  }
  const bool has_documents = body.contains("documents") && !body["documents"].is_null();
  const bool has_single = body.contains("pdf_base64") && !body["pdf_base64"].is_null();
  if (has_documents == has_single) return invalid("a PDF order needs exactly one of pdf_base64 or documents");
  if (has_single) {
    DUET_ASSIGN_OR_RETURN(core::NewPdfDocument d, parse_document(cfg, body, ""));
    o.documents.push_back(std::move(d));
    return Status::Ok();
  }
  DUET_ASSIGN_OR_RETURN(const json* docs, req_array(body, "documents"));
  if (docs->empty() || docs->size() > core::kMaxOrderDocuments)
    return invalid("documents must hold 1 to " + std::to_string(core::kMaxOrderDocuments) + " entries");
  for (size_t i = 0; i < docs->size(); ++i) {
    std::string prefix = "documents[" + std::to_string(i) + "]";
    if (!(*docs)[i].is_object()) return invalid(prefix + " must be an object");
    DUET_ASSIGN_OR_RETURN(core::NewPdfDocument d, parse_document(cfg, (*docs)[i], prefix));
    o.documents.push_back(std::move(d));
  }
  return Status::Ok();
}

}  // namespace duet::server
