#include "calcom/wire.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

SystemTimePoint T(const char* iso) { return *ParseIso8601(iso); }

std::string ErrorBody(const std::string& code, const std::string& message) {
  return nlohmann::json{{"status", "error"},
                        {"timestamp", "2050-09-01T10:00:00.000Z"},
                        {"path", "/v2/bookings"},
                        {"error", {{"code", code}, {"message", message}}}}
      .dump();
}

TEST(ClassifyErrorResponse, MapsConflict409ToConflictWhateverTheMessage) {
  auto e = ClassifyErrorResponse("bookings_create", 409, ErrorBody("ConflictException", "taken"));
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_NE(e.message.find("409 ConflictException: taken"), std::string::npos);
}

TEST(ClassifyErrorResponse, MapsBadRequestWithSlotTakenMessagesToConflict) {
  for (const char* message :
       {"User either already has booking at this time or is not available",
        "One of the hosts either already has booking at this time or is not available",
        "no_available_users_found_error"}) {
    EXPECT_EQ(
        ClassifyErrorResponse("bookings_create", 400, ErrorBody("BadRequestException", message))
            .code,
        ErrorCode::kConflict)
        << message;
  }
}

TEST(ClassifyErrorResponse, MapsOtherBadRequestsToInvalidArgument) {
  auto e = ClassifyErrorResponse(
      "bookings_create", 400,
      ErrorBody("BadRequestException", "Attempting to book a meeting in the past."));
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
}

TEST(ClassifyErrorResponse, ReadsTopLevelMessageListsOfValidationErrors) {
  auto e = ClassifyErrorResponse(
      "bookings_create", 400,
      R"({"statusCode":400,"message":["start must be a valid ISO 8601 date string","x"]})");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message.find("start must be a valid ISO 8601 date string; x"), std::string::npos);
}

TEST(ClassifyErrorResponse, MapsStatusesToPortCodes) {
  EXPECT_EQ(ClassifyErrorResponse("x", 401, "").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(ClassifyErrorResponse("x", 403, "").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(ClassifyErrorResponse("x", 404, "").code, ErrorCode::kNotFound);
  EXPECT_EQ(ClassifyErrorResponse("x", 408, "").code, ErrorCode::kTimeout);
  EXPECT_EQ(ClassifyErrorResponse("x", 410, "").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ClassifyErrorResponse("x", 429, ErrorBody("ThrottlerException", "Too many")).code,
            ErrorCode::kRateLimited);
  EXPECT_EQ(ClassifyErrorResponse("x", 500, "").code, ErrorCode::kUnavailable);
  EXPECT_EQ(ClassifyErrorResponse("x", 503, "<html>").code, ErrorCode::kUnavailable);
  EXPECT_EQ(ClassifyErrorResponse("x", 302, "").code, ErrorCode::kInternal);
}

TEST(Redact, ReplacesEveryOccurrenceOfTheSecret) {
  EXPECT_EQ(Redact("a cal_live_1 b cal_live_1", Secret("cal_live_1")), "a *** b ***");
  EXPECT_EQ(Redact("nothing", Secret()), "nothing");
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("Europe/Berlin"), "Europe%2FBerlin");
  EXPECT_EQ(UrlEncode("2050-09-05T07:00:00.000Z"), "2050-09-05T07%3A00%3A00.000Z");
  EXPECT_EQ(UrlEncode("a b+c"), "a%20b%2Bc");
}

TEST(ParseSlotsResponse, ParsesTheReferenceExampleAndFiltersTheRange) {
  // reference/calcom.md, format=time.
  const std::string body = R"({"status":"success","data":{
    "2050-09-05":[{"start":"2050-09-05T09:00:00.000+02:00"},{"start":"2050-09-05T10:00:00.000+02:00"}],
    "2050-09-06":[{"start":"2050-09-06T09:00:00.000+02:00"}]}})";
  auto slots = ParseSlotsResponse(body, T("2050-09-05T00:00:00Z"), T("2050-09-06T07:00:00Z"), 30);
  ASSERT_TRUE(slots) << slots.error().message;
  ASSERT_EQ(slots->size(), 2u);  // 2050-09-06T07:00Z is excluded: `to` is exclusive
  EXPECT_EQ((*slots)[0].start, T("2050-09-05T07:00:00Z"));
  EXPECT_EQ((*slots)[0].end, T("2050-09-05T07:30:00Z"));
  EXPECT_EQ((*slots)[1].start, T("2050-09-05T08:00:00Z"));
}

