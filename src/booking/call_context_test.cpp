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

// The tenant configuration's version as the database would tell it.
class Versions final : public tenancy::ConfigVersionSource {
 public:
  Result<std::int64_t> Current() override {
    if (down) return Fail(ErrorCode::kUnavailable, "database down");
    return version;
  }
  std::int64_t version = 1;
  bool down = false;
};

// A call that began before its company changed (a new Cal.com key, another time zone,
// deactivation) takes the company as it is now on its next function call, once the
// configuration's version says it changed; while the version cannot be read, the cached context
// serves.
TEST(CallContextResolverTest, ACachedCallFollowsItsCompanysChanges) {
  testing::TwoCompanyWorld world;
  Versions versions;
  tenancy::TenancyCache configuration({std::chrono::milliseconds(0), 100}, versions, world.clock);
  world.contexts.FollowConfiguration(&configuration);
  const auto key = [&] {
    auto ctx = world.contexts.Resolve("call_fuzz_1", std::nullopt);
    EXPECT_TRUE(ctx.has_value()) << ctx.error().message;
    return ctx ? std::string(ctx->company.calcom_api_key.Reveal()) : std::string("<none>");
  };
  auto& company = world.companies.rows.front();
  ASSERT_EQ(company.id, CompanyId(1));
  for (auto& branch : world.branches.rows) branch.timezone.clear();  // the company's zone holds
  company.calcom_api_key = Secret("cal_old");
  EXPECT_EQ(key(), "cal_old");
  company.calcom_api_key = Secret("cal_new");
  EXPECT_EQ(key(), "cal_old") << "served from the cache while the version stands";
  versions.version = 2;
  EXPECT_EQ(key(), "cal_new");
  company.timezone = "Europe/Vienna";
  versions.version = 3;
  auto moved = world.contexts.Resolve("call_fuzz_1", std::nullopt);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->timezone, "Europe/Vienna");
  // The database away: the call goes on with what it knows.
  versions.down = true;
  company.calcom_api_key = Secret("cal_newer");
  EXPECT_EQ(key(), "cal_new");
  versions.down = false;
  versions.version = 4;
  EXPECT_EQ(key(), "cal_newer");
  // Deactivated: the call opens nothing any more, as a new call would not.
  company.is_active = false;
  versions.version = 5;
  auto inactive = world.contexts.Resolve("call_fuzz_1", std::nullopt);
  ASSERT_FALSE(inactive.has_value());
  EXPECT_EQ(inactive.error().code, ErrorCode::kNotFound);
  // The other company's call is untouched by all of this.
  auto other = world.contexts.Resolve("call_fuzz_2", std::nullopt);
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_EQ(other->company.id, CompanyId(2));
}

}  // namespace
}  // namespace callgate::booking
