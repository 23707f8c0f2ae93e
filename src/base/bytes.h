// Byte strings, hex codecs and secret buffers that wipe themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace duet {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lowercase hex.
std::string to_hex(ByteView data);

// Decodes hex (either case). Odd length or a non-hex character is kBadEncoding.
Result<Bytes> from_hex(std::string_view hex);

// Decodes hex that must encode exactly `expected_size` bytes: a truncated or
// oversized field is kBadEncoding, never silently padded or cut.
Result<Bytes> from_hex_exact(std::string_view hex, size_t expected_size);

// Overwrites memory in a way the compiler cannot elide (OPENSSL_cleanse).
void secure_wipe(void* data, size_t size);

// Constant-time equality of two byte strings (time depends only on the lengths).
bool constant_time_equal(ByteView a, ByteView b);

// A byte buffer for secrets: wiped when destroyed or reassigned; not copyable
// by accident (copy through clone()).
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size) {}
  explicit SecretBytes(ByteView data) : data_(data.begin(), data.end()) {}
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      data_ = std::move(other.data_);
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { wipe(); }

  SecretBytes clone() const { return SecretBytes(ByteView(data_)); }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return data_; }
  std::span<uint8_t> span() { return data_; }

 private:
  void wipe() {
    if (!data_.empty()) secure_wipe(data_.data(), data_.size());
  }
  std::vector<uint8_t> data_;
};

}  // namespace duet
