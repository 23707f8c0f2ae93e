// duet bench: a load generator against a loopback duetd. N simulated holders
// (one thread each by default) loop create order (Business API, signed) →
// POST sessions → finish → GET order, and the run reports co-signatures/s,
// per-route latency, errors by status, and duetd's CPU per co-signature next to
// the in-process crypto floor (ServiceSigner::respond + finish).
#pragma once

namespace CLI {
class App;
}

namespace duet::cli {

void add_bench_commands(CLI::App& app);

}  // namespace duet::cli
