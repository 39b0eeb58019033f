// CallContextResolver: which call a function call opens. The tenant rules are in one place: a
// company URL binds the company, and a phone call's dialled number binds its number's company,
// whether the context is cached or loaded.
#include "booking/call_context.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"

namespace callgate::booking {
namespace {

using tenancy::CompanyId;

constexpr const char* kSonnenscheinNumber = "+493083793369";
constexpr const char* kNordlichtNumber = "+494012345678";

calls::CallSnapshot PhoneCall(const std::string& call_id, const std::string& dialled) {
  calls::CallSnapshot snapshot;
  snapshot.call_id = call_id;
  snapshot.call_type = std::string(calls::kPhoneCall);
  snapshot.from_number = "+4915100000009";
  snapshot.to_number = dialled;
  return snapshot;
}

// Company 2's call id sent with company 1's number (a platform credential opens both numbers)
// opens nothing of company 2's call, before and after the call's context is cached.
TEST(CallContextResolverTest, AnotherCompanysCallIdWithThisCompanysNumberOpensNothing) {
  testing::TwoCompanyWorld world;
  auto crossed =
      world.contexts.Resolve("call_fuzz_2", PhoneCall("call_fuzz_2", kSonnenscheinNumber));
  ASSERT_FALSE(crossed.has_value());
  EXPECT_EQ(crossed.error().code, ErrorCode::kNotFound);

  auto own = world.contexts.Resolve("call_fuzz_2", PhoneCall("call_fuzz_2", kNordlichtNumber));
  ASSERT_TRUE(own.has_value()) << own.error().message;
  EXPECT_EQ(own->company.id, CompanyId(2));
  auto cached =
      world.contexts.Resolve("call_fuzz_2", PhoneCall("call_fuzz_2", kSonnenscheinNumber));
  ASSERT_FALSE(cached.has_value());
  EXPECT_EQ(cached.error().code, ErrorCode::kNotFound);

  // A number no company has opens no call either.
  EXPECT_FALSE(world.contexts.Resolve("call_fuzz_2", PhoneCall("call_fuzz_2", "+4940999999")));
  // The spelling of the right number does not matter.
  EXPECT_TRUE(world.contexts.Resolve("call_fuzz_2", PhoneCall("call_fuzz_2", "+49 40 12345678")));
  // A web call names no line; without a snapshot (MCP) the caller's token binds the company.
  auto web = PhoneCall("call_fuzz_2", kSonnenscheinNumber);
  web.call_type = std::string(calls::kWebCall);
  EXPECT_TRUE(world.contexts.Resolve("call_fuzz_2", web));
  EXPECT_FALSE(world.contexts.Resolve("call_fuzz_2", std::nullopt, CompanyId(1)));
  EXPECT_EQ(world.calls.rows.size(), 2u) << "a refused function call created a call";
}

// A call no webhook announced yet is created in the dialled number's company, and a company URL
// that is not that company's creates nothing.
TEST(CallContextResolverTest, ANewCallBelongsToItsDialledNumbersCompany) {
  testing::TwoCompanyWorld world;
  auto created = world.contexts.Resolve("call_new", PhoneCall("call_new", kNordlichtNumber));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->company.id, CompanyId(2));
  EXPECT_FALSE(world.contexts.Resolve("call_other", PhoneCall("call_other", kNordlichtNumber),
                                      CompanyId(1)));
  EXPECT_EQ(world.calls.rows.size(), 3u);
}

}  // namespace
}  // namespace callgate::booking
