// The cosign roles of the constant-time test (ct_test.cc has the method).
#pragma once

namespace duet::ct_test {

// Runs key generation, signing and share refresh of both roles through the
// public APIs of src/cosign, secrets marked undefined, messages declassified
// where they cross the wire. `check` records a failed functional expectation.
void run_cosign_cases(void (*check)(bool ok, const char* what));

}  // namespace duet::ct_test
