#include "tools/tenant_file.hpp"

#include <gtest/gtest.h>

namespace callgate::tools {
namespace {

std::string ErrorOf(std::string_view json) {
  auto r = ParseTenantJson(json);
  return r ? std::string("<ok>") : r.error().message;
}

TEST(TenantFile, ParsesTheSpecExample) {
  auto r = ParseTenantJson(R"({"companies": [{
    "name": "Praxis Dr. Weber", "slug": "praxis-weber", "timezone": "Europe/Berlin",
    "calcom_api_key": "cal_test_123", "price_per_minute_cents": 15,
    "branches": [{
      "name": "Berlin Mitte", "address": "Torstraße 1, 10119 Berlin",
      "business_hours": {"mon": ["09:00", "18:00"], "wed": ["09:00", "13:00"]},
      "phone_numbers": ["+49 30 83793369"]}],
    "services": [{"name": "Erstberatung", "synonyms": ["Beratung"], "duration_minutes": 30,
                  "price_cents": 6000, "calcom_event_type_id": 1001, "branches": ["Berlin Mitte"],
                  "is_default": true}],
    "customers": [{"name": "Erika Mustermann", "phone": "+49 151 12345678"}]}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->companies.size(), 1u);
  const auto& c = r->companies[0];
  EXPECT_EQ(c.slug, "praxis-weber");
  EXPECT_EQ(c.price_per_minute_cents, 15);
  ASSERT_EQ(c.branches.size(), 1u);
  EXPECT_EQ(c.branches[0].phone_numbers, std::vector<std::string>{"+493083793369"});
  ASSERT_TRUE(c.branches[0].business_hours[1].has_value());  // Monday
  EXPECT_EQ(c.branches[0].business_hours[1]->open_minute, 9 * 60);
  EXPECT_EQ(c.branches[0].business_hours[1]->close_minute, 18 * 60);
  EXPECT_FALSE(c.branches[0].business_hours[2].has_value());  // Tuesday closed
  EXPECT_EQ(c.services[0].calcom_event_type_id, 1001);
  EXPECT_TRUE(c.services[0].is_default);
  EXPECT_EQ(c.customers[0].phone, "+4915112345678");
  EXPECT_EQ(c.retention_days, 30);  // defaults (docs/privacy.md)
  EXPECT_EQ(c.customer_retention_days, 365);
}

TEST(TenantFile, ReadsRetentionDaysWithinBounds) {
  auto r = ParseTenantJson(
      R"({"companies":[{"name":"A","slug":"a","retention_days":7,"customer_retention_days":90}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->companies[0].retention_days, 7);
  EXPECT_EQ(r->companies[0].customer_retention_days, 90);
  EXPECT_FALSE(r->companies[0].store_recordings);  // the default
  EXPECT_NE(ErrorOf(R"({"companies":[{"name":"A","slug":"a","retention_days":0}]})")
                .find("companies[0].retention_days"),
            std::string::npos);
}

TEST(TenantFile, ReadsStoreRecordingsAndTheAiDisclosure) {
  auto r = ParseTenantJson(R"({"companies":[{"name":"A","slug":"a","store_recordings":true,)"
                           R"("ai_disclosure":"Hier spricht die digitale Assistenz."}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->companies[0].store_recordings);
  EXPECT_EQ(r->companies[0].ai_disclosure, "Hier spricht die digitale Assistenz.");
  EXPECT_NE(ErrorOf(R"({"companies":[{"name":"A","slug":"a","store_recordings":"ja"}]})")
                .find("companies[0].store_recordings"),
            std::string::npos);
}

TEST(TenantFile, TheLanguageMustBeOneCalcomSupports) {
  auto r = ParseTenantJson(R"({"companies":[{"name":"A","slug":"a","language":"de-AT"}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->companies[0].language, "de-AT");
  auto latin = ParseTenantJson(R"({"companies":[{"name":"A","slug":"a","language":"es-419"}]})");
  ASSERT_TRUE(latin.has_value()) << latin.error().message;
  const std::string refused = ErrorOf(R"({"companies":[{"name":"A","slug":"a","language":"fa"}]})");
  EXPECT_NE(refused.find("companies[0].language"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Cal.com"), std::string::npos) << refused;
}

TEST(TenantFile, DemoTenantIsValid) {
  auto r = ParseTenantJson(DemoTenantJson());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& c = r->companies.at(0);
  EXPECT_EQ(c.timezone, "Europe/Berlin");
  EXPECT_EQ(c.branches.size(), 2u);
  EXPECT_EQ(c.services.size(), 3u);
  int numbers = 0;
  for (const auto& b : c.branches) numbers += static_cast<int>(b.phone_numbers.size());
  EXPECT_EQ(numbers, 2);
  for (const auto& s : c.services) EXPECT_TRUE(s.calcom_event_type_id.has_value());
  for (const auto& b : c.branches) EXPECT_EQ(b.region, "BE") << b.name;
  EXPECT_EQ(c.branches[0].transfer_number, "+493083793300");
  EXPECT_EQ(c.branches[1].transfer_number, "");
}

TEST(TenantFile, ABranchRegionIsABundeslandCode) {
  auto r = ParseTenantJson(R"({"companies":[{"name":"A","slug":"a","branches":[
              {"name":"München","region":"BY"},{"name":"Irgendwo"}]}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->companies[0].branches[0].region, "BY");
  EXPECT_EQ(r->companies[0].branches[1].region, "");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "region":"Bayern"}]}]})"),
            "companies[0].branches[0].region: not a Bundesland code (use one of BW, BY, BE, BB, "
            "HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "transfer_number":"12"}]}]})"),
            "companies[0].branches[0].transfer_number: not a valid phone number: '12'");
}

