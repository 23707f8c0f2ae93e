#include "httpclient/address_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <string>

namespace duet::httpclient {
namespace {

bool public_text(const std::string& text) {
  sockaddr_in v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return is_public_address(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return is_public_address(reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  ADD_FAILURE() << "not an address: " << text;
  return true;
}

TEST(AddressPolicy, InternalIpv4AddressesAreNotPublic) {
  for (const char* a : {"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
                        "127.0.0.1", "127.8.9.10", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
                        "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.19.255.1", "198.51.100.7", "203.0.113.9",
                        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255"}) {
    EXPECT_FALSE(public_text(a)) << a;
  }
}

TEST(AddressPolicy, RoutableIpv4AddressesArePublic) {
  // Just outside each refused range, and common public addresses.
  for (const char* a : {"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
                        "126.255.255.255", "128.0.0.0", "169.253.255.255", "172.15.255.255", "172.32.0.0",
                        "192.0.1.255", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
                        "223.255.255.255"}) {
    EXPECT_TRUE(public_text(a)) << a;
  }
}

TEST(AddressPolicy, Ipv6RangesAndEmbeddedIpv4) {
  for (const char* a : {"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1", "2001:db8::1",
                        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                        "::127.0.0.1", "100::1", "4000::1"}) {
    EXPECT_FALSE(public_text(a)) << a;
  }
  for (const char* a : {"2001:4860:4860::8888", "2400:3200::1", "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    EXPECT_TRUE(public_text(a)) << a;
  }
}

TEST(AddressPolicy, OtherFamiliesAndShortBuffersAreNotPublic) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_FALSE(is_public_address(reinterpret_cast<const sockaddr*>(&un), sizeof un));
  EXPECT_FALSE(is_public_address(nullptr, 0));
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "8.8.8.8", &v4.sin_addr);
  EXPECT_TRUE(is_public_address(reinterpret_cast<const sockaddr*>(&v4), sizeof v4));
  EXPECT_FALSE(is_public_address(reinterpret_cast<const sockaddr*>(&v4), sizeof v4 - 1));
}

}  // namespace
}  // namespace duet::httpclient
