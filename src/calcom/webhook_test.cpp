#include "calcom/webhook.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

// RFC 4231, test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
constexpr std::string_view kRfcBody = "what do ya want for nothing?";
constexpr std::string_view kRfcDigest =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

TEST(CalcomSignature, MatchesTheKnownHmacVector) {
  EXPECT_EQ(SignCalcomPayload(kRfcBody, Secret("Jefe")), kRfcDigest);
  EXPECT_TRUE(VerifyCalcomSignature(kRfcDigest, kRfcBody, Secret("Jefe")));
}

TEST(CalcomSignature, AcceptsUpperCaseHex) {
  std::string upper(kRfcDigest);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyCalcomSignature(upper, kRfcBody, Secret("Jefe")));
}

TEST(CalcomSignature, RejectsATamperedBodyOrWrongSecret) {
  auto tampered = VerifyCalcomSignature(kRfcDigest, "what do ya want for nothing!", Secret("Jefe"));
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(tampered.error().message, "mismatch");
  EXPECT_FALSE(VerifyCalcomSignature(kRfcDigest, kRfcBody, Secret("jefe")));
}

TEST(CalcomSignature, RejectsNoSecretProvidedWhenWeHaveASecret) {
  auto r = VerifyCalcomSignature("no-secret-provided", "{}", Secret("s3cret"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no-secret-provided");
}

TEST(CalcomSignature, RejectsEverythingWithoutAConfiguredSecret) {
  EXPECT_EQ(VerifyCalcomSignature("no-secret-provided", "{}", Secret()).error().message,
            "no secret configured");
  EXPECT_FALSE(VerifyCalcomSignature(SignCalcomPayload("{}", Secret()), "{}", Secret()));
}

TEST(CalcomSignature, RejectsMissingAndMalformedHeaders) {
  const Secret secret("Jefe");
  EXPECT_EQ(VerifyCalcomSignature("", kRfcBody, secret).error().message, "missing");
  EXPECT_EQ(
      VerifyCalcomSignature("sha256=" + std::string(kRfcDigest), kRfcBody, secret).error().message,
      "malformed");
  EXPECT_EQ(VerifyCalcomSignature(kRfcDigest.substr(1), kRfcBody, secret).error().message,
            "malformed");
  std::string not_hex(kRfcDigest);
  not_hex[0] = 'g';
  EXPECT_EQ(VerifyCalcomSignature(not_hex, kRfcBody, secret).error().message, "malformed");
}

constexpr std::string_view kCreated = R"({
  "triggerEvent":"BOOKING_CREATED","createdAt":"2050-09-01T10:00:00.000Z",
  "payload":{"type":"erstberatung","title":"Erstberatung between Dr. Weber and Erika",
    "startTime":"2050-09-05T07:00:00.000Z","endTime":"2050-09-05T07:30:00.000Z",
    "organizer":{"name":"Dr. Weber","email":"weber@example.org","timeZone":"Europe/Berlin"},
    "attendees":[{"name":"Erika Mustermann","email":"erika@example.org","timeZone":"Europe/Berlin",
                  "phoneNumber":"+4915112345678","language":{"locale":"de"}}],
    "responses":{"name":{"value":"Erika Mustermann"}},
    "uid":"bk_1","bookingId":991,"eventTypeId":1001,"status":"ACCEPTED",
    "metadata":{"callgate_appointment":"42","n":7},"unknownField":[1,2,3]}})";

TEST(ParseCalcomWebhook, ParsesABookingCreatedDelivery) {
  auto e = ParseCalcomWebhook(kCreated);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->trigger_event, "BOOKING_CREATED");
  EXPECT_EQ(e->uid, "bk_1");
  EXPECT_EQ(e->booking_id, 991);
  EXPECT_EQ(e->event_type_id, 1001);
  EXPECT_EQ(e->start_time, *ParseIso8601("2050-09-05T07:00:00Z"));
  EXPECT_EQ(e->end_time, *ParseIso8601("2050-09-05T07:30:00Z"));
  EXPECT_EQ(e->status, "ACCEPTED");
  EXPECT_EQ(e->metadata.at("callgate_appointment"), "42");
  EXPECT_EQ(e->metadata.at("n"), "7");
  EXPECT_EQ(e->dedupe_key, "BOOKING_CREATED|bk_1|2050-09-01T10:00:00.000Z");
}