TEST(ParseSlotsResponse, UsesRangeEndsAndSortsAcrossDays) {
  const std::string body = R"({"status":"success","data":{
    "2050-09-06":[{"start":"2050-09-06T07:00:00.000Z","end":"2050-09-06T07:15:00.000Z"}],
    "2050-09-05":[{"start":"2050-09-05T07:00:00.000Z","end":"2050-09-05T07:15:00.000Z"}]}})";
  auto slots = ParseSlotsResponse(body, T("2050-09-01T00:00:00Z"), T("2050-09-10T00:00:00Z"), {});
  ASSERT_TRUE(slots);
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_EQ((*slots)[0].start, T("2050-09-05T07:00:00Z"));
  EXPECT_EQ((*slots)[0].end, T("2050-09-05T07:15:00Z"));
}

TEST(ParseSlotsResponse, AcceptsAnEmptyDataObject) {
  auto slots = ParseSlotsResponse(R"({"status":"success","data":{}})", T("2050-09-01T00:00:00Z"),
                                  T("2050-09-02T00:00:00Z"), {});
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
}

TEST(ParseSlotsResponse, RejectsWhatIsNotTheSuccessEnvelope) {
  const auto from = T("2050-09-01T00:00:00Z");
  const auto to = T("2050-09-02T00:00:00Z");
  EXPECT_EQ(ParseSlotsResponse("<html>", from, to, {}).error().code, ErrorCode::kInternal);
  EXPECT_EQ(ParseSlotsResponse(R"({"status":"error","data":{}})", from, to, {}).error().code,
            ErrorCode::kInternal);
  EXPECT_EQ(ParseSlotsResponse(R"({"status":"success"})", from, to, {}).error().code,
            ErrorCode::kInternal);
  EXPECT_EQ(ParseSlotsResponse(R"({"status":"success","data":{"d":[{"start":"x"}]}})", from, to, {})
                .error()
                .code,
            ErrorCode::kInternal);
}

TEST(ParseBookingResponse, ReadsTheFieldsThePortNeeds) {
  const std::string body = R"({"status":"success","data":{
    "id":123,"uid":"abc123","title":"Erstberatung","status":"accepted",
    "start":"2050-09-05T07:00:00.000Z","end":"2050-09-05T07:30:00.000Z","duration":30,
    "eventTypeId":1001,"eventType":{"id":1001,"slug":"erstberatung"},
    "attendees":[{"name":"Erika Mustermann","email":"erika@example.org","timeZone":"Europe/Berlin"}],
    "metadata":{"callgate_appointment":"42"},"rescheduledFromUid":"old1",
    "createdAt":"2050-09-01T10:00:00.000Z"}})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id, 123);
  EXPECT_EQ(b->uid, "abc123");
  EXPECT_EQ(b->status, "accepted");
  EXPECT_EQ(b->start, T("2050-09-05T07:00:00Z"));
  EXPECT_EQ(b->end, T("2050-09-05T07:30:00Z"));
  EXPECT_EQ(b->event_type_id, 1001);
  EXPECT_EQ(b->rescheduled_from_uid, "old1");
  EXPECT_EQ(b->metadata.at("callgate_appointment"), "42");
  ASSERT_EQ(b->attendee_emails.size(), 1u);
  EXPECT_EQ(b->attendee_emails[0], "erika@example.org");
  EXPECT_EQ(b->attendee_names[0], "Erika Mustermann");
}

TEST(ParseBookingResponse, TakesEventTypeFromNestedObjectAndFirstOfRecurring) {
  const std::string body = R"({"status":"success","data":[{"id":1,"uid":"u1","status":"ACCEPTED",
    "start":"2050-09-05T07:00:00Z","end":"2050-09-05T08:00:00Z","eventType":{"id":7}}]})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->uid, "u1");
  EXPECT_EQ(b->status, "accepted");
  EXPECT_EQ(b->event_type_id, 7);
  EXPECT_EQ(b->occurrences, 1);
}

// A recurring create answers every occurrence: the first is read, and how many there are, so
// the booking can refuse the series instead of keeping the first silently.
TEST(ParseBookingResponse, CountsTheOccurrencesOfASeries) {
  const std::string body = R"({"status":"success","data":[
    {"id":1,"uid":"u1","status":"accepted","start":"2050-09-05T07:00:00Z",
     "end":"2050-09-05T07:30:00Z","recurringBookingUid":"r1"},
    {"id":2,"uid":"u2","status":"accepted","start":"2050-09-12T07:00:00Z",
     "end":"2050-09-12T07:30:00Z","recurringBookingUid":"r1"}]})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->uid, "u1");
  EXPECT_EQ(b->occurrences, 2);
  booking::BookingChange series;
  series.cancel_series = true;
  EXPECT_EQ(nlohmann::json::parse(BuildCancelBody("x", series))["cancelSubsequentBookings"], true);
}

