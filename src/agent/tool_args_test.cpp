// The platforms' loosely typed JSON arguments become the use cases' typed requests the same way
// for every tool; what cannot be meant as the field is a clear error naming it.
#include "agent/tool_args.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;

TEST(ToolArgs, SlotWishReadsAliasesNumbersAndNulls) {
  auto wish = ParseSlotWish(json::parse(
      R"({"dienstleistung":"  Erstberatung ","datum":"morgen","time":14,"service_id":null})"));
  ASSERT_TRUE(wish);
  EXPECT_EQ(wish->service.name, "Erstberatung");
  EXPECT_EQ(wish->service.id, "");
  EXPECT_EQ(wish->date, "morgen");
  EXPECT_EQ(wish->time, "14");
  auto by_id = ParseSlotWish(json::parse(R"({"service_id":7,"date":"heute"})"));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->service.id, "7");
}

TEST(ToolArgs, TextIsCappedAt500Characters) {
  auto wish = ParseSlotWish(json{{"date", std::string(2000, 'x')}});
  ASSERT_TRUE(wish);
  EXPECT_EQ(wish->date.size(), 500u);
  // Counted in bytes, and never cut inside a character: "a" and 249 "ä" (499 bytes) stay whole.
  std::string umlauts = "a";
  for (int i = 0; i < 300; ++i) umlauts += "ä";
  auto cut = ParseSlotWish(json{{"date", umlauts}});
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->date.size(), 499u);
  EXPECT_EQ(cut->date, umlauts.substr(0, 499));
  EXPECT_NO_THROW((void)json(cut->date).dump());  // strict: throws on half a character
}

TEST(ToolArgs, AnObjectWhereTextBelongsIsAnErrorNamingTheArgument) {
  auto wish = ParseSlotWish(json::parse(R"({"date":{"day":1}})"));
  ASSERT_FALSE(wish);
  EXPECT_EQ(wish.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wish.error().message.find("'date'"), std::string::npos);
  auto contact = ParseContactDetails(json::parse(R"({"name":["Erika"]})"));
  ASSERT_FALSE(contact);
  EXPECT_NE(contact.error().message.find("'name'"), std::string::npos);
  auto flag = ParseAppointmentRequest(json::parse(R"({"date":"morgen","confirm":{"x":1}})"));
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.error().message.find("'confirm'"), std::string::npos);
  EXPECT_FALSE(ParseSlotWish(json::array()));
  EXPECT_FALSE(ParseRescheduleRequest(json("text")));
}

TEST(ToolArgs, ConfirmAcceptsTheWaysModelsSayYes) {
  for (const char* yes :
       {R"(true)", R"("true")", R"("ja")", R"(" Ja ")", R"("yes")", R"(1)", R"("1")"}) {
    auto args = json::parse(std::string(R"({"confirm":)") + yes + "}");
    auto r = ParseAppointmentRequest(args);
    ASSERT_TRUE(r) << yes;
    EXPECT_TRUE(r->confirm) << yes;
    EXPECT_TRUE(Confirms(args)) << yes;
  }
  for (const char* no : {R"(false)", R"("nein")", R"(0)", R"(2)", R"(null)"}) {
    auto args = json::parse(std::string(R"({"confirm":)") + no + "}");
    auto r = ParseAppointmentRequest(args);
    ASSERT_TRUE(r) << no;
    EXPECT_FALSE(r->confirm) << no;
    EXPECT_FALSE(Confirms(args)) << no;
  }
  EXPECT_FALSE(Confirms(json::parse(R"({"confirm":[true]})")));
}

TEST(ToolArgs, BookingRequestCarriesContactAndNotes) {
  auto r = ParseAppointmentRequest(json::parse(
      R"({"service":"Beratung","date":"morgen","time":"10","name":"Erika","email":"e@x.de",
          "telefon":"0151 2345678","notiz":"Rollstuhl"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->wish.service.name, "Beratung");
  EXPECT_EQ(r->contact.name, "Erika");
  EXPECT_EQ(r->contact.email, "e@x.de");
  EXPECT_EQ(r->contact.phone, "0151 2345678");
  EXPECT_EQ(r->notes, "Rollstuhl");
  EXPECT_FALSE(r->confirm);
}

// What the caller dictated is kept, but no control character, line break or direction override
// reaches the dashboard, a log line or the calendar entry.
TEST(ToolArgs, ControlCharactersInCollectedTextBecomeSpaces) {
  auto r = ParseAppointmentRequest(json{{"name", "Erika\u202e relleM\n"},
                                        {"telefon", std::string("0151\0 2345678", 13)},
                                        {"notiz", "Rollstuhl\r\nbitte\u2028Rampe\u0085"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->contact.name, "Erika  relleM");
  EXPECT_EQ(r->contact.phone, "0151  2345678");
  EXPECT_EQ(r->notes, "Rollstuhl  bitte Rampe");
  auto callback = ParseCallbackWish(json{{"topic", "R\u00fcckruf\u2066x\u2069"}});
  ASSERT_TRUE(callback);
  EXPECT_EQ(callback->topic, "Rückruf x");
  EXPECT_FALSE(HasControlCharacter(callback->topic));
}

TEST(ToolArgs, AlternativesCountIsANumber) {
  auto r = ParseAlternativesRequest(json::parse(R"({"count":"5"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->count, 5);
  auto absent = ParseAlternativesRequest(json::object());
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->count);
  auto bad = ParseAlternativesRequest(json::parse(R"({"count":"viele"})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'count'"), std::string::npos);
}

TEST(ToolArgs, CancelAndRescheduleChooseTheAppointment) {
  auto cancel =
      ParseCancelRequest(json::parse(R"({"appointment_id":42,"grund":"krank","old_date":"Mo"})"));
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->appointment.id, "42");
  EXPECT_EQ(cancel->appointment.date, "Mo");
  EXPECT_EQ(cancel->reason, "krank");
  auto move = ParseRescheduleRequest(
      json::parse(R"({"neues_datum":"Freitag","neue_uhrzeit":"9 Uhr","confirm":"ja"})"));
  ASSERT_TRUE(move);
  EXPECT_EQ(move->new_date, "Freitag");
  EXPECT_EQ(move->new_time, "9 Uhr");
  EXPECT_TRUE(move->confirm);
}

TEST(ToolIdempotencyKey, StableAcrossKeyOrderAndConfirmButNotCalls) {
  const auto a = json::parse(R"({"date":"morgen","time":"14 Uhr","name":"Erika"})");
  const auto b = json::parse(R"({"name":"Erika","time":"14 Uhr","date":"morgen","confirm":true})");
  EXPECT_EQ(ToolIdempotencyKey("call-1", "book-appointment", a),
            ToolIdempotencyKey("call-1", "book-appointment", b));
  EXPECT_NE(ToolIdempotencyKey("call-1", "book-appointment", a),
            ToolIdempotencyKey("call-2", "book-appointment", a));
  EXPECT_NE(ToolIdempotencyKey("call-1", "book-appointment", a),
            ToolIdempotencyKey("call-1", "cancel-appointment", a));
  EXPECT_EQ(ToolIdempotencyKey("call-1", "book-appointment", a).size(), 64u);
}

}  // namespace
}  // namespace callgate::agent