TEST(TenantFile, ClosingDaysOfTheCompanyAndOfABranch) {
  auto r = ParseTenantJson(R"({"companies":[{"name":"A","slug":"a",
      "closing_days":[{"from":"2026-12-24","to":"2027-01-01","name":"Betriebsferien"},
                      {"from":"2027-03-05"}],
      "branches":[{"name":"Mitte","closing_days":[{"from":"2026-12-07","name":"Fortbildung"}]},
                  {"name":"Spandau"}]}]})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& c = r->companies[0];
  ASSERT_EQ(c.closing_days.size(), 2u);
  EXPECT_EQ(c.closing_days[0],
            (tenancy::ClosingDays{"2026-12-24", "2027-01-01", "Betriebsferien"}));
  EXPECT_EQ(c.closing_days[1], (tenancy::ClosingDays{"2027-03-05", "2027-03-05", ""}));  // one day
  ASSERT_EQ(c.branches[0].closing_days.size(), 1u);
  EXPECT_EQ(c.branches[0].closing_days[0].name, "Fortbildung");
  EXPECT_TRUE(c.branches[1].closing_days.empty());

  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a",
              "closing_days":[{"from":"2027-01-01","to":"2026-12-24"}]}]})"),
            "companies[0].closing_days[0].to: must not be before from");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "closing_days":[{"from":"24.12.2026"}]}]}]})"),
            "companies[0].branches[0].closing_days[0].from: must be a date YYYY-MM-DD (e.g. "
            "2026-12-24)");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a",
              "closing_days":[{"from":"2026-02-30"}]}]})"),
            "companies[0].closing_days[0].from: must be a date YYYY-MM-DD (e.g. 2026-12-24)");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a",
              "closing_days":[{"from":"2026-12-24","name":")" +
                    std::string(81, 'x') + R"("}]}]})"),
            "companies[0].closing_days[0].name: must be at most 80 characters");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a",
              "closing_days":[{"from":"2026-12-24","until":"2026-12-31"}]}]})"),
            "companies[0].closing_days[0].until: unknown field");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","closing_days":"2026-12-24"}]})"),
            "companies[0].closing_days: must be a list");
  // YAML takes dates unquoted.
  auto yaml = ParseTenantYaml(R"(companies:
  - name: A
    slug: a
    closing_days:
      - {from: 2026-12-24, to: 2027-01-01, name: Betriebsferien}
)");
  ASSERT_TRUE(yaml.has_value()) << yaml.error().message;
  EXPECT_EQ(yaml->companies[0].closing_days,
            (std::vector<tenancy::ClosingDays>{{"2026-12-24", "2027-01-01", "Betriebsferien"}}));
}

TEST(TenantFile, YamlHasTheSameStructure) {
  auto r = ParseTenantYaml(R"(
companies:
  - name: Salon Schnitt
    slug: salon-schnitt
    branches:
      - name: Hamburg
        business_hours: {tue: ["10:00", "19:00"]}
        phone_numbers: ["040 1234567"]
    services:
      - {name: Haarschnitt, duration_minutes: 45, price_cents: 3500, calcom_event_type_id: 7}
)");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->companies[0].branches[0].phone_numbers[0], "+49401234567");
  EXPECT_EQ(r->companies[0].services[0].duration_minutes, 45);
  EXPECT_FALSE(ParseTenantYaml("companies: [").has_value());
}

TEST(TenantFile, RejectsBadFieldsWithTheirPath) {
  EXPECT_EQ(ErrorOf("[]"), "companies: the file must be an object with a list 'companies'");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"slug":"a"}]})"), "companies[0].name: is required");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"Bad Slug"}]})"),
            "companies[0].slug: may contain only a-z, 0-9 and '-'");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "phone_numbers":["+49 30 83793369","12"]}]}]})"),
            "companies[0].branches[0].phone_numbers[1]: not a valid phone number: '12'");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "business_hours":{"mon":["18:00","09:00"]}}]}]})"),
            "companies[0].branches[0].business_hours.mon: closes before it opens");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","branches":[{"name":"B",
              "business_hours":{"monday":["09:00","18:00"]}}]}]})"),
            "companies[0].branches[0].business_hours.monday: unknown weekday (use mon, tue, wed, "
            "thu, fri, sat, sun)");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","services":[{"name":"S",
              "branches":["Nowhere"]}]}]})"),
            "companies[0].services[0].branches[0]: no branch named 'Nowhere'");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","services":[{"name":"S",
              "duration_minutes":"30"}]}]})"),
            "companies[0].services[0].duration_minutes: must be a whole number");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","is_active":false}]})"),
            "companies[0].is_active: unknown field");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a","timezone":"Mars/Base"}]})"),
            "companies[0].timezone: unknown time zone");
  EXPECT_EQ(ErrorOf(R"({"companies":[{"name":"A","slug":"a"},{"name":"B","slug":"a"}]})"),
            "companies[1].slug: duplicate slug");
  EXPECT_EQ(ErrorOf("{not json"), "not valid JSON");
}

}  // namespace
}  // namespace callgate::tools
