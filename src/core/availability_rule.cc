#include "core/availability_rule.h"

#include <algorithm>

namespace duet::core {

namespace {

// 90 %: good * 10 >= total * 9 (exact, integers).
bool ratio_ok(int64_t good, int64_t total) { return good * 10 >= total * 9; }

size_t index_of(UnixSeconds from, UnixSeconds minute) { return static_cast<size_t>((minute - from) / 60); }

bool covers(const SlaExclusion& e, UnixSeconds minute) { return e.from < minute + 60 && e.to > minute; }

}  // namespace

JudgedMinutes judge_minutes(const AvailabilityInputs& in) {
  JudgedMinutes j;
  j.from = in.from;
  j.to = std::max(in.to, in.from);
  const size_t n = index_of(j.from, j.to);
  j.unrecorded.assign(n, 1);
  j.by_tenants.assign(n, 0);

  // The service row of each minute (liveness, probes, anyone's traffic).
  std::vector<const store::AvailabilityMinute*> service(n, nullptr);
  for (const auto& r : in.service)
    if (r.minute >= j.from && r.minute < j.to) {
      service[index_of(j.from, r.minute)] = &r;
      j.unrecorded[index_of(j.from, r.minute)] = 0;
    }

  for (SlaServiceKind kind : kSlaServices) {
    const auto k = static_cast<size_t>(kind);
    std::vector<int32_t>& participants = j.participants[k];
    std::vector<int32_t> normal(n, 0);
    participants.assign(n, 0);
    std::vector<MinuteState>& state = j.state[k];
    state.assign(n, MinuteState::kDown);

    // Service-wide exclusions of this service.
    std::vector<uint8_t> excluded(n, 0);
    for (const auto& e : in.exclusions) {
      if (!e.tenant_id.empty() || !e.applies_to(kind)) continue;
      for (UnixSeconds m = std::max(j.from, e.from - e.from % 60); m < std::min(j.to, e.to); m += 60)
        if (m >= j.from && covers(e, m)) excluded[index_of(j.from, m)] = 1;
    }

    // Each active tenant is one participant, normal when all its answers were.
    for (const auto& t : in.tenants[k]) {
      for (const auto& r : t.rows) {
        if (r.minute < j.from || r.minute >= j.to || r.requests <= 0) continue;
        bool own_cause = std::any_of(in.exclusions.begin(), in.exclusions.end(), [&](const SlaExclusion& e) {
          return e.tenant_id == t.tenant_id && e.applies_to(kind) && covers(e, r.minute);
        });
        if (own_cause) continue;  // a cause on the tenant's side: not judged by its answers
        size_t i = index_of(j.from, r.minute);
        ++participants[i];
        if (r.normal >= r.requests) ++normal[i];
        j.by_tenants[i] = 1;
      }
    }

    for (size_t i = 0; i < n; ++i) {
      if (excluded[i]) {
        state[i] = MinuteState::kExcluded;
        continue;
      }
      const store::AvailabilityMinute* s = service[i];
      if (s == nullptr) continue;  // nothing answered, nothing probed: down
      int64_t probes = s->probes_ok + s->probes_failed;
      if (probes > 0) {  // the probe takes part in both services
        ++participants[i];
        if (ratio_ok(s->probes_ok, probes)) ++normal[i];
      }
      bool up;
      if (participants[i] > 0) up = ratio_ok(normal[i], participants[i]);
      else up = ratio_ok(s->normal, s->requests);  // only others' traffic (0 requests: vacuously up)
      state[i] = up ? MinuteState::kUp : MinuteState::kDown;
    }
  }
  return j;
}

SlaFigures figures_for(const JudgedMinutes& judged, UnixSeconds from, UnixSeconds to, std::string_view tenant_id,
                       const std::vector<SlaExclusion>& exclusions,
                       const std::vector<store::AvailabilityMinute>& own) {
  SlaFigures f;
  from = std::clamp(from, judged.from, judged.to);
  to = std::clamp(to, from, judged.to);
  f.from = from;
  f.to = to;
  int64_t counted = 0, run = 0;
  UnixSeconds run_start = 0;
  auto end_run = [&] {
    if (run > f.longest_outage_minutes) {
      f.longest_outage_minutes = run;
      f.longest_outage_start = run_start;
    }
    run = 0;
  };
  std::vector<uint8_t> fully_excluded(index_of(from, to), 0);
  for (UnixSeconds m = from; m < to; m += 60) {
    size_t i = index_of(judged.from, m);
    bool down_any = false, counted_any = false;
    for (SlaServiceKind kind : kSlaServices) {
      MinuteState st = judged.state[static_cast<size_t>(kind)][i];
      if (st != MinuteState::kExcluded && !tenant_id.empty()) {
        bool own_cause = std::any_of(exclusions.begin(), exclusions.end(), [&](const SlaExclusion& e) {
          return e.tenant_id == tenant_id && e.applies_to(kind) && covers(e, m);
        });
        if (own_cause) st = MinuteState::kExcluded;
      }
      if (st == MinuteState::kExcluded) continue;
      counted_any = true;
      if (st == MinuteState::kDown) {
        down_any = true;
        ++(kind == SlaServiceKind::kSigning ? f.signing_unavailable_minutes : f.certificate_unavailable_minutes);
      }
    }
    if (!counted_any) {
      ++f.excluded_minutes;
      fully_excluded[index_of(from, m)] = 1;
      end_run();
      continue;
    }
    ++counted;
    if (judged.unrecorded[i]) ++f.unrecorded_minutes;
    else if (judged.by_tenants[i]) ++f.traffic_minutes;
    else ++f.probe_minutes;
    if (down_any) {
      if (run == 0) run_start = m;
      ++run;
    } else {
      end_run();
    }
  }
  end_run();
  f.unavailable_minutes = f.signing_unavailable_minutes + f.certificate_unavailable_minutes;
  f.available_minutes = std::max<int64_t>(0, counted - f.unavailable_minutes);
  f.availability_pct = counted > 0 ? 100.0 * static_cast<double>(f.available_minutes) / static_cast<double>(counted)
                                   : 100.0;

  int64_t total_us = 0, max_us = 0;
  for (const auto& r : own) {
    if (r.minute < from || r.minute >= to || fully_excluded[index_of(from, r.minute)]) continue;
    f.requests += r.requests;
    f.normal += r.normal;
    total_us += r.total_us;
    max_us = std::max(max_us, r.max_us);
  }
  f.avg_ms = f.requests > 0 ? static_cast<double>(total_us) / 1000.0 / static_cast<double>(f.requests) : 0.0;
  f.max_ms = static_cast<double>(max_us) / 1000.0;
  return f;
}

}  // namespace duet::core
