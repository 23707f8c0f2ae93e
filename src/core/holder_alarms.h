// Alarms to the business system when a PIN use fails (docs/protocol.md
// "Counting": every failure and every lock reaches the business system).
// Each failure makes up to two webhook jobs, enqueued in the transaction that
// records the failure (Store::fail_pin_attempt):
//   - to the order's callback URL (signing only), signed with the order's app
//     secret like order callbacks;
//   - to the tenant's notify URL, if an operator set one, signed with the
//     notify secret like notices.
// Body: {"event":"holder.pin_failed"|"holder.locked","holder_id":…,
//        "use":"sign"|"refresh"|"refresh_confirm","order_id":…|null,
//        "attempts_left":N,"occurred_at":unix}
// No PIN-derived value, no proof and no personal data is in it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/core_deps.h"
#include "store/metering.h"

namespace duet::core {

std::vector<store::CallbackJob> pin_failure_alarms(store::MeteringStore& metering, std::string_view tenant_id,
                                                   std::string_view holder_id, const store::SignOrder* order,
                                                   std::string_view use, int attempts_left, bool locked,
                                                   UnixSeconds now);

}  // namespace duet::core
