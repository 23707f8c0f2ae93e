// The JSON form of audit events (core/audit_json.h): a round trip keeps the
// event's hash.
#include <gtest/gtest.h>

#include <vector>

#include "core/audit_json.h"
#include "core/audit_test_event.h"
#include "store/audit_encoding.h"

namespace duet::core {
namespace {

using store::AuditEvent;

TEST(AuditJson, RoundTripKeepsTheHash) {
  std::vector<AuditEvent> c(2);
  c[1] = sample_audit_event(1);
  c[1].details = "{\"k\":\"v \\u00e9\"}";
  c[1].prev_hash = store::audit_genesis_hash();
  c[1].hash = store::audit_event_hash(c[1].prev_hash, c[1]);
  auto back = audit_event_from_json(audit_event_json(c[1], true));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(store::audit_event_hash(back->prev_hash, *back), c[1].hash);
  auto type = audit_json_type(audit_event_json(c[1], true));
  ASSERT_TRUE(type.ok()) << type.error().to_string();
  EXPECT_EQ(*type, "event");
}

}  // namespace
}  // namespace duet::core
