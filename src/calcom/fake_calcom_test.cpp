// The fake Cal.com on the wire: shapes, status codes and the control endpoints.

#include "calcom/fake/fake_calcom.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/testing/fake_clock.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"

namespace callgate::calcom::fake {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Test dates lie in 2036: far enough ahead to stay bookable, and before 2038, after which the
// date/tz library over the system tzdata knows no DST transitions (Berlin would stay at +01:00).
class FakeCalcomTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start()); }

  http::Headers Auth(const char* key = "cal_test_1") const {
    http::Headers h;
    h.Set("Authorization", std::string("Bearer ") + key);
    h.Set("cal-api-version", "2024-08-13");
    h.Set("Content-Type", "application/json");
    return h;
  }

  std::pair<int, json> Get(const std::string& target, http::Headers headers = {}) const {
    auto r = http::testing::TestClient(fake_.port()).Get(target, std::move(headers));
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {0, {}};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  std::pair<int, json> Post(const std::string& target, const json& body,
                            http::Headers headers = {}) const {
    auto r = http::testing::TestClient(fake_.port()).Post(target, body.dump(), std::move(headers));
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {0, {}};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  json CreateBody(const char* start = "2036-09-01T07:00:00Z") const {
    return {{"start", start},
            {"eventTypeId", 1001},
            {"attendee",
             {{"name", "Erika"}, {"email", "erika@example.org"}, {"timeZone", "Europe/Berlin"}}}};
  }

  FakeCalcom fake_;
};

TEST_F(FakeCalcomTest, SlotsCarryTheRequestedZoneOffsetAndAreGroupedByLocalDay) {
  auto [status, body] =
      Get("/v2/slots?eventTypeId=1001&start=2036-09-01T00:00:00Z&end=2036-09-02T23:59:59Z"
          "&timeZone=Europe/Berlin&format=range");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["status"], "success");
  ASSERT_TRUE(body["data"].contains("2036-09-01"));
  const auto& first = body["data"]["2036-09-01"][0];
  EXPECT_EQ(first["start"], "2036-09-01T09:00:00.000+02:00");
  EXPECT_EQ(first["end"], "2036-09-01T09:30:00.000+02:00");
  EXPECT_EQ(body["data"]["2036-09-01"].size(), 18u);
  EXPECT_EQ(body["data"]["2036-09-02"].size(), 18u);
}

TEST_F(FakeCalcomTest, SlotsWithoutZoneAreUtcAndWithoutRangeHaveNoEnd) {
  auto [status, body] = Get("/v2/slots?eventTypeId=1002&start=2036-09-01&end=2036-09-01");
  ASSERT_EQ(status, 200);
  const auto& day = body["data"]["2036-09-01"];
  ASSERT_EQ(day.size(), 36u);  // 15-minute slots, bare dates cover the whole UTC day
  EXPECT_EQ(day[0]["start"], "2036-09-01T07:00:00.000Z");
  EXPECT_FALSE(day[0].contains("end"));
}

TEST_F(FakeCalcomTest, SlotsOmitWeekendsAndValidateInput) {
  auto [status, body] =
      Get("/v2/slots?eventTypeId=1001&start=2036-08-30T00:00:00Z&end=2036-08-31T23:00:00Z");
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(body["data"].empty());
  EXPECT_EQ(Get("/v2/slots?eventTypeId=9&start=2036-09-01&end=2036-09-01").first, 404);
  EXPECT_EQ(Get("/v2/slots?eventTypeId=1001&start=x&end=2036-09-01").first, 400);
  EXPECT_EQ(Get("/v2/slots?eventTypeId=1001&start=2036-09-01&end=2036-09-01&timeZone=Mars/X").first,
            400);
}

TEST_F(FakeCalcomTest, KeysMustStartWithCal) {
  auto [status, body] = Get("/v2/event-types", Auth("sk_live_x"));
  EXPECT_EQ(status, 401);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error"]["code"], "UnauthorizedException");
  EXPECT_EQ(body["path"], "/v2/event-types");
  EXPECT_EQ(Get("/v2/event-types").first, 401);
  EXPECT_EQ(Get("/v2/event-types", Auth()).first, 200);
}

