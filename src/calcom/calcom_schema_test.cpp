// The requests callgate's Cal.com client sends, checked against the request schemas of Cal.com's
// own OpenAPI spec (tests/reference/calcom-openapi-subset.json): every call goes to the stand-in
// on 127.0.0.1, which records each request as received; each one must match an operation of the
// subset and satisfy its parameters and body schema. The validator proves first that it refuses
// planted bad requests, so the check cannot pass silently.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "calcom/calcom_client.hpp"
#include "calcom/fake/fake_calcom.hpp"
#include "calcom/testing/json_schema.hpp"
#include "core/time_zone.hpp"
#include "http/testing/test_client.hpp"
#include "observability/metrics.hpp"

#ifndef CALLGATE_SOURCE_DIR
#error "CALLGATE_SOURCE_DIR must name the source tree (set by src/calcom/CMakeLists.txt)"
#endif

namespace callgate::calcom {
namespace {

using nlohmann::json;
using testing::CapturedRequest;
using testing::OneOfRule;
using testing::SchemaOptions;
using testing::SchemaValidator;
using namespace std::chrono_literals;

constexpr const char* kKey = "cal_test_schema_key";
// An operation the client uses that the subset does not hold: it sends no body or query, and
// only its answer is read.
constexpr const char* kEventTypesRequest = "GET /v2/event-types";

json LoadSpec() {
  std::ifstream in(std::string(CALLGATE_SOURCE_DIR) +
                   "/tests/reference/calcom-openapi-subset.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

const SchemaValidator& Spec() {
  static const SchemaValidator validator(LoadSpec());
  return validator;
}

SystemTimePoint T(const char* iso) { return *ParseIso8601(iso); }

std::string Joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += "\n  " + e;
  return out;
}

bool Mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

json GoodCreateBody() {
  return {{"start", "2036-09-01T07:00:00Z"},
          {"eventTypeId", 1001},
          {"lengthInMinutes", 45},
          {"attendee",
           {{"name", "Erika Mustermann"},
            {"email", "erika@example.org"},
            {"phoneNumber", "+4915112345678"},
            {"timeZone", "Europe/Berlin"},
            {"language", "de"}}},
          {"metadata", {{"callgate_appointment", "42"}}},
          {"bookingFieldsResponses", {{"notes", "Rückruf bitte"}}}};
}

CapturedRequest Request(std::string method, std::string path,
                        std::vector<std::pair<std::string, std::string>> query, std::string body,
                        std::string version = "2024-08-13") {
  CapturedRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  r.headers = {{"Authorization", std::string("Bearer ") + kKey}, {"cal-api-version", version}};
  if (!r.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

// ---- the validator refuses what it must ------------------------------------------------------

TEST(CalcomSchemaValidator, TheSpecSubsetLoadsAndEverySchemaUsesOnlySupportedKeywords) {
  const json& doc = Spec().document();
  ASSERT_TRUE(doc.is_object()) << "cannot read tests/reference/calcom-openapi-subset.json";
  ASSERT_TRUE(doc["operations"].is_object());
  ASSERT_GE(doc["operations"].size(), 6u);
  for (auto it = doc["schemas"].begin(); it != doc["schemas"].end(); ++it) {
    for (const json& probe : {json(nullptr), json::object(), json::array(), json("x")}) {
      auto errors = Spec().ValidateNamed(probe, it.key());
      EXPECT_FALSE(Mentions(errors, "does not support")) << it.key() << Joined(errors);
      EXPECT_FALSE(Mentions(errors, "unresolvable")) << it.key() << Joined(errors);
    }
  }
  // And unknown keywords are reported, not skipped.
  EXPECT_TRUE(Mentions(Spec().Validate("x", {{"type", "string"}, {"pattern", "^y$"}}),
                       "does not support keyword \"pattern\""));
}

TEST(CalcomSchemaValidator, AcceptsAGoodCreateBody) {
  auto errors = Spec().ValidateNamed(GoodCreateBody(), "CreateBookingInput_2024_08_13");
  EXPECT_TRUE(errors.empty()) << Joined(errors);
}

TEST(CalcomSchemaValidator, RefusesPlantedBadCreateBodies) {
  const std::string kCreate = "CreateBookingInput_2024_08_13";
  json no_attendee = GoodCreateBody();
  no_attendee.erase("attendee");
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(no_attendee, kCreate),
                       "required property \"attendee\" is missing"));

  json no_zone = GoodCreateBody();
  no_zone["attendee"].erase("timeZone");
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(no_zone, kCreate),
                       "/attendee: required property \"timeZone\" is missing"));

