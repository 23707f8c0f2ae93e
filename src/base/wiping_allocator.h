// An allocator that overwrites memory with zeros before giving it back.
//
// For containers that hold secrets in transit (e.g. a JSON parser's token
// buffer and string values while a wrapped share is read): every heap block
// they free, including the ones left behind when a string grows, is wiped.
// Short strings that fit a container's inline buffer are not heap memory and
// are not covered; callers keep secrets out of those (see cosign/secret_json.h).
#pragma once

#include <cstddef>
#include <memory>

#include "base/bytes.h"

namespace duet {

template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT: rebinding is implicit by design
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    secure_wipe(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const WipingAllocator<U>&) const { return false; }
};

}  // namespace duet
