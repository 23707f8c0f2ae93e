#include "crypto/portable_sm3.h"

#include <algorithm>
#include <cstring>

namespace duet::crypto::portable {
namespace {

constexpr uint32_t kIv[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                             0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};

inline uint32_t rotl(uint32_t x, unsigned n) {
  n &= 31;
  return n == 0 ? x : (x << n) | (x >> (32 - n));  // n is public (the round number)
}
inline uint32_t p0(uint32_t x) { return x ^ rotl(x, 9) ^ rotl(x, 17); }
inline uint32_t p1(uint32_t x) { return x ^ rotl(x, 15) ^ rotl(x, 23); }
inline uint32_t load_be(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

}  // namespace

Sm3::Sm3() : buf_{} { std::memcpy(v_, kIv, sizeof(v_)); }

Sm3::~Sm3() {
  secure_wipe(v_, sizeof(v_));
  secure_wipe(buf_, sizeof(buf_));
}

void Sm3::compress(const uint8_t block[64]) {
  uint32_t w[68], w1[64];
  for (int j = 0; j < 16; ++j) w[j] = load_be(block + 4 * j);
  for (int j = 16; j < 68; ++j) {
    w[j] = p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
  }
  for (int j = 0; j < 64; ++j) w1[j] = w[j] ^ w[j + 4];
  uint32_t a = v_[0], b = v_[1], c = v_[2], d = v_[3], e = v_[4], f = v_[5], g = v_[6], h = v_[7];
  for (int j = 0; j < 64; ++j) {
    uint32_t t = j < 16 ? 0x79cc4519u : 0x7a879d8au;
    uint32_t ss1 = rotl(rotl(a, 12) + e + rotl(t, static_cast<unsigned>(j)), 7);
    uint32_t ss2 = ss1 ^ rotl(a, 12);
    uint32_t ff = j < 16 ? (a ^ b ^ c) : ((a & b) | (a & c) | (b & c));
    uint32_t gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
    uint32_t tt1 = ff + d + ss2 + w1[j];
    uint32_t tt2 = gg + h + ss1 + w[j];
    d = c;
    c = rotl(b, 9);
    b = a;
    a = tt1;
    h = g;
    g = rotl(f, 19);
    f = e;
    e = p0(tt2);
  }
  v_[0] ^= a; v_[1] ^= b; v_[2] ^= c; v_[3] ^= d;
  v_[4] ^= e; v_[5] ^= f; v_[6] ^= g; v_[7] ^= h;
  secure_wipe(w, sizeof(w));
  secure_wipe(w1, sizeof(w1));
}

void Sm3::update(ByteView data) {
  // An empty span may carry a null pointer, which memcpy must not be given
  // even with a zero length (UBSan: the HMAC of an empty message).
  if (data.empty()) return;
  const uint8_t* p = data.data();
  size_t n = data.size();
  total_ += n;
  if (buf_len_ != 0) {
    size_t take = std::min(n, sizeof(buf_) - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
    if (buf_len_ < sizeof(buf_)) return;
    compress(buf_);
    buf_len_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64) compress(p);
  if (n != 0) std::memcpy(buf_, p, n);
  buf_len_ = n;
}

std::array<uint8_t, 32> Sm3::final() {
  uint64_t bits = total_ * 8;
  buf_[buf_len_++] = 0x80;
  if (buf_len_ > 56) {
    std::memset(buf_ + buf_len_, 0, sizeof(buf_) - buf_len_);
    compress(buf_);
    buf_len_ = 0;
  }
  std::memset(buf_ + buf_len_, 0, 56 - buf_len_);
  for (int i = 0; i < 8; ++i) buf_[56 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  compress(buf_);
  std::array<uint8_t, 32> out{};
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(v_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(v_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(v_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(v_[i]);
  }
  return out;
}

std::array<uint8_t, 32> sm3(ByteView data) {
  Sm3 h;
  h.update(data);
  return h.final();
}

namespace {

// The inner and outer hash states after the padded key, reused by PBKDF2 for
// every iteration.
struct HmacKey {
  Sm3 inner, outer;
  explicit HmacKey(ByteView key) {
    uint8_t k[64] = {};
    if (key.size() > 64) {
      auto d = sm3(key);
      std::memcpy(k, d.data(), d.size());
      secure_wipe(d.data(), d.size());
    } else if (!key.empty()) {
      std::memcpy(k, key.data(), key.size());
    }
    uint8_t pad[64];
    for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x36;
    inner.update(ByteView(pad, 64));
    for (int i = 0; i < 64; ++i) pad[i] = k[i] ^ 0x5c;
    outer.update(ByteView(pad, 64));
    secure_wipe(k, sizeof(k));
    secure_wipe(pad, sizeof(pad));
  }
  std::array<uint8_t, 32> mac(ByteView a, ByteView b = {}) const {
    Sm3 i = inner;
    i.update(a);
    i.update(b);
    auto ih = i.final();
    Sm3 o = outer;
    o.update(ih);
    secure_wipe(ih.data(), ih.size());
    return o.final();
  }
};

}  // namespace

std::array<uint8_t, 32> hmac_sm3(ByteView key, ByteView data) { return HmacKey(key).mac(data); }

void pbkdf2_hmac_sm3(ByteView password, ByteView salt, uint32_t iterations, uint8_t* out, size_t out_len) {
  HmacKey key(password);
  for (uint32_t block = 1; out_len != 0; ++block) {
    uint8_t idx[4] = {static_cast<uint8_t>(block >> 24), static_cast<uint8_t>(block >> 16),
                      static_cast<uint8_t>(block >> 8), static_cast<uint8_t>(block)};
    std::array<uint8_t, 32> u = key.mac(salt, ByteView(idx, 4));
    std::array<uint8_t, 32> t = u;
    for (uint32_t i = 1; i < iterations; ++i) {
      u = key.mac(u);
      for (size_t j = 0; j < t.size(); ++j) t[j] ^= u[j];
    }
    size_t take = std::min(out_len, t.size());
    std::memcpy(out, t.data(), take);
    out += take;
    out_len -= take;
    secure_wipe(u.data(), u.size());
    secure_wipe(t.data(), t.size());
  }
}

}  // namespace duet::crypto::portable