TEST(ParseCalcomWebhook, VerifiesAndParsesTheSameRawBytes) {
  const Secret secret("whsec_test");
  const std::string signature = SignCalcomPayload(kCreated, secret);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(VerifyCalcomSignature(signature, kCreated, secret));
  // Re-serialising would change the bytes; the signature covers the raw body only.
  EXPECT_FALSE(VerifyCalcomSignature(signature, std::string(kCreated) + " ", secret));
}

TEST(ParseCalcomWebhook, ParsesRescheduledWithOldUidAndTimes) {
  auto e = ParseCalcomWebhook(R"({"triggerEvent":"BOOKING_RESCHEDULED",
    "createdAt":"2050-09-02T10:00:00.000Z","payload":{"uid":"new_uid","rescheduleUid":"old_uid",
    "startTime":"2050-09-06T07:00:00.000Z","endTime":"2050-09-06T07:30:00.000Z",
    "rescheduleStartTime":"2050-09-05T07:00:00.000Z","rescheduleEndTime":"2050-09-05T07:30:00.000Z",
    "eventTypeId":1001,"status":"ACCEPTED","attendees":[]}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->uid, "new_uid");
  EXPECT_EQ(e->reschedule_uid, "old_uid");
  EXPECT_EQ(e->reschedule_start_time, *ParseIso8601("2050-09-05T07:00:00Z"));
  EXPECT_EQ(e->dedupe_key, "BOOKING_RESCHEDULED|new_uid|2050-09-02T10:00:00.000Z");
}

// The reason someone typed when cancelling is theirs, not the sync's: only the booking counts.
TEST(ParseCalcomWebhook, ParsesCancelled) {
  auto e = ParseCalcomWebhook(R"({"triggerEvent":"BOOKING_CANCELLED",
    "createdAt":"2050-09-03T10:00:00.000Z","payload":{"uid":"bk_1","bookingId":991,
    "eventTypeId":1001,"status":"CANCELLED","cancellationReason":"krank"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, "CANCELLED");
  EXPECT_EQ(e->uid, "bk_1");
  EXPECT_EQ(e->booking_id, 991);
}

TEST(ParseCalcomWebhook, ToleratesPingAndOddFields) {
  auto ping = ParseCalcomWebhook(R"({"triggerEvent":"PING","createdAt":"2050-09-03T10:00:00Z",
    "payload":{"type":"Test","startTime":"not a time","eventTypeId":null}})");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->trigger_event, "PING");
  EXPECT_FALSE(ping->start_time);
  EXPECT_FALSE(ping->event_type_id);
  EXPECT_TRUE(ParseCalcomWebhook(R"({"triggerEvent":"X"})"));
}

TEST(ParseCalcomWebhook, RejectsNonObjectsAndMissingTrigger) {
  EXPECT_EQ(ParseCalcomWebhook("not json").error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseCalcomWebhook("[]"));
  EXPECT_FALSE(ParseCalcomWebhook(R"({"payload":{}})"));
  EXPECT_FALSE(ParseCalcomWebhook(R"({"triggerEvent":"BOOKING_CREATED","payload":[1]})"));
}

// The confirmation triggers carry the booking's uid and its status as Cal.com sends it.
TEST(ParseCalcomWebhook, ReadsTheConfirmationTriggersAndTheirStatus) {
  for (const auto& [trigger, status] :
       std::vector<std::pair<std::string, std::string>>{{"BOOKING_REQUESTED", "PENDING"},
                                                        {"BOOKING_REJECTED", "REJECTED"},
                                                        {"BOOKING_CREATED", "ACCEPTED"}}) {
    const std::string body = R"({"triggerEvent":")" + trigger +
                             R"(","createdAt":"2026-11-30T07:00:00.000Z","payload":{"uid":"p1",)"
                             R"("bookingId":5,"eventTypeId":1005,"status":")" +
                             status + R"(","rejectionReason":"voll"}})";
    auto e = ParseCalcomWebhook(body);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->trigger_event, trigger);
    EXPECT_EQ(e->uid, "p1");
    EXPECT_EQ(e->status, status);
    EXPECT_EQ(e->dedupe_key, trigger + "|p1|2026-11-30T07:00:00.000Z");
  }
}

}  // namespace
}  // namespace callgate::calcom