  json regional = GoodCreateBody();
  regional["attendee"]["language"] = "de-AT";
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(regional, kCreate),
                       "/attendee/language: \"de-AT\" is not one of the enum values"));

  json text_id = GoodCreateBody();
  text_id["eventTypeId"] = "1001";
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(text_id, kCreate),
                       "/eventTypeId: \"1001\" is not of type \"number\""));

  json text_length = GoodCreateBody();
  text_length["lengthInMinutes"] = "45";
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(text_length, kCreate), "/lengthInMinutes"));

  json misspelt = GoodCreateBody();
  misspelt["lenghtInMinutes"] = 45;
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(misspelt, kCreate),
                       "property \"lenghtInMinutes\" is not declared"));

  json metadata_list = GoodCreateBody();
  metadata_list["metadata"] = json::array({"x"});
  EXPECT_TRUE(Mentions(Spec().ValidateNamed(metadata_list, kCreate), "/metadata"));

  // Through the operation too: a whole request with a bad body fails.
  auto bad = Request("POST", "/v2/bookings", {}, regional.dump());
  EXPECT_TRUE(
      Mentions(Spec().ValidateRequest("POST /v2/bookings", bad, {true, OneOfRule::kAtLeastOne}),
               "is not one of the enum values"));
}

TEST(CalcomSchemaValidator, OneOfRulesAndTheOverlappingCreateVariants) {
  // A plain create body satisfies CreateBookingInput and CreateRecurringBookingInput (whose
  // recurrenceCount is optional): JSON Schema's exactly-one rule refuses it, which is why the
  // request check uses at-least-one and pins the variant separately.
  auto r = Request("POST", "/v2/bookings", {}, GoodCreateBody().dump());
  EXPECT_TRUE(
      Mentions(Spec().ValidateRequest("POST /v2/bookings", r, {true, OneOfRule::kExactlyOne}),
               "matches 2 oneOf variants"));
  EXPECT_TRUE(
      Spec().ValidateRequest("POST /v2/bookings", r, {true, OneOfRule::kAtLeastOne}).empty());
  // A body that satisfies no variant is refused under both rules.
  auto none = Request("POST", "/v2/bookings", {}, json{{"eventTypeId", 1001}}.dump());
  EXPECT_TRUE(
      Mentions(Spec().ValidateRequest("POST /v2/bookings", none, {true, OneOfRule::kAtLeastOne}),
               "matches no oneOf variant"));
}

TEST(CalcomSchemaValidator, RefusesBadQueriesHeadersAndBodies) {
  const SchemaOptions loose{true, OneOfRule::kAtLeastOne};
  auto list = [](std::vector<std::pair<std::string, std::string>> q) {
    return Request("GET", "/v2/bookings", std::move(q), "");
  };
  EXPECT_TRUE(Spec().ValidateRequest("GET /v2/bookings", list({{"take", "10"}}), loose).empty());
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/bookings", list({{"take", "ten"}}), loose),
                       "query parameter take: \"ten\" is not of type number"));
  EXPECT_TRUE(Mentions(
      Spec().ValidateRequest("GET /v2/bookings", list({{"status", "upcoming,weird"}}), loose),
      "\"weird\" is not one of the enum values"));
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/bookings", list({{"limit", "5"}}), loose),
                       "query parameter limit: not declared"));
  EXPECT_TRUE(Mentions(
      Spec().ValidateRequest("GET /v2/bookings", list({{"sortStart", "ascending"}}), loose),
      "not one of the enum values"));
  auto no_key = list({});
  no_key.headers = {{"cal-api-version", "2024-08-13"}};
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/bookings", no_key, loose),
                       "header parameter Authorization: required but not sent"));
  auto old_version = list({});
  old_version.headers = {{"Authorization", "Bearer x"}, {"cal-api-version", "2024-04-15"}};
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/bookings", old_version, loose),
                       "is not the operation's version"));
  auto with_body = list({});
  with_body.body = "{}";
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/bookings", with_body, loose),
                       "the operation takes none"));

  auto slots = Request("GET", "/v2/slots", {{"eventTypeId", "1001"}, {"end", "2036-09-02"}}, "",
                       "2024-09-04");
  EXPECT_TRUE(Mentions(Spec().ValidateRequest("GET /v2/slots", slots, loose),
                       "query parameter start: required but not sent"));

  auto cancel = Request("POST", "/v2/bookings/abc/cancel", {}, R"({"cancellationReason":7})");
  EXPECT_EQ(Spec().FindOperation(cancel), "POST /v2/bookings/{bookingUid}/cancel");
  EXPECT_FALSE(Spec().ValidateRequest(Spec().FindOperation(cancel), cancel, loose).empty());
  auto reschedule = Request("POST", "/v2/bookings/abc/reschedule", {}, R"({"reason":"x"})");
  EXPECT_TRUE(Mentions(
      Spec().ValidateRequest("POST /v2/bookings/{bookingUid}/reschedule", reschedule, loose),
      "matches no oneOf variant"));
  EXPECT_EQ(Spec().FindOperation(Request("DELETE", "/v2/bookings/abc", {}, "")), "");
}