// Numbers outside int64 are no id (converting them was undefined or wrapped); ordinary floats
// still truncate as before.
TEST(ParseBookingResponse, IgnoresIdsOutsideTheIntegerRange) {
  const std::string body = R"({"status":"success","data":{"id":1.7e300,"uid":"u1",
    "status":"ACCEPTED","start":"2050-09-05T07:00:00Z","end":"2050-09-05T08:00:00Z",
    "eventTypeId":18446744073709551615}})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, 0);
  EXPECT_EQ(b->event_type_id, 0);
  auto f = ParseBookingResponse(R"({"status":"success","data":{"id":42.9,"uid":"u2",
    "status":"ACCEPTED","start":"2050-09-05T07:00:00Z","end":"2050-09-05T08:00:00Z"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->id, 42);
}

TEST(ParseBookingListResponse, ReadsPagination) {
  auto page = ParseBookingListResponse(R"({"status":"success","data":[],
    "pagination":{"totalItems":0,"currentPage":1,"totalPages":0,"hasNextPage":true}})");
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->has_next_page);
  EXPECT_TRUE(page->bookings.empty());
}

TEST(ParseEventTypesResponse, ReadsListAndGroupedShapes) {
  auto list = ParseEventTypesResponse(R"({"status":"success","data":[
    {"id":1001,"lengthInMinutes":30,"title":"Erstberatung","slug":"erstberatung",
     "description":"","minimumBookingNotice":120}]})");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, 1001);
  EXPECT_EQ((*list)[0].length_minutes, 30);
  EXPECT_EQ((*list)[0].minimum_booking_notice_minutes, 120);
  auto grouped = ParseEventTypesResponse(R"({"status":"success","data":{"eventTypeGroups":[
    {"eventTypes":[{"id":5,"length":15,"title":"a","slug":"a"}]}]}})");
  ASSERT_TRUE(grouped);
  ASSERT_EQ(grouped->size(), 1u);
  EXPECT_EQ((*grouped)[0].length_minutes, 15);
  EXPECT_TRUE((*list)[0].length_options.empty());
  EXPECT_FALSE(OffersSeveralLengths((*list)[0]));
}

TEST(ParseEventTypesResponse, ReadsSeveralLengths) {
  auto list = ParseEventTypesResponse(R"({"status":"success","data":[
    {"id":7,"lengthInMinutes":30,"lengthInMinutesOptions":[30,45,60],"title":"a","slug":"a"},
    {"id":8,"lengthInMinutes":30,"lengthInMinutesOptions":[],"title":"b","slug":"b"}]})");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].length_options, (std::vector<int>{30, 45, 60}));
  EXPECT_TRUE(OffersSeveralLengths((*list)[0]));
  EXPECT_FALSE(OffersSeveralLengths((*list)[1]));
}

TEST(ParseEventTypesResponse, ReadsWhetherAnEventTypeRecurs) {
  auto list = ParseEventTypesResponse(R"({"status":"success","data":[
    {"id":1,"lengthInMinutes":30,"title":"a","slug":"a",
     "recurrence":{"interval":1,"occurrences":6,"frequency":"weekly"}},
    {"id":2,"lengthInMinutes":30,"title":"b","slug":"b","recurrence":null},
    {"id":3,"lengthInMinutes":30,"title":"c","slug":"c","recurrence":{"disabled":true}},
    {"id":4,"lengthInMinutes":30,"title":"d","slug":"d"},
    {"id":5,"length":30,"title":"e","slug":"e","recurringEvent":{"freq":2,"count":4,"interval":1}},
    {"id":6,"length":30,"title":"f","slug":"f","recurringEvent":null}]})");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 6u);
  EXPECT_TRUE((*list)[0].recurring);
  EXPECT_EQ((*list)[0].recurrence_occurrences, 6);
  for (std::size_t single : {1u, 2u, 3u, 5u}) {
    EXPECT_FALSE((*list)[single].recurring) << (*list)[single].id;
  }
  EXPECT_TRUE((*list)[4].recurring);
  EXPECT_EQ((*list)[4].recurrence_occurrences, 4);
}

