// The protocol test vectors printed in docs/protocol.md §9 (`duet protocol
// vectors` prints them). The frozen known answers are checked in at
// src/cosign/testdata/protocol_vectors.txt: vectors_test.cc checks that this
// code and the document's block both equal them byte for byte AND recomputes
// every value from them with OpenSSL alone (EVP SM3, EC arithmetic on NID_sm2,
// PBKDF2, HMAC, EVP SM2 verification), so the document, the code and an
// independent computation agree. Regenerating is an explicit act:
// scripts/protocol-vectors rewrites the file and the document's block.
//
// Part A gives the secrets as explicit inputs and every derived value of key
// generation, a two-item signing session with its PIN proof, and a share
// refresh (protocol v2), so an independent implementation can check its
// arithmetic, contexts, challenges and proofs without our random stream.
// Part B is a transcript of the role classes driven by DeterministicRandom:
// it freezes this implementation's behaviour.
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