// ---- what the client sends ---------------------------------------------------------------

class CalcomRequestSchemaTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kSeated = 1009;
  static fake::FakeCalcomOptions Options() {
    fake::FakeCalcomOptions options;
    options.event_types.front().length_options = {30, 45, 60};  // 1001: several lengths
    auto seated = options.event_types.front();                  // 1009: three seats a slot
    seated.id = kSeated;
    seated.length_options.clear();
    seated.seats_per_time_slot = 3;
    options.event_types.push_back(seated);
    return options;
  }
  void SetUp() override { ASSERT_TRUE(fake_.Start()); }

  booking::CalendarAccount Account() const { return {Secret(kKey), fake_.base_url()}; }

  booking::BookingRequest Create(const char* start, std::int64_t event_type,
                                 std::optional<int> length) const {
    booking::BookingRequest r;
    r.account = Account();
    r.event_type_id = event_type;
    r.start = T(start);
    r.attendee.name = "Erika Mustermann";
    r.attendee.email = "erika@example.org";
    r.attendee.phone_e164 = "+4915112345678";
    r.attendee.language = "de";
    r.metadata = {{"callgate_appointment", "42"}, {"retell_call_id", "call_1"}};
    r.notes = "Bitte Unterlagen mitbringen";
    r.length_minutes = length;
    return r;
  }

  static CapturedRequest Captured(const fake::FakeRequest& r) {
    return CapturedRequest{r.method, r.path, r.query, r.headers, r.body};
  }

  fake::FakeCalcom fake_{Options()};
  observability::Metrics metrics_;
  CalcomClient client_{CalcomSettings{}, metrics_};
};