TEST_F(FakeCalcomTest, BookingAnswersTheDocumentedShapeAndTakenSlotsConflict) {
  auto [status, body] = Post("/v2/bookings", CreateBody(), Auth());
  ASSERT_EQ(status, 201);
  const auto& data = body["data"];
  EXPECT_TRUE(data["id"].is_number_integer());
  EXPECT_EQ(data["uid"].get<std::string>().size(), 22u);
  EXPECT_EQ(data["status"], "accepted");
  EXPECT_EQ(data["start"], "2036-09-01T07:00:00.000Z");
  EXPECT_EQ(data["end"], "2036-09-01T07:30:00.000Z");
  EXPECT_EQ(data["duration"], 30);
  EXPECT_EQ(data["eventType"]["id"], 1001);
  EXPECT_EQ(data["attendees"][0]["name"], "Erika");
  EXPECT_TRUE(data["hosts"].is_array());

  auto [again, conflict] = Post("/v2/bookings", CreateBody(), Auth());
  EXPECT_EQ(again, 409);
  EXPECT_EQ(conflict["error"]["code"], "ConflictException");
  EXPECT_EQ(conflict["error"]["message"],
            "User either already has booking at this time or is not available");
  // Off the slot grid (07:10) or outside working hours: not available either.
  EXPECT_EQ(Post("/v2/bookings", CreateBody("2036-09-01T07:10:00Z"), Auth()).first, 409);
  EXPECT_EQ(Post("/v2/bookings", CreateBody("2036-09-01T20:00:00Z"), Auth()).first, 409);
}

