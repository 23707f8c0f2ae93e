// What every PIN use of a holder shares (docs/protocol.md §5.3, §6.1):
// which attempt policy applies, the key's sealed share (its P1, which the
// PIN proof is checked against), and the answers of a failed proof. Used by
// HolderService's signing, refresh and handwritten-signature paths; the
// definitions are in holder_service.cc.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "core/holder_service.h"
#include "core/pin_attempt_rule.h"
#include "cosign/service_key_share.h"
#include "keys/data_protector.h"

namespace duet::core {

// A use without an order (refresh, handwriting): the policy of the app that
// created (vouched for) the holder.
PinAttemptPolicy holder_pin_policy(const HolderService::Stores& stores, const CoreConfig& config,
                                   std::string_view tenant_id, std::string_view holder_id);

// The data-protection context of a key's sealed share.
std::string share_context(const store::HolderKeyShare& key);

// A key's share as opened, with the sealed bytes it came from.
struct OpenedShare {
  cosign::ServiceKeyShare share;
  Bytes sealed;
};
// Opens a key's sealed share (a record sealed before protocol v2 is sealed
// again with its P1, best effort).
Result<OpenedShare> open_share(store::HolderStore& holders, keys::DataProtector& protector,
                               const store::WriteContext& write, const store::HolderKeyShare& key);

// The error a failed PIN proof answers, with what is left (Error::attempts_left).
Unexpected pin_error(ErrorCode code, std::string message, int attempts_left);

// A PIN proof of a use without an order failed at `step`: the counted
// attempt recorded as a failure (locking the holder, with its alarms, when
// the rule says so) and the wrong-PIN answer (kPinInvalid, attempts_left).
Unexpected refresh_pin_failure(HolderService::Stores& stores, ServiceDeps& deps, const HolderContext& ctx,
                               const std::string& attempt_id, const store::PinAttemptCounters& counted,
                               const PinAttemptPolicy& policy, const char* step, UnixSeconds now);

}  // namespace duet::core
