// The wire names of the enums the core exposes: each value has its own name,
// every name reads back to the value it came from, and a name that is not on
// the wire (wrong case, a neighbour's name, empty) is refused.
#include "core/views.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace duet::core {
namespace {

using store::AppEnvironment;
using store::HolderStatus;
using store::OrderState;
using store::OutputFormat;

TEST(ViewsTest, OrderStateNamesAreTheWireNames) {
  EXPECT_EQ(order_state_name(OrderState::kPending), "pending");
  EXPECT_EQ(order_state_name(OrderState::kSigning), "signing");
  EXPECT_EQ(order_state_name(OrderState::kSigned), "signed");
  EXPECT_EQ(order_state_name(OrderState::kRejected), "rejected");
  EXPECT_EQ(order_state_name(OrderState::kExpired), "expired");
  EXPECT_EQ(order_state_name(OrderState::kCancelled), "cancelled");
  EXPECT_EQ(order_state_name(OrderState::kFailed), "failed");
}

TEST(ViewsTest, EveryOrderStateRoundTripsThroughItsName) {
  const OrderState all[] = {OrderState::kPending, OrderState::kSigning, OrderState::kSigned, OrderState::kRejected,
                            OrderState::kExpired, OrderState::kCancelled, OrderState::kFailed};
  std::set<std::string> names;
  for (OrderState s : all) {
    auto name = order_state_name(s);
    names.insert(std::string(name));
    auto back = order_state_from_name(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, s) << name;
  }
  EXPECT_EQ(names.size(), std::size(all)) << "two states share a name";
}

TEST(ViewsTest, UnknownOrderStateNamesAreRefused) {
  for (std::string_view n : {"", "Pending", "PENDING", "signed ", " signed", "canceled", "done", "raw"}) {
    EXPECT_FALSE(order_state_from_name(n).has_value()) << "'" << n << "'";
  }
}

TEST(ViewsTest, OutputFormatNamesAreTheWireNames) {
  EXPECT_EQ(output_format_name(OutputFormat::kRaw), "raw");
  EXPECT_EQ(output_format_name(OutputFormat::kDer), "der");
  EXPECT_EQ(output_format_name(OutputFormat::kCmsDetached), "cms-detached");
  EXPECT_EQ(output_format_name(OutputFormat::kCmsAttached), "cms-attached");
}

TEST(ViewsTest, EveryOutputFormatRoundTripsThroughItsName) {
  const OutputFormat all[] = {OutputFormat::kRaw, OutputFormat::kDer, OutputFormat::kCmsDetached,
                              OutputFormat::kCmsAttached};
  std::set<std::string> names;
  for (OutputFormat f : all) {
    auto name = output_format_name(f);
    names.insert(std::string(name));
    auto back = output_format_from_name(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, f) << name;
  }
  EXPECT_EQ(names.size(), std::size(all)) << "two formats share a name";
}

TEST(ViewsTest, UnknownOutputFormatNamesAreRefused) {
  for (std::string_view n : {"", "RAW", "Der", "cms", "cms_detached", "cmsdetached", "cms-attached ", "pem",
                             "pending"}) {
    EXPECT_FALSE(output_format_from_name(n).has_value()) << "'" << n << "'";
  }
}

TEST(ViewsTest, HolderStatusAndEnvironmentNamesAreDistinctWireNames) {
  EXPECT_EQ(holder_status_name(HolderStatus::kActive), "active");
  EXPECT_EQ(holder_status_name(HolderStatus::kLocked), "locked");
  EXPECT_EQ(environment_name(AppEnvironment::kSandbox), "sandbox");
  EXPECT_EQ(environment_name(AppEnvironment::kProduction), "production");
}

}  // namespace
}  // namespace duet::core
