// Which network addresses a request built from a tenant-supplied URL (order
// callbacks, notice webhooks) may connect to.
//
// A URL that a tenant chooses must not turn duetd into a proxy into its own
// network (server-side request forgery): the loopback admin listener, a cloud
// metadata service at 169.254.169.254, a database on 10.x. The check is made on
// the address the socket is about to connect to (libcurl's open-socket hook), so
// a DNS name that resolves, or later re-resolves, to an internal address is
// caught the same as a literal one.
#pragma once

#include <sys/socket.h>

#include <cstddef>

namespace duet::httpclient {

// True when `addr` (AF_INET or AF_INET6, `len` bytes) is a globally routable
// unicast address. False for: unspecified, loopback, RFC 1918 private,
// carrier-grade NAT (100.64/10), link-local (169.254/16, fe80::/10), unique
// local (fc00::/7), IETF protocol assignments (192.0.0/24), benchmarking
// (198.18/15), documentation (192.0.2/24, 198.51.100/24, 203.0.113/24,
// 2001:db8::/32), multicast, reserved (240/4, broadcast), "this network"
// (0/8); an IPv4-mapped, IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address is
// judged by the IPv4 address it carries. Any other family is false.
bool is_public_address(const sockaddr* addr, size_t len);

}  // namespace duet::httpclient