TEST_F(CalcomRequestSchemaTest, EveryRequestTheClientSendsMatchesItsOperationsSchema) {
  // Slots: one day, with and without a duration, and several at once.
  booking::SlotQuery q;
  q.account = Account();
  q.event_type_id = 1001;
  q.from = T("2036-09-01T00:00:00Z");
  q.to = q.from + 24h;
  ASSERT_TRUE(client_.GetSlots(q));
  q.duration_minutes = 45;
  ASSERT_TRUE(client_.GetSlots(q));
  q.account.api_key = Secret("");  // slots work without a key
  auto many = client_.GetSlotsMany({q, q});
  ASSERT_TRUE(many[0] && many[1]);

  // Creates: several lengths (lengthInMinutes sent), one length (not sent), no notes/metadata.
  auto created = client_.CreateBooking(Create("2036-09-01T07:00:00Z", 1001, 45));
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(client_.CreateBooking(Create("2036-09-01T07:00:00Z", 1002, 15)));
  auto bare = Create("2036-09-02T07:00:00Z", 1003, std::nullopt);
  bare.notes.clear();
  bare.metadata.clear();
  bare.attendee.email.clear();
  bare.attendee.language.clear();
  ASSERT_TRUE(client_.CreateBooking(bare));

  // Read, list with every filter, reschedule, cancel.
  ASSERT_TRUE(client_.GetBooking(Account(), created->uid));
  booking::BookingFilter filter;
  filter.event_type_id = 1001;
  filter.after_start = T("2036-09-01T00:00:00Z");
  filter.before_end = T("2036-09-03T00:00:00Z");
  filter.attendee_email = "erika@example.org";
  filter.attendee_name = "Erika Mustermann";
  filter.status = "upcoming,unconfirmed";
  filter.take = 600;  // more than one page of 250
  ASSERT_TRUE(client_.ListBookings(Account(), filter));
  booking::BookingChange by_attendee;
  by_attendee.rescheduled_by = "erika@example.org";
  auto moved = client_.RescheduleBooking(Account(), created->uid, T("2036-09-01T10:00:00Z"),
                                         "Vom Anrufer telefonisch verschoben", by_attendee);
  ASSERT_TRUE(moved) << moved.error().message;
  auto again = client_.RescheduleBooking(Account(), moved->uid, T("2036-09-01T12:00:00Z"), "", {});
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_TRUE(client_.CancelBooking(Account(), again->uid, "Krank", {}));
  auto other = client_.CreateBooking(Create("2036-09-03T07:00:00Z", 1002, std::nullopt));
  ASSERT_TRUE(other);
  ASSERT_TRUE(client_.CancelBooking(Account(), other->uid, "", {}));
  // A seat: moved and cancelled with the seated inputs.
  auto seat = client_.CreateBooking(Create("2036-09-04T07:00:00Z", kSeated, std::nullopt));
  ASSERT_TRUE(seat) << seat.error().message;
  ASSERT_FALSE(seat->seat_uid.empty());
  auto moved_seat = client_.RescheduleBooking(Account(), seat->uid, T("2036-09-04T09:00:00Z"),
                                              "verhindert", {seat->seat_uid, "erika@example.org"});
  ASSERT_TRUE(moved_seat) << moved_seat.error().message;
  ASSERT_FALSE(moved_seat->seat_uid.empty());
  ASSERT_TRUE(
      client_.CancelBooking(Account(), moved_seat->uid, "Krank", {moved_seat->seat_uid, ""}));
  ASSERT_TRUE(client_.ListEventTypes(Account()));

  const auto requests = fake_.Requests();
  ASSERT_FALSE(requests.empty());
  std::set<std::string> exercised;
  int creates_with_length = 0;
  int seated_changes = 0;
  for (const auto& raw : requests) {
    const CapturedRequest r = Captured(raw);
    const std::string operation = Spec().FindOperation(r);
    const std::string what =
        r.method + " " + r.path + (raw.raw_query.empty() ? "" : "?") + raw.raw_query + " " + r.body;
    if (operation.empty()) {
      EXPECT_EQ(r.method + " " + r.path, kEventTypesRequest)
          << "a request of no operation in the spec subset: " << what;
      EXPECT_TRUE(r.body.empty() && r.query.empty()) << what;
      continue;
    }
    exercised.insert(operation);
    auto errors = Spec().ValidateRequest(operation, r, {true, OneOfRule::kAtLeastOne});
    EXPECT_TRUE(errors.empty()) << operation << " ← " << what << Joined(errors);
    if (operation == "POST /v2/bookings") {
      // The variant callgate means is the plain create, never instant or recurring.
      const json body = json::parse(r.body);
      auto plain = Spec().ValidateNamed(body, "CreateBookingInput_2024_08_13");
      EXPECT_TRUE(plain.empty()) << what << Joined(plain);
      EXPECT_FALSE(body.contains("instant") || body.contains("recurrenceCount")) << what;
      if (body.contains("lengthInMinutes")) {
        ++creates_with_length;
        EXPECT_EQ(body["eventTypeId"], 1001) << "lengthInMinutes for a one-length event type";
        EXPECT_EQ(body["lengthInMinutes"], 45);
      }
    }
    // A seat goes out with the seated variant, everything else with the plain one.
    if (operation == "POST /v2/bookings/{bookingUid}/cancel") {
      const json body = json::parse(r.body);
      seated_changes += body.contains("seatUid") ? 1 : 0;
      EXPECT_TRUE(Spec()
                      .ValidateNamed(body, body.contains("seatUid")
                                               ? "CancelSeatedBookingInput_2024_08_13"
                                               : "CancelBookingInput_2024_08_13")
                      .empty())
          << what;
    }
    if (operation == "POST /v2/bookings/{bookingUid}/reschedule") {
      const json body = json::parse(r.body);
      seated_changes += body.contains("seatUid") ? 1 : 0;
      EXPECT_TRUE(Spec()
                      .ValidateNamed(body, body.contains("seatUid")
                                               ? "RescheduleSeatedBookingInput_2024_08_13"
                                               : "RescheduleBookingInput_2024_08_13")
                      .empty())
          << what;
    }
  }
  EXPECT_EQ(creates_with_length, 1);
  EXPECT_EQ(seated_changes, 2);
  // Every operation of the subset was sent at least once.
  for (auto it = Spec().document()["operations"].begin();
       it != Spec().document()["operations"].end(); ++it) {
    EXPECT_TRUE(exercised.count(it.key())) << it.key() << " was never sent";
  }
}

