// The canonical form of a signed Business API request (core/request_signing.h).
#include <gtest/gtest.h>
#include "base/result_testing.h"
#include "core/request_signing.h"
#include "crypto/sm3.h"

namespace duet::core {
namespace {

TEST(RequestSigning, CanonicalForm) {
  EXPECT_EQ(canonical_request("POST", "/api/v1/orders", "", "1700000000", "abcdefgh", "{}"),
            "POST\n/api/v1/orders\n1700000000\nabcdefgh\n" + to_hex(crypto::sm3(as_bytes("{}"))));
  EXPECT_EQ(canonical_request("GET", "/api/v1/orders", "state=signed", "1", "n", "").substr(0, 34),
            "GET\n/api/v1/orders?state=signed\n1\n");
}

}  // namespace
}  // namespace duet::core