TEST(BuildCreateBookingBody, WritesTheDocumentedShape) {
  booking::BookingRequest r;
  r.event_type_id = 123;
  r.start = T("2050-09-05T07:00:00Z");
  r.attendee.name = "Erika Mustermann";
  r.attendee.phone_e164 = "+4915112345678";
  r.metadata = {{"callgate_appointment", "42"}};
  r.notes = "Rückruf";
  const auto body = nlohmann::json::parse(BuildCreateBookingBody(r));
  EXPECT_EQ(body["start"], "2050-09-05T07:00:00.000Z");
  EXPECT_EQ(body["eventTypeId"], 123);
  EXPECT_EQ(body["attendee"]["name"], "Erika Mustermann");
  EXPECT_EQ(body["attendee"]["timeZone"], "Europe/Berlin");
  EXPECT_EQ(body["attendee"]["phoneNumber"], "+4915112345678");
  EXPECT_EQ(body["attendee"]["language"], "de");
  EXPECT_FALSE(body["attendee"].contains("email"));
  EXPECT_EQ(body["metadata"]["callgate_appointment"], "42");
  EXPECT_EQ(body["bookingFieldsResponses"]["notes"], "Rückruf");
  EXPECT_FALSE(body.contains("lengthInMinutes"));
  EXPECT_EQ(nlohmann::json::parse(BuildCreateBookingBody(r, 45))["lengthInMinutes"], 45);
}

TEST(BuildRescheduleBody, SendsUtcStartAndReason) {
  const auto body =
      nlohmann::json::parse(BuildRescheduleBody(T("2050-09-05T07:00:00Z"), "Kunde verhindert"));
  EXPECT_EQ(body["start"], "2050-09-05T07:00:00.000Z");
  EXPECT_EQ(body["reschedulingReason"], "Kunde verhindert");
  EXPECT_EQ(nlohmann::json::parse(BuildCancelBody("x"))["cancellationReason"], "x");
}

TEST(BuildRescheduleBody, SendsWhoMovesIt) {
  booking::BookingChange change;
  change.rescheduled_by = "erika@example.org";
  const auto body = nlohmann::json::parse(
      BuildRescheduleBody(T("2050-09-05T07:00:00Z"), "Kunde verhindert", change));
  EXPECT_EQ(body["rescheduledBy"], "erika@example.org");
  EXPECT_EQ(body["reschedulingReason"], "Kunde verhindert");
  EXPECT_FALSE(nlohmann::json::parse(BuildRescheduleBody(T("2050-09-05T07:00:00Z"), "x"))
                   .contains("rescheduledBy"));
}

TEST(BuildRescheduleBody, ASeatGoesOutWithTheSeatedInput) {
  const auto body = nlohmann::json::parse(BuildRescheduleBody(
      T("2050-09-05T07:00:00Z"), "Kunde verhindert", {"seat-1", "erika@example.org"}));
  EXPECT_EQ(body["seatUid"], "seat-1");
  EXPECT_EQ(body["rescheduledBy"], "erika@example.org");
  EXPECT_FALSE(body.contains("reschedulingReason"));  // the seated input has none
  const auto cancel = nlohmann::json::parse(BuildCancelBody("krank", {"seat-1", "", false}));
  EXPECT_EQ(cancel["seatUid"], "seat-1");
  EXPECT_EQ(cancel["cancellationReason"], "krank");
}

TEST(ParseBookingResponse, ReadsASeat) {
  const std::string body = R"({"status":"success","data":{"id":5,"uid":"s1","status":"accepted",
    "start":"2050-09-05T07:00:00Z","end":"2050-09-05T07:30:00Z","eventTypeId":1009,
    "seatUid":"seat-9"}})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->seat_uid, "seat-9");
}

TEST(ParseBookingResponse, ReadsAPendingStatus) {
  const std::string body = R"({"status":"success","data":{"id":5,"uid":"p1","status":"pending",
    "start":"2050-09-05T07:00:00Z","end":"2050-09-05T07:30:00Z","eventTypeId":1005}})";
  auto b = ParseBookingResponse(body);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->status, "pending");
}

TEST(ValidateBookingRequest, RejectsWhatCalcomWouldReject) {
  booking::BookingRequest r;
  r.event_type_id = 1;
  r.attendee.name = "A";
  r.attendee.email = "a@example.org";
  EXPECT_TRUE(ValidateBookingRequest(r));
  auto no_contact = r;
  no_contact.attendee.email.clear();
  EXPECT_EQ(ValidateBookingRequest(no_contact).error().code, ErrorCode::kInvalidArgument);
  auto no_name = r;
  no_name.attendee.name.clear();
  EXPECT_FALSE(ValidateBookingRequest(no_name));
  auto too_many = r;
  for (int i = 0; i < 51; ++i) too_many.metadata["k" + std::to_string(i)] = "v";
  EXPECT_FALSE(ValidateBookingRequest(too_many));
  auto no_event = r;
  no_event.event_type_id = 0;
  EXPECT_FALSE(ValidateBookingRequest(no_event));
  auto no_length = r;
  no_length.length_minutes = 0;
  EXPECT_FALSE(ValidateBookingRequest(no_length));
  no_length.length_minutes = 45;
  EXPECT_TRUE(ValidateBookingRequest(no_length));
}

}  // namespace
}  // namespace callgate::calcom