// The stand-in's booking answers have the spec's response shapes (so what the client reads from
// it is what Cal.com sends). Extra properties are allowed in answers.
TEST_F(CalcomRequestSchemaTest, TheStandInAnswersInTheSpecsResponseShapes) {
  const SchemaOptions answers{false, OneOfRule::kAtLeastOne};
  http::Headers auth;
  auth.Set("Authorization", std::string("Bearer ") + kKey);
  auth.Set("cal-api-version", "2024-08-13");
  auth.Set("Content-Type", "application/json");
  http::testing::TestClient http(fake_.port());
  auto check = [&](const std::string& operation, const char* status, const std::string& body) {
    const json& schema = Spec().document()["operations"][operation]["responses"][status]["content"]
                                          ["application/json"]["schema"];
    ASSERT_TRUE(schema.is_object()) << operation << " " << status;
    auto errors = Spec().Validate(json::parse(body, nullptr, false), schema, answers);
    EXPECT_TRUE(errors.empty()) << operation << " → " << body << Joined(errors);
  };
  json create = GoodCreateBody();
  auto created = http.Post("/v2/bookings", create.dump(), auth);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  check("POST /v2/bookings", "201", created->body);
  const std::string uid = json::parse(created->body)["data"]["uid"];
  auto got = http.Get("/v2/bookings/" + uid, auth);
  ASSERT_TRUE(got);
  check("GET /v2/bookings/{bookingUid}", "200", got->body);
  auto listed = http.Get("/v2/bookings?take=5", auth);
  ASSERT_TRUE(listed);
  check("GET /v2/bookings", "200", listed->body);
  auto moved = http.Post("/v2/bookings/" + uid + "/reschedule",
                         json{{"start", "2036-09-01T10:30:00Z"}}.dump(), auth);
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->status, 201) << moved->body;
  check("POST /v2/bookings/{bookingUid}/reschedule", "201", moved->body);
  const std::string new_uid = json::parse(moved->body)["data"]["uid"];
  auto cancelled = http.Post("/v2/bookings/" + new_uid + "/cancel",
                             json{{"cancellationReason", "x"}}.dump(), auth);
  ASSERT_TRUE(cancelled);
  check("POST /v2/bookings/{bookingUid}/cancel", "200", cancelled->body);
}

// ---- lengthInMinutes -------------------------------------------------------------------------

TEST_F(CalcomRequestSchemaTest, LengthIsSentOnlyForEventTypesWithSeveralLengths) {
  auto longer = client_.CreateBooking(Create("2036-09-01T07:00:00Z", 1001, 45));
  ASSERT_TRUE(longer) << longer.error().message;
  EXPECT_EQ(longer->end - longer->start, 45min);  // the answer's end, as Cal.com booked it
  auto single = client_.CreateBooking(Create("2036-09-01T07:00:00Z", 1002, 15));
  ASSERT_TRUE(single) << single.error().message;  // sent without lengthInMinutes: no 400
  EXPECT_EQ(single->end - single->start, 15min);
  // A length the event type does not offer is sent and refused by Cal.com, never swapped for
  // another length.
  auto odd = client_.CreateBooking(Create("2036-09-02T07:00:00Z", 1001, 20));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(odd.error().message.find("not one of the possible lengths"), std::string::npos);
  // The account's event types were listed once for the three creates.
  EXPECT_EQ(fake_.Stats().Count("event_types"), 1u);
  EXPECT_EQ(fake_.Stats().Count("bookings_create"), 3u);
}

TEST_F(CalcomRequestSchemaTest, UnknownLengthsBookTheDefaultLength) {
  // The event types cannot be listed: the create goes out without lengthInMinutes, and the
  // answer's end tells the length Cal.com booked.
  fake::FakeCalcomBehavior b;
  b.forced_status = 500;
  b.fault_endpoint = "event_types";
  fake_.SetBehavior(b);
  auto booked = client_.CreateBooking(Create("2036-09-01T07:00:00Z", 1001, 45));
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_EQ(booked->end - booked->start, 30min);
  const auto requests = fake_.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_FALSE(json::parse(requests.back().body).contains("lengthInMinutes"));
  // Cal.com is back, but a failed listing is retried only after a minute: until then creates
  // go out without lengthInMinutes and book the default length.
  fake_.SetBehavior({});
  fake_.ResetStats();
  auto soon = client_.CreateBooking(Create("2036-09-01T11:00:00Z", 1001, 45));
  ASSERT_TRUE(soon) << soon.error().message;
  EXPECT_EQ(soon->end - soon->start, 30min);
  EXPECT_EQ(fake_.Stats().Count("event_types"), 0u);
  // A create without a wanted length never lists event types.
  fake_.ResetStats();
  ASSERT_TRUE(client_.CreateBooking(Create("2036-09-01T09:00:00Z", 1001, std::nullopt)));
  EXPECT_EQ(fake_.Stats().Count("event_types"), 0u);
}

}  // namespace
}  // namespace callgate::calcom
