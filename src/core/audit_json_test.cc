// The JSON form of audit events (core/audit_json.h): a round trip keeps the
// event's hash.
#include <gtest/gtest.h>

#include <vector>

#include "core/audit_json.h"
#include "store/audit_encoding.h"

namespace duet::core {
namespace {

using store::AuditEvent;

AuditEvent one_event() {
  AuditEvent e;
  e.seq = 1;
  e.at = 1'700'000'001;
  e.tenant_id = "ten_a";
  e.actor_type = "app";
  e.actor_id = "app_1";
  e.action = "POST /api/v1/orders";
  e.target = "order_id:ord_1";
  e.outcome = "ok";
  e.address = "10.0.0.1";
  e.request_id = "req1";
  return e;
}

TEST(AuditJson, RoundTripKeepsTheHash) {
  std::vector<AuditEvent> c(2);
  c[1] = one_event();
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
