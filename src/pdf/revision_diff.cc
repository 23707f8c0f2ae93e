#include "pdf/revision_diff.h"

#include <algorithm>
#include <set>

#include "pdf/podofo_load.h"

namespace duet::pdf::internal {
namespace {

constexpr int kMaxParentDepth = 32;

std::string ref_text(const PoDoFo::PdfReference& r) {
  return std::to_string(r.ObjectNumber()) + " " + std::to_string(r.GenerationNumber()) + " R";
}

std::string type_of(const PoDoFo::PdfObject* o) {
  if (o == nullptr || !o->IsDictionary()) return "";
  const PoDoFo::PdfObject* t = o->GetDictionary().GetKey("Type");
  return t != nullptr && t->IsName() ? t->GetName().GetName() : "";
}

std::string serialized(const PoDoFo::PdfObject* o) {
  std::string s;
  if (o != nullptr) o->ToString(s, PoDoFo::ePdfWriteMode_Compact);
  return s;
}

// The raw (still encoded) stream bytes; empty without a stream.
std::string stream_bytes(PoDoFo::PdfObject* o) {
  if (o == nullptr || !o->HasStream()) return "";
  char* buf = nullptr;
  PoDoFo::pdf_long len = 0;
  o->GetStream()->GetCopy(&buf, &len);
  std::string s(buf != nullptr ? buf : "", buf != nullptr ? static_cast<size_t>(len) : 0);
  PoDoFo::podofo_free(buf);
  return s;
}

bool same_object(PoDoFo::PdfObject* a, PoDoFo::PdfObject* b) {
  return serialized(a) == serialized(b) && a->HasStream() == b->HasStream() && stream_bytes(a) == stream_bytes(b);
}

// A signature field, or a widget of one (the /FT may sit on a parent).
bool is_signature_field_or_widget(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* o) {
  for (int depth = 0; o != nullptr && o->IsDictionary() && depth < kMaxParentDepth; ++depth) {
    const PoDoFo::PdfObject* ft = resolve(doc, const_cast<PoDoFo::PdfObject*>(o->GetDictionary().GetKey("FT")));
    if (ft != nullptr) return ft->IsName() && ft->GetName() == PoDoFo::PdfName("Sig");
    o = resolve(doc, const_cast<PoDoFo::PdfObject*>(o->GetDictionary().GetKey("Parent")));
  }
  return false;
}

// Whether `now` holds every element of `before` (by serialized value), and
// every element it gained is a signature field or widget.
bool grew_by_signatures(PoDoFo::PdfMemDocument& doc, const PoDoFo::PdfObject* before, const PoDoFo::PdfObject* now,
                        std::string& why) {
  if (now == nullptr || !now->IsArray()) {
    why = "is no longer an array";
    return false;
  }
  std::multiset<std::string> old_items;
  if (before != nullptr && before->IsArray()) {
    for (const PoDoFo::PdfObject& o : before->GetArray()) old_items.insert(serialized(&o));
  } else if (before != nullptr) {
    why = "was not an array";
    return false;
  }
  size_t gained = 0;
  for (const PoDoFo::PdfObject& o : now->GetArray()) {
    auto it = old_items.find(serialized(&o));
    if (it != old_items.end()) {
      old_items.erase(it);
      continue;
    }
    ++gained;
    if (!is_signature_field_or_widget(doc, resolve(doc, const_cast<PoDoFo::PdfObject*>(&o)))) {
      why = "gained an element that is not a signature field or widget";
      return false;
    }
  }
  if (!old_items.empty()) {
    why = "lost elements";
    return false;
  }
  why = gained > 0 ? "gained signature fields or widgets" : "reordered";
  return true;
}

// Keys whose values differ between two dictionaries.
std::vector<std::string> changed_keys(const PoDoFo::PdfObject* a, const PoDoFo::PdfObject* b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a->GetDictionary().GetKeys()) keys.insert(k.GetName());
  for (const auto& [k, v] : b->GetDictionary().GetKeys()) keys.insert(k.GetName());
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (serialized(a->GetDictionary().GetKey(k)) != serialized(b->GetDictionary().GetKey(k))) out.push_back(k);
  }
  return out;
}

struct Roles {
  PoDoFo::PdfReference catalog, info, acroform;
};

