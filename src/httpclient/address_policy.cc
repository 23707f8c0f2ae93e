#include "httpclient/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace duet::httpclient {
namespace {

// `a` in host byte order.
bool public_v4(uint32_t a) {
  auto in = [a](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  return !(in(0x00000000, 8)        // 0.0.0.0/8 "this network"
           || in(0x0A000000, 8)     // 10/8
           || in(0x64400000, 10)    // 100.64/10 carrier-grade NAT
           || in(0x7F000000, 8)     // 127/8 loopback
           || in(0xA9FE0000, 16)    // 169.254/16 link-local (cloud metadata)
           || in(0xAC100000, 12)    // 172.16/12
           || in(0xC0000000, 24)    // 192.0.0/24 IETF protocol assignments
           || in(0xC0000200, 24)    // 192.0.2/24 documentation
           || in(0xC0A80000, 16)    // 192.168/16
           || in(0xC6120000, 15)    // 198.18/15 benchmarking
           || in(0xC6336400, 24)    // 198.51.100/24 documentation
           || in(0xCB007100, 24)    // 203.0.113/24 documentation
           || in(0xE0000000, 4)     // 224/4 multicast
           || in(0xF0000000, 4));   // 240/4 reserved, broadcast included
}

uint32_t v4_at(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool public_v6(const uint8_t b[16]) {
  static constexpr uint8_t kZero[12] = {};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  // ::/96 holds :: and ::1 as well as the deprecated IPv4-compatible form;
  // all are judged as IPv4 (0.0.0.0 and 0.0.0.1 fall in 0/8: not public).
  if (std::memcmp(b, kZero, 12) == 0 || std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0)
    return public_v4(v4_at(b + 12));
  if (b[0] == 0xff) return false;                          // ff00::/8 multicast
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local (deprecated)
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7 unique local
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32
  return (b[0] & 0xe0) == 0x20;                             // 2000::/3: the global unicast space
}

}  // namespace

bool is_public_address(const sockaddr* addr, size_t len) {
  if (addr == nullptr) return false;
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, addr, sizeof v4);
    return public_v4(ntohl(v4.sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, addr, sizeof v6);
    return public_v6(v6.sin6_addr.s6_addr);
  }
  return false;
}

}  // namespace duet::httpclient