TEST_F(FakeCalcomTest, BookingValidationAnswers400And404) {
  auto no_contact = CreateBody();
  no_contact["attendee"].erase("email");
  EXPECT_EQ(Post("/v2/bookings", no_contact, Auth()).first, 400);
  auto bad_name = CreateBody();
  bad_name["attendee"]["name"] = 5;
  EXPECT_EQ(Post("/v2/bookings", bad_name, Auth()).first, 400);
  EXPECT_EQ(Post("/v2/bookings", json::array(), Auth()).first, 400);
  auto phone_only = CreateBody();
  phone_only["attendee"].erase("email");
  phone_only["attendee"]["phoneNumber"] = "+4915112345678";
  EXPECT_EQ(Post("/v2/bookings", phone_only, Auth()).first, 201);
  auto unknown = CreateBody("2036-09-01T08:00:00Z");
  unknown["eventTypeId"] = 5;
  EXPECT_EQ(Post("/v2/bookings", unknown, Auth()).first, 404);
  EXPECT_EQ(Post("/v2/bookings", CreateBody("2001-01-01T08:00:00Z"), Auth()).first, 400);
  auto too_much = CreateBody("2036-09-01T08:00:00Z");
  for (int i = 0; i < 51; ++i) too_much["metadata"]["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Post("/v2/bookings", too_much, Auth()).first, 400);
}

TEST_F(FakeCalcomTest, RescheduleCreatesANewUidAndCancelsTheOld) {
  auto [s1, created] = Post("/v2/bookings", CreateBody(), Auth());
  ASSERT_EQ(s1, 201);
  const std::string uid = created["data"]["uid"];
  auto [s2, moved] = Post("/v2/bookings/" + uid + "/reschedule",
                          {{"start", "2036-09-01T07:30:00Z"}, {"reschedulingReason", "x"}}, Auth());
  ASSERT_EQ(s2, 201);
  EXPECT_NE(moved["data"]["uid"], uid);
  EXPECT_EQ(moved["data"]["rescheduledFromUid"], uid);
  auto [s3, old] = Get("/v2/bookings/" + uid, Auth());
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(old["data"]["status"], "cancelled");
  EXPECT_EQ(old["data"]["rescheduledToUid"], moved["data"]["uid"]);
  // The old slot is free again; a cancelled booking cannot be moved.
  EXPECT_EQ(Post("/v2/bookings", CreateBody(), Auth()).first, 201);
  EXPECT_EQ(Post("/v2/bookings/" + uid + "/reschedule", {{"start", "2036-09-01T09:00:00Z"}}, Auth())
                .first,
            400);
}

TEST_F(FakeCalcomTest, CancelSetsStatusAndFreesTheSlot) {
  auto [s1, created] = Post("/v2/bookings", CreateBody(), Auth());
  ASSERT_EQ(s1, 201);
  const std::string uid = created["data"]["uid"];
  auto [s2, cancelled] =
      Post("/v2/bookings/" + uid + "/cancel", {{"cancellationReason", "krank"}}, Auth());
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(cancelled["data"]["status"], "cancelled");
  EXPECT_EQ(cancelled["data"]["cancellationReason"], "krank");
  EXPECT_EQ(Post("/v2/bookings/" + uid + "/cancel", json::object(), Auth()).first, 400);
  EXPECT_EQ(Post("/v2/bookings/nope/cancel", json::object(), Auth()).first, 404);
  EXPECT_EQ(Post("/v2/bookings", CreateBody(), Auth()).first, 201);
}

TEST_F(FakeCalcomTest, ListFiltersAndPaginates) {
  ASSERT_EQ(Post("/v2/bookings", CreateBody("2036-09-01T07:00:00Z"), Auth()).first, 201);
  ASSERT_EQ(Post("/v2/bookings", CreateBody("2036-09-01T08:00:00Z"), Auth()).first, 201);
  ASSERT_TRUE(fake_.AddBooking(1003, *ParseIso8601("2036-09-02T07:00:00Z"), "Max"));
  auto [s1, all] = Get("/v2/bookings?take=2", Auth());
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(all["data"].size(), 2u);
  EXPECT_EQ(all["pagination"]["totalItems"], 3);
  EXPECT_EQ(all["pagination"]["hasNextPage"], true);
  auto [s2, page2] = Get("/v2/bookings?take=2&skip=2", Auth());
  EXPECT_EQ(page2["data"].size(), 1u);
  EXPECT_EQ(page2["pagination"]["hasNextPage"], false);
  EXPECT_EQ(Get("/v2/bookings?eventTypeId=1003", Auth()).second["data"].size(), 1u);
  EXPECT_EQ(Get("/v2/bookings?attendeeName=Max", Auth()).second["data"].size(), 1u);
  EXPECT_EQ(Get("/v2/bookings?attendeeEmail=erika%40example.org", Auth()).second["data"].size(),
            2u);
  EXPECT_EQ(Get("/v2/bookings?afterStart=2036-09-01T07:30:00Z", Auth()).second["data"].size(), 2u);
  EXPECT_EQ(Get("/v2/bookings?beforeEnd=2036-09-01T08:00:00Z", Auth()).second["data"].size(), 1u);
  EXPECT_EQ(Get("/v2/bookings?status=past", Auth()).second["data"].size(), 0u);
  EXPECT_EQ(Get("/v2/bookings?status=cancelled", Auth()).second["data"].size(), 0u);
  // The spec gives `take` no maximum: a page of 1000 is answered.
  auto [s3, big] = Get("/v2/bookings?take=1000", Auth());
  EXPECT_EQ(s3, 200);
  EXPECT_EQ(big["data"].size(), 3u);
  EXPECT_EQ(big["pagination"]["itemsPerPage"], 1000);
  EXPECT_EQ(Get("/v2/bookings?take=0", Auth()).first, 400);
  EXPECT_EQ(Get("/v2/bookings?status=weird", Auth()).first, 400);
}

// An event type with several lengths (Cal.com's "multiple durations"): its listing names them,
// a create without `lengthInMinutes` books the default length, with it that length; a length
// not offered, or any length for an event type with one, is Cal.com's 400.
TEST(FakeCalcomLengthsTest, SeveralLengthsAreOfferedAndBooked) {
  FakeCalcomOptions options;
  options.event_types.front().length_options = {30, 45, 60};  // 1001, default 30
  FakeCalcom fake(options);
  ASSERT_TRUE(fake.Start());
  http::Headers auth;
  auth.Set("Authorization", "Bearer cal_test_1");
  auth.Set("Content-Type", "application/json");
  auto post = [&](const json& body) {
    auto r = http::testing::TestClient(fake.port()).Post("/v2/bookings", body.dump(), auth);
    EXPECT_TRUE(r);
    return r ? std::pair{r->status, json::parse(r->body, nullptr, false)} : std::pair{0, json()};
  };
  auto types = http::testing::TestClient(fake.port()).Get("/v2/event-types", auth);
  ASSERT_TRUE(types);
  const json listed = json::parse(types->body)["data"];
  EXPECT_EQ(listed[0]["lengthInMinutes"], 30);
  EXPECT_EQ(listed[0]["lengthInMinutesOptions"], json::array({30, 45, 60}));
  EXPECT_EQ(listed[1]["lengthInMinutesOptions"], json::array());

  const json attendee = {
      {"name", "Erika"}, {"email", "erika@example.org"}, {"timeZone", "Europe/Berlin"}};
  auto [s1, plain] =
      post({{"start", "2036-09-01T07:00:00Z"}, {"eventTypeId", 1001}, {"attendee", attendee}});
  ASSERT_EQ(s1, 201) << plain.dump();
  EXPECT_EQ(*ParseIso8601(plain["data"]["end"].get<std::string>()),
            *ParseIso8601("2036-09-01T07:30:00Z"));
  EXPECT_EQ(plain["data"]["duration"], 30);
  // 10:30 in Berlin lies on the grid of 45-minute slots (09:00, 09:45, 10:30, …).
  auto [s2, longer] = post({{"start", "2036-09-01T08:30:00Z"},
                            {"eventTypeId", 1001},
                            {"lengthInMinutes", 45},
                            {"attendee", attendee}});
  ASSERT_EQ(s2, 201) << longer.dump();
  EXPECT_EQ(*ParseIso8601(longer["data"]["end"].get<std::string>()),
            *ParseIso8601("2036-09-01T09:15:00Z"));
  EXPECT_EQ(longer["data"]["duration"], 45);
  // The 45-minute booking blocks the 30-minute slot it overlaps (11:00–11:30 in Berlin).
  auto [s3, overlap] =
      post({{"start", "2036-09-01T09:00:00Z"}, {"eventTypeId", 1001}, {"attendee", attendee}});
  EXPECT_EQ(s3, 409) << overlap.dump();

  auto [s4, odd] = post({{"start", "2036-09-01T12:00:00Z"},
                         {"eventTypeId", 1001},
                         {"lengthInMinutes", 20},
                         {"attendee", attendee}});
  EXPECT_EQ(s4, 400);
  EXPECT_EQ(odd["status"], "error");
  EXPECT_EQ(odd["error"]["code"], "BadRequestException");
  EXPECT_EQ(odd["error"]["message"],
            "Provided 'lengthInMinutes' is not one of the possible lengths for the event type. "
            "The possible lengths are: 30, 45, 60");
  auto [s5, single] = post({{"start", "2036-09-01T12:00:00Z"},
                            {"eventTypeId", 1002},
                            {"lengthInMinutes", 15},
                            {"attendee", attendee}});
  EXPECT_EQ(s5, 400);
  EXPECT_NE(single["error"]["message"].get<std::string>().find(
                "Can't specify 'lengthInMinutes' because event type does not have multiple "
                "possible lengths"),
            std::string::npos);
  EXPECT_EQ(fake.Bookings().size(), 2u);
  fake.Stop();
}

TEST_F(FakeCalcomTest, ControlEndpointsSetSwitchesAndReportStats) {
  auto [s1, config] = Post("/_fake/config", {{"next_429", 2}, {"conflict_status", 400}});
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(config["next_429"], 2);
  EXPECT_EQ(config["conflict_status"], 400);
  EXPECT_EQ(fake_.behavior().next_429, 2);
  auto [s2, throttled] = Get("/v2/event-types", Auth());
  EXPECT_EQ(s2, 429);
  EXPECT_EQ(throttled["error"]["code"], "ThrottlerException");
  EXPECT_EQ(throttled["error"]["message"], "Too many requests. Please try again later.");
  EXPECT_EQ(Get("/v2/event-types", Auth()).first, 429);
  EXPECT_EQ(Get("/v2/event-types", Auth()).first, 200);
  auto [s3, stats] = Get("/_fake/stats");
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(stats["requests"]["event_types"], 3);
  EXPECT_EQ(stats["total"], 3);
  EXPECT_EQ(stats["last_api_version"]["event_types"], "2024-08-13");
  EXPECT_EQ(Post("/_fake/config", {{"conflict_status", 418}}).first, 400);
  EXPECT_EQ(Post("/_fake/config", {{"hang_ms", -1}}).first, 400);
  auto [s4, reset] = Post("/_fake/config", {{"reset", true}, {"latency_ms", 1}});
  EXPECT_EQ(reset["conflict_status"], 409);
  EXPECT_EQ(reset["latency_ms"], 1);
  ASSERT_EQ(Post("/_fake/reset", json::object()).first, 200);
  EXPECT_EQ(fake_.Stats().total, 0u);
  EXPECT_EQ(fake_.behavior().latency_ms, 0);
}

TEST_F(FakeCalcomTest, ForcedStatusAndErrorRate) {
  ASSERT_EQ(Post("/_fake/config", {{"forced_status", 502}}).first, 200);
  auto [status, body] = Get("/v2/event-types", Auth());
  EXPECT_EQ(status, 502);
  EXPECT_EQ(body["error"]["code"], "BadGatewayException");
  ASSERT_EQ(Post("/_fake/config", {{"forced_status", 0}, {"error_rate", 1.0}}).first, 200);
  EXPECT_EQ(Get("/v2/event-types", Auth()).first, 500);
  ASSERT_EQ(Post("/_fake/config", {{"error_rate", 0.0}}).first, 200);
  EXPECT_EQ(Get("/v2/event-types", Auth()).first, 200);
}

TEST(FakeCalcomOptionsTest, EventTypesHoursAndClockAreConfigurable) {
  testing::FakeClock clock(*ParseIso8601("2036-09-01T08:10:00Z"));
  FakeCalcomOptions options;
  options.clock = &clock;
  FakeEventType saturday;
  saturday.id = 77;
  saturday.length_minutes = 45;
  saturday.time_zone = "UTC";
  saturday.hours[6] = WorkingHours{10 * 60, 12 * 60};
  saturday.hours[1] = WorkingHours{8 * 60, 10 * 60};
  options.event_types = {saturday};
  FakeCalcom fake(options);
  ASSERT_TRUE(fake.Start());
  auto r = http::testing::TestClient(fake.port())
               .Get(
                   "/v2/slots?eventTypeId=77&start=2036-09-01T00:00:00Z"
                   "&end=2036-09-06T23:00:00Z&timeZone=UTC&format=range");
  ASSERT_TRUE(r);
  const auto body = json::parse(r->body);
  // Monday 08:00–10:00 UTC with now = 08:10: only 08:45 is left; Saturday 10:00 and 10:45.
  ASSERT_EQ(body["data"]["2036-09-01"].size(), 1u);
  EXPECT_EQ(body["data"]["2036-09-01"][0]["start"], "2036-09-01T08:45:00.000+00:00");
  EXPECT_EQ(body["data"]["2036-09-06"].size(), 2u);
}

}  // namespace
}  // namespace callgate::calcom::fake