Roles roles_of(PoDoFo::PdfMemDocument& doc) {
  Roles r;
  const PoDoFo::PdfDictionary& trailer = doc.GetTrailer()->GetDictionary();
  if (const PoDoFo::PdfObject* root = trailer.GetKey("Root"); root != nullptr && root->IsReference()) {
    r.catalog = root->GetReference();
  }
  if (const PoDoFo::PdfObject* info = trailer.GetKey("Info"); info != nullptr && info->IsReference()) {
    r.info = info->GetReference();
  }
  if (PoDoFo::PdfObject* cat = doc.GetCatalog(); cat != nullptr && cat->IsDictionary()) {
    const PoDoFo::PdfObject* form = cat->GetDictionary().GetKey("AcroForm");
    if (form != nullptr && form->IsReference()) r.acroform = form->GetReference();
  }
  return r;
}

ObjectChange classify(PoDoFo::PdfMemDocument& old_doc, PoDoFo::PdfMemDocument& new_doc, PoDoFo::PdfObject* before,
                      PoDoFo::PdfObject* now, const Roles& roles) {
  const PoDoFo::PdfReference& ref = now->Reference();
  const std::string name = "object " + ref_text(ref) + (type_of(before).empty() ? "" : " (" + type_of(before) + ")");
  auto modified = [&](std::string why) { return ObjectChange{false, name + ": " + why}; };
  if (ref == roles.info) return {true, name + ": document information (metadata) updated"};
  if (before->IsArray()) {
    std::string why;
    bool ok = grew_by_signatures(new_doc, before, now, why);
    return {ok, name + ": array " + why};
  }
  if (!before->IsDictionary() || !now->IsDictionary()) return modified("changed");
  if (before->HasStream() || now->HasStream()) {
    if (stream_bytes(before) != stream_bytes(now)) return modified("stream content changed");
  }
  std::vector<std::string> keys = changed_keys(before, now);
  std::set<std::string> allowed;
  std::string role;
  if (ref == roles.catalog) {
    allowed = {"AcroForm"};
    role = "catalog";
  } else if (ref == roles.acroform) {
    allowed = {"Fields", "SigFlags", "DR", "DA"};
    role = "AcroForm";
  } else if (type_of(before) == "Page") {
    allowed = {"Annots"};
    role = "page";
  } else {
    std::string list;
    for (const auto& k : keys) list += " /" + k;
    return modified("changed" + list);
  }
  for (const std::string& k : keys) {
    if (!allowed.count(k)) return modified(role + " /" + k + " changed");
    if (k == "Fields" || k == "Annots") {
      const PoDoFo::PdfObject* a = resolve(old_doc, const_cast<PoDoFo::PdfObject*>(before->GetDictionary().GetKey(k)));
      const PoDoFo::PdfObject* b = resolve(new_doc, const_cast<PoDoFo::PdfObject*>(now->GetDictionary().GetKey(k)));
      std::string why;
      if (!grew_by_signatures(new_doc, a, b, why)) return modified(role + " /" + k + " " + why);
    }
    if (k == "AcroForm") {
      const PoDoFo::PdfObject* a = before->GetDictionary().GetKey(k);
      const PoDoFo::PdfObject* b = now->GetDictionary().GetKey(k);
      // An AcroForm added, or moved to another object: its content is checked
      // as that object; an inline one changing is compared key by key.
      if (a != nullptr && b != nullptr && a->IsDictionary() && b->IsDictionary()) {
        for (const std::string& fk : changed_keys(a, b)) {
          if (fk != "Fields" && fk != "SigFlags" && fk != "DR" && fk != "DA") {
            return modified("catalog /AcroForm /" + fk + " changed");
          }
        }
      }
    }
  }
  return {true, name + ": " + role + " updated for a new signature"};
}

bool is_bookkeeping(const PoDoFo::PdfObject* o) {
  std::string t = type_of(o);
  return t == "XRef" || t == "ObjStm";
}

}  // namespace

std::vector<ObjectChange> diff_revisions(PoDoFo::PdfMemDocument& signed_doc, PoDoFo::PdfMemDocument& final_doc) {
  std::vector<ObjectChange> changes;
  Roles roles = roles_of(final_doc);
  std::set<PoDoFo::PdfReference> present;
  for (PoDoFo::PdfObject* now : final_doc.GetObjects()) {
    if (now == nullptr) continue;
    present.insert(now->Reference());
    PoDoFo::PdfObject* before = signed_doc.GetObjects().GetObject(now->Reference());
    if (before == nullptr || is_bookkeeping(now) || is_bookkeeping(before)) continue;  // new objects are checked where referenced
    if (same_object(before, now)) continue;
    changes.push_back(classify(signed_doc, final_doc, before, now, roles));
  }
  for (PoDoFo::PdfObject* before : signed_doc.GetObjects()) {
    if (before != nullptr && !is_bookkeeping(before) && !present.count(before->Reference())) {
      changes.push_back({false, "object " + ref_text(before->Reference()) + " removed"});
    }
  }
  return changes;
}

}  // namespace duet::pdf::internal
