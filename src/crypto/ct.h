// Hooks for the constant-time test (docs/protocol.md §8.4, tests/ct/ct_test.cc).
//
// The test runs the code under valgrind memcheck with every secret marked
// "undefined" (libsecp256k1's method): memcheck then reports each branch and
// each memory index that depends on a secret. A few outcomes computed from
// secrets are public by design ("is this scalar zero → retry", "is this sum
// the point at infinity → reject", "is this encoding below n"); the code says
// so by declassifying exactly that outcome right before it branches on it.
// Every such call site is listed in docs/protocol.md §8.4.
//
// Outside valgrind (or when <valgrind/memcheck.h> was absent at build time)
// these functions do nothing: a client request is a few no-op instructions.
#pragma once

#include <cstddef>

namespace duet::crypto::ct {

// Marks memory as public (valgrind: defined).
void declassify(const void* data, size_t size);
// Marks memory as secret (valgrind: undefined). For tests only.
void classify(const void* data, size_t size);
// True when running under valgrind with the client requests compiled in.
bool under_valgrind();

// The value, declassified: use on the boolean outcome of a public check.
template <typename T>
T declassified(T value) {
  declassify(&value, sizeof(value));
  return value;
}

}  // namespace duet::crypto::ct
