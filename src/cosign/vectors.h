// The protocol test vectors printed in docs/protocol.md §9 (`duet protocol
// vectors` prints them; vectors_test.cc checks the document against the code).
//
// Part A gives the secrets as explicit inputs and every derived value, so an
// independent implementation can check its arithmetic, challenges and proof
// verification without reproducing our random stream. Part B is a transcript
// of the role classes driven by DeterministicRandom: it freezes this
// implementation's behaviour.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace duet::cosign {

using VectorList = std::vector<std::pair<std::string, std::string>>;

VectorList protocol_test_vectors();

// "name = value" lines, one per vector, in order.
std::string format_vectors(const VectorList& vectors);

}  // namespace duet::cosign
