// Golden tests of what the agent says for each availability outcome (agent/speech.hpp): the
// exact German sentence and the data the platforms read. "Now" is Thursday 26.11.2026 10:00
// in Berlin.
#include "agent/speech.hpp"

#include <gtest/gtest.h>

#include "core/time_zone.hpp"

namespace callgate::agent {
namespace {

using booking::Alternative;
using booking::AlternativeKind;
using booking::AvailabilityOutcome;
using booking::CalendarDay;
using booking::Slot;
using booking::SlotSource;
using nlohmann::json;
namespace av = booking::availability;

constexpr std::string_view kZone = "Europe/Berlin";

SystemTimePoint InYear(int year, int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{year, month, day, hour, minute, 0}, kZone);
}
SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return InYear(2026, month, day, hour, minute);
}

Slot HalfHour(SystemTimePoint start) { return Slot{start, start + std::chrono::minutes(30)}; }

tenancy::Service Beratung() {
  tenancy::Service s;
  s.id = tenancy::ServiceId(100);
  s.name = "Beratung";
  return s;
}

AvailabilityOutcome Outcome(decltype(AvailabilityOutcome::result) result,
                            SlotSource source = SlotSource::kLive) {
  AvailabilityOutcome out;
  out.service = Beratung();
  out.source = source;
  out.as_of = Berlin(11, 26, 10);
  out.result = std::move(result);
  return out;
}

std::vector<Alternative> Alternatives(std::initializer_list<SystemTimePoint> starts) {
  std::vector<Alternative> out;
  for (auto s : starts) out.push_back({HalfHour(s), AlternativeKind::kNearby});
  return out;
}

TEST(Speech, Free) {
  auto a = SpeakAvailability(Outcome(av::Free{HalfHour(Berlin(11, 27, 10))}), kZone);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Freitag, 27. November, um 10 Uhr ist für Beratung frei. Soll ich den Termin buchen?");
  EXPECT_EQ(a.data["available"], true);
  EXPECT_EQ(a.data["requested"], "2026-11-27T09:00:00.000Z");
  EXPECT_EQ(a.data["service"], (json{{"id", 100}, {"name", "Beratung"}}));
  EXPECT_EQ(a.data["source"], "live");
  ASSERT_EQ(a.data["slots"].size(), 1u);
  EXPECT_EQ(a.data["slots"][0]["local_time"], "10:00");
}

TEST(Speech, FreeButUnconfirmedSaysSo) {
  auto a = SpeakAvailability(Outcome(av::Free{HalfHour(Berlin(11, 27, 10))}, SlotSource::kFallback),
                             kZone);
  EXPECT_EQ(a.message,
            "Freitag, 27. November, um 10 Uhr ist für Beratung frei (vorläufig, die Zeiten sind "
            "noch nicht bestätigt). Soll ich den Termin buchen?");
  EXPECT_EQ(a.data["source"], "fallback");
}

TEST(Speech, TakenNamesEachDayOnceAndOffersAChoice) {
  auto a = SpeakAvailability(
      Outcome(av::Taken{
          Berlin(11, 27, 10),
          Alternatives({Berlin(11, 27, 10, 30), Berlin(11, 27, 11), Berlin(11, 30, 10)})}),
      kZone);
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.message,
            "Freitag, 27. November, um 10 Uhr ist leider schon vergeben. Ich kann Ihnen anbieten: "
            "Freitag, 27. November, um 10:30 oder 11 Uhr oder Montag, 30. November, um 10 Uhr.");
  EXPECT_EQ(a.data["available"], false);
  ASSERT_EQ(a.data["alternatives"].size(), 3u);
  EXPECT_EQ(a.data["alternatives"][0]["kind"], "nearby");
}

TEST(Speech, TakenWithNothingToOffer) {
  auto a = SpeakAvailability(Outcome(av::Taken{Berlin(11, 27, 10), {}}), kZone);
  EXPECT_EQ(a.message,
            "Freitag, 27. November, um 10 Uhr ist leider schon vergeben. In den nächsten zwei "
            "Wochen habe ich leider keinen passenden Termin gefunden.");
}

// Why a wished time is not free is said first, with the reason code in the data.
TEST(Speech, TakenSaysWhy) {
  auto say = [](av::NotFree why, SystemTimePoint requested, std::string_view holiday = "") {
    av::Taken taken{requested, Alternatives({Berlin(11, 30, 10)}), why,
                    tenancy::OpeningHours{9 * 60, 18 * 60}, holiday};
    return SpeakAvailability(Outcome(taken), kZone);
  };
  const std::string offer = " Ich kann Ihnen anbieten: Montag, 30. November, um 10 Uhr.";
  EXPECT_EQ(say(av::NotFree::kPast, Berlin(11, 26, 8)).message,
            "Donnerstag, 26. November, um 8 Uhr ist schon vorbei." + offer);
  EXPECT_EQ(say(av::NotFree::kTooSoon, Berlin(11, 26, 11)).message,
            "Donnerstag, 26. November, um 11 Uhr ist leider zu kurzfristig." + offer);
  EXPECT_EQ(say(av::NotFree::kClosedDay, Berlin(11, 29, 10)).message,
            "Am Sonntag, 29. November, haben wir geschlossen." + offer);
  EXPECT_EQ(say(av::NotFree::kHoliday, Berlin(12, 25, 10), "1. Weihnachtsfeiertag").message,
            "Am Freitag, 25. Dezember, ist Feiertag (1. Weihnachtsfeiertag), da haben wir "
            "geschlossen." +
                offer);
  auto late = say(av::NotFree::kOutsideHours, Berlin(11, 27, 19));
  EXPECT_EQ(late.message,
            "Um 19 Uhr haben wir nicht geöffnet; am Freitag, 27. November, sind wir von 9 bis 18 "
            "Uhr da." +
                offer);
  EXPECT_EQ(late.data["reason"], "outside_hours");
  auto quarter = say(av::NotFree::kOffGrid, Berlin(11, 27, 10, 15));
  EXPECT_EQ(quarter.message, "Um 10:15 Uhr beginnt leider kein Termin." + offer);
  EXPECT_EQ(quarter.data["reason"], "off_grid");
  EXPECT_EQ(say(av::NotFree::kBooked, Berlin(11, 27, 10)).data["reason"], "booked");
}

// A refused wish says why and asks for the right thing again.
TEST(Speech, RefusedWishesSayWhy) {
  auto say = [](av::NeedsInput needs) { return SpeakAvailability(Outcome(needs), kZone); };
  auto past = say({av::Field::kDate, av::Problem::kPast, CalendarDay{2026, 11, 25}, 3});
  EXPECT_EQ(past.message,
            "Der 25. November ist leider schon vorbei. Welcher Tag ab heute passt Ihnen?");
  EXPECT_EQ(past.data["reason"], "past");
  EXPECT_EQ(past.data["missing"], json::array({"date"}));
  EXPECT_EQ(
      say({av::Field::kDate, av::Problem::kWeekdayMismatch, CalendarDay{2026, 12, 15}, 2}).message,
      "Der 15. Dezember ist ein Dienstag. Meinen Sie Dienstag, den 15. Dezember, oder einen "
      "anderen Tag?");
  EXPECT_EQ(say({av::Field::kDate, av::Problem::kNoSuchDate}).message,
            "Dieses Datum gibt es nicht. Welchen Tag meinen Sie?");
  EXPECT_EQ(say({av::Field::kDate, av::Problem::kTooVague}).message,
            "Können Sie den Tag etwas genauer sagen, zum Beispiel morgen oder nächsten Dienstag?");
  auto bad_time = say({av::Field::kTime, av::Problem::kBadTime});
  EXPECT_EQ(bad_time.message, "Diese Uhrzeit gibt es nicht. Um wie viel Uhr möchten Sie kommen?");
  EXPECT_EQ(bad_time.data["missing"], json::array({"time"}));
  EXPECT_EQ(say({av::Field::kDate, av::Problem::kPast, CalendarDay{2025, 12, 1}, 1}).message,
            "Der 1. Dezember 2025 ist leider schon vorbei. Welcher Tag ab heute passt Ihnen?");
}

TEST(Speech, ClosedAndHolidayDays) {
  auto closed = SpeakAvailability(
      Outcome(av::DayFull{CalendarDay{2026, 11, 29}, std::nullopt,
                          Alternatives({Berlin(11, 30, 9)}), av::NotFree::kClosedDay}),
      kZone);
  EXPECT_EQ(closed.message,
            "Am Sonntag, 29. November, haben wir geschlossen. Ich kann Ihnen anbieten: Montag, 30. "
            "November, um 9 Uhr.");
  EXPECT_EQ(closed.data["reason"], "closed");
  auto holiday = SpeakAvailability(Outcome(av::DayFull{CalendarDay{2026, 12, 25},
                                                       std::nullopt,
                                                       {},
                                                       av::NotFree::kHoliday,
                                                       "1. Weihnachtsfeiertag"}),
                                   kZone);
  EXPECT_EQ(holiday.message,
            "Am Freitag, 25. Dezember, ist Feiertag (1. Weihnachtsfeiertag), da haben wir "
            "geschlossen. Auch in den zwei Wochen danach habe ich nichts gefunden.");
}

// A closing day of the practice is said like a holiday, with its name and, for several days,
// their span; the next open days' times follow.
TEST(Speech, ClosingDays) {
  av::Taken taken{Berlin(12, 24, 10), Alternatives({InYear(2027, 1, 4, 9)}), av::NotFree::kClosing};
  taken.closing =
      av::ClosingSpan{CalendarDay{2026, 12, 24}, CalendarDay{2026, 12, 24}, "Betriebsferien"};
  auto one = SpeakAvailability(Outcome(taken), kZone);
  EXPECT_FALSE(one.success);
  EXPECT_EQ(one.message,
            "Am Donnerstag, 24. Dezember, haben wir geschlossen (Betriebsferien). Ich kann Ihnen "
            "anbieten: Montag, 4. Januar 2027, um 9 Uhr.");
  EXPECT_EQ(one.data["reason"], "closing_day");

  av::DayFull full{CalendarDay{2026, 12, 28}, std::nullopt, Alternatives({InYear(2027, 1, 4, 9)}),
                   av::NotFree::kClosing};
  full.closing =
      av::ClosingSpan{CalendarDay{2026, 12, 24}, CalendarDay{2027, 1, 1}, "Betriebsferien"};
  auto span = SpeakAvailability(Outcome(full), kZone);
  EXPECT_EQ(span.message,
            "Vom 24. Dezember bis 1. Januar 2027 haben wir geschlossen (Betriebsferien). Ich kann "
            "Ihnen anbieten: Montag, 4. Januar 2027, um 9 Uhr.");
  EXPECT_EQ(span.data["reason"], "closing_day");
  EXPECT_EQ(span.data["date"], "2026-12-28");

  full.closing = av::ClosingSpan{CalendarDay{2026, 12, 28}, CalendarDay{2026, 12, 28}, ""};
  full.alternatives.clear();
  EXPECT_EQ(SpeakAvailability(Outcome(full), kZone).message,
            "Am Montag, 28. Dezember, haben wir geschlossen. Auch in den zwei Wochen danach habe "
            "ich nichts gefunden.");
}

// A service offered only at other branches: where, and what the caller can do; a refusal that
// keeps its status (403) on platforms that answer with one.
TEST(Speech, AServiceOfAnotherBranch) {
  AvailabilityOutcome out;
  out.as_of = Berlin(11, 26, 10);
  out.result = av::OtherBranch{"Zahnreinigung", {"Mitte"}};
  auto one = SpeakAvailability(out, kZone);
  EXPECT_FALSE(one.success);
  EXPECT_EQ(one.refusal, ErrorCode::kPermissionDenied);
  EXPECT_EQ(one.message,
            "Zahnreinigung bieten wir in unserer Filiale Mitte an, nicht hier. Soll ich einen "
            "Rückruf notieren, damit Sie dort einen Termin bekommen, oder kann ich Ihnen hier mit "
            "etwas anderem helfen?");
  EXPECT_EQ(one.data["reason"], "other_branch");
  EXPECT_EQ(one.data["branches"], json::array({"Mitte"}));
  EXPECT_EQ(one.data["service"]["name"], "Zahnreinigung");
  EXPECT_EQ(one.data["error"]["code"], "permission_denied");
  EXPECT_EQ(one.data["error"]["message"], "not available at your branch");

  out.result = av::OtherBranch{"Zahnreinigung", {"Mitte", "Spandau", "Pankow"}};
  EXPECT_EQ(SpeakAvailability(out, kZone).message,
            "Zahnreinigung bieten wir in unseren Filialen Mitte, Spandau und Pankow an, nicht "
            "hier. Soll ich einen Rückruf notieren, damit Sie dort einen Termin bekommen, oder "
            "kann ich Ihnen hier mit etwas anderem helfen?");
  out.result = av::OtherBranch{"Zahnreinigung", {}};
  EXPECT_EQ(SpeakAvailability(out, kZone).message,
            "Zahnreinigung bieten wir hier leider nicht an. Möchten Sie, dass wir Sie "
            "zurückrufen, oder kann ich Ihnen mit etwas anderem helfen?");

  booking::AlternativesOutcome alternatives;
  alternatives.as_of = out.as_of;
  alternatives.result = av::OtherBranch{"Zahnreinigung", {"Mitte"}};
  EXPECT_EQ(SpeakAlternatives(alternatives, kZone).message, one.message);
  booking::BookOutcome book;
  book.as_of = out.as_of;
  book.result = av::OtherBranch{"Zahnreinigung", {"Mitte"}};
  auto booked = SpeakBooking(book, kZone);
  EXPECT_EQ(booked.message, one.message);
  EXPECT_EQ(booked.refusal, ErrorCode::kPermissionDenied);
  // Every other answer is no refusal.
  EXPECT_FALSE(SpeakAvailability(Outcome(av::Free{HalfHour(Berlin(11, 27, 10))}), kZone).refusal);
}

TEST(Speech, ADayInAnotherYearSaysTheYear) {
  auto a = SpeakAvailability(
      Outcome(av::Taken{InYear(2027, 1, 15, 10), Alternatives({InYear(2027, 1, 15, 11)})}), kZone);
  EXPECT_EQ(a.message,
            "Freitag, 15. Januar 2027, um 10 Uhr ist leider schon vergeben. Ich kann Ihnen "
            "anbieten: "
            "Freitag, 15. Januar 2027, um 11 Uhr.");
}

TEST(Speech, ADayListIsSpreadOverTheWholeDay) {
  std::vector<Slot> slots;
  for (int m = 9 * 60; m < 17 * 60; m += 30)
    slots.push_back(HalfHour(Berlin(12, 2, m / 60, m % 60)));
  auto a =
      SpeakAvailability(Outcome(av::DayList{CalendarDay{2026, 12, 2}, std::nullopt, slots}), kZone);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Am Mittwoch, 2. Dezember, sind unter anderem um 9, 10:30, 12, 13:30, 15 oder 16:30 "
            "Uhr Termine frei. Welche Uhrzeit passt Ihnen?");
  EXPECT_EQ(a.data["date"], "2026-12-02");
  EXPECT_EQ(a.data["slots"].size(), 16u);
}

TEST(Speech, AShortDayListReadsEveryTime) {
  auto a = SpeakAvailability(
      Outcome(av::DayList{CalendarDay{2026, 12, 2},
                          booking::TimeWindow{8 * 60, 12 * 60},
                          {HalfHour(Berlin(12, 2, 9)), HalfHour(Berlin(12, 2, 11, 30))}}),
      kZone);
  EXPECT_EQ(a.message,
            "Am Mittwoch, 2. Dezember, zwischen 8 und 12 Uhr sind um 9 oder 11:30 Uhr Termine "
            "frei. Welche Uhrzeit passt Ihnen?");
}

TEST(Speech, ADayListOfOneTime) {
  auto a = SpeakAvailability(Outcome(av::DayList{CalendarDay{2026, 12, 2},
                                                 booking::TimeWindow{14 * 60, 24 * 60},
                                                 {HalfHour(Berlin(12, 2, 16, 30))}}),
                             kZone);
  EXPECT_EQ(a.message,
            "Am Mittwoch, 2. Dezember, ab 14 Uhr ist nur um 16:30 Uhr frei. Passt "
            "Ihnen das?");
}

TEST(Speech, AFullDayNamesTheDay) {
  auto a = SpeakAvailability(
      Outcome(av::DayFull{CalendarDay{2026, 11, 29}, std::nullopt,
                          Alternatives({Berlin(11, 30, 9), Berlin(11, 30, 9, 30)})}),
      kZone);
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.message,
            "Am Sonntag, 29. November, ist leider nichts frei. Ich kann Ihnen anbieten: Montag, "
            "30. November, um 9 oder 9:30 Uhr.");
  EXPECT_EQ(a.data["date"], "2026-11-29");
  EXPECT_EQ(a.data["available"], false);
}

TEST(Speech, AFullDayWithNothingAfter) {
  auto a = SpeakAvailability(
      Outcome(av::DayFull{CalendarDay{2026, 11, 29}, booking::TimeWindow{0, 12 * 60}, {}}), kZone);
  EXPECT_EQ(a.message,
            "Am Sonntag, 29. November, bis 12 Uhr ist leider nichts frei. Auch in den zwei Wochen "
            "danach habe ich nichts gefunden.");
}

TEST(Speech, NeedsInput) {
  EXPECT_EQ(
      SpeakAvailability(Outcome(av::NeedsInput{av::Field::kDate, av::Problem::kNotSaid}), kZone)
          .message,
      "Für welchen Tag soll ich nachsehen?");
  auto unread = SpeakAvailability(
      Outcome(av::NeedsInput{av::Field::kDate, av::Problem::kNotUnderstood}), kZone);
  EXPECT_EQ(unread.message,
            "Das Datum habe ich leider nicht verstanden. Können Sie den Tag bitte noch einmal "
            "nennen?");
  EXPECT_EQ(unread.data["missing"], json::array({"date"}));
  EXPECT_FALSE(unread.success);
  auto time = SpeakAvailability(
      Outcome(av::NeedsInput{av::Field::kTime, av::Problem::kNotUnderstood}), kZone);
  EXPECT_EQ(time.message,
            "Die Uhrzeit habe ich leider nicht verstanden. Um wie viel Uhr möchten Sie kommen?");
  EXPECT_EQ(time.data["missing"], json::array({"time"}));
}

TEST(Speech, ServiceUnknown) {
  AvailabilityOutcome out =
      Outcome(av::ServiceUnknown{"Haarschnitt", {"Beratung", "Zahnreinigung"}});
  out.service.reset();
  auto a = SpeakAvailability(out, kZone);
  EXPECT_EQ(a.message,
            "Die Leistung \"Haarschnitt\" bieten wir hier nicht an. Wir bieten Beratung und "
            "Zahnreinigung an.");
  EXPECT_EQ(a.data["services"], (json{"Beratung", "Zahnreinigung"}));
  EXPECT_FALSE(a.data.contains("missing"));
  out.result = av::ServiceUnknown{"", {"Beratung"}};
  auto none = SpeakAvailability(out, kZone);
  EXPECT_EQ(none.message, "Für welche Leistung möchten Sie einen Termin? Wir bieten Beratung an.");
  EXPECT_EQ(none.data["missing"], json::array({"service"}));
}

TEST(Speech, NotBookableOnlineAndCalendarDown) {
  EXPECT_EQ(SpeakAvailability(Outcome(av::NotBookableOnline{}), kZone).message,
            "Für Beratung kann ich leider keine Termine online vergeben.");
  auto down = SpeakAvailability(Outcome(av::CalendarUnavailable{ErrorCode::kTimeout}), kZone);
  EXPECT_EQ(down.message,
            "Ich kann den Kalender gerade nicht erreichen. Darf ich Ihren Wunsch notieren, damit "
            "wir Sie zurückrufen?");
  EXPECT_EQ(down.data["error"], std::string(ErrorCodeName(ErrorCode::kTimeout)));
  EXPECT_FALSE(down.success);
}

TEST(Speech, Alternatives) {
  booking::AlternativesOutcome out;
  out.service = Beratung();
  out.as_of = Berlin(11, 26, 10);
  out.result = av::Offer{Berlin(11, 27, 9), Alternatives({Berlin(11, 27, 9), Berlin(12, 1, 14)})};
  auto a = SpeakAlternatives(out, kZone);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Ich kann Ihnen anbieten: Freitag, 27. November, um 9 Uhr oder Dienstag, 1. Dezember, "
            "um 14 Uhr.");
  EXPECT_EQ(a.data["alternatives"].size(), 2u);
  out.result = av::Offer{Berlin(11, 27, 9), {}};
  auto none = SpeakAlternatives(out, kZone);
  EXPECT_FALSE(none.success);
  EXPECT_EQ(none.message,
            "In den nächsten zwei Wochen habe ich leider keinen freien Termin gefunden.");
}

TEST(Speech, DraftSummarisesOrAsksForTheName) {
  booking::BookingDraft draft;
  draft.availability = Outcome(av::Free{HalfHour(Berlin(12, 3, 14, 30))});
  draft.name = "Otto Normal";
  auto ready = SpeakDraft(draft, kZone);
  EXPECT_TRUE(ready.success);
  EXPECT_EQ(ready.message,
            "Ich fasse zusammen: Beratung am Donnerstag, 3. Dezember, um 14:30 Uhr auf den Namen "
            "Otto Normal. Soll ich das so buchen?");
  EXPECT_EQ(ready.data["needs_confirmation"], true);
  EXPECT_EQ(ready.data["requested"], "2026-12-03T13:30:00.000Z");

  draft.name.clear();
  auto ask = SpeakDraft(draft, kZone);
  EXPECT_FALSE(ask.success);
  EXPECT_EQ(ask.message, "Auf welchen Namen darf ich den Termin eintragen?");
  EXPECT_EQ(ask.data["missing"], json::array({"name"}));
  EXPECT_EQ(ask.data["available"], true);

  draft.availability = Outcome(av::Taken{Berlin(12, 3, 14, 30), {}});
  draft.name = "Otto Normal";
  EXPECT_EQ(SpeakDraft(draft, kZone).message, SpeakAvailability(draft.availability, kZone).message);
}

TEST(Speech, Pieces) {
  EXPECT_EQ(SpokenClock(9 * 60), "9");
  EXPECT_EQ(SpokenClock(9 * 60 + 5), "9:05");
  EXPECT_EQ(SpokenClock(14 * 60 + 30), "14:30");
  EXPECT_EQ(JoinChoices({}), "");
  EXPECT_EQ(JoinChoices({"A"}), "A");
  EXPECT_EQ(JoinChoices({"A", "B"}), "A oder B");
  EXPECT_EQ(JoinChoices({"A", "B", "C"}), "A, B oder C");
  EXPECT_EQ(SpreadIndices(3, 6), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(SpreadIndices(16, 6), (std::vector<std::size_t>{0, 3, 6, 9, 12, 15}));
  EXPECT_EQ(SpreadIndices(10, 1), (std::vector<std::size_t>{0}));
  EXPECT_TRUE(SpreadIndices(0, 6).empty());
}

}  // namespace
}  // namespace callgate::agent

namespace callgate::agent {
namespace {

TEST(Speech, Callback) {
  booking::CallbackOutcome out;
  out.as_of = *FromLocal(LocalDateTime{2026, 11, 26, 10, 0, 0}, "Europe/Berlin");
  out.result = booking::callback::Noted{booking::CallbackRequestId(7),
                                        out.as_of + std::chrono::hours(2), true, false};
  auto a = SpeakCallback(out, "Europe/Berlin");
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Ich habe Ihren Rückrufwunsch notiert. Wir melden uns unter der Nummer, von der Sie "
            "anrufen, spätestens Donnerstag, 26. November, um 12 Uhr.");
  EXPECT_EQ(a.data["callback_request_id"], 7);
  out.result = booking::callback::NeedsPhone{false};
  auto ask = SpeakCallback(out, "Europe/Berlin");
  EXPECT_FALSE(ask.success);
  EXPECT_EQ(ask.message,
            "Ihre Nummer ist unterdrückt. Unter welcher Telefonnummer können wir Sie zurückrufen?");
  EXPECT_EQ(ask.data["missing"], nlohmann::json::array({"phone"}));
}

TEST(Speech, CallbackAlreadyNoted) {
  booking::CallbackOutcome out;
  out.as_of = *FromLocal(LocalDateTime{2026, 11, 26, 10, 0, 0}, "Europe/Berlin");
  out.result = booking::callback::AlreadyNoted{booking::CallbackRequestId(7),
                                               out.as_of + std::chrono::hours(2), 3};
  auto a = SpeakCallback(out, "Europe/Berlin");
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.message,
            "Ein Rückruf ist für Sie bereits notiert. Wir melden uns spätestens Donnerstag, 26. "
            "November, um 12 Uhr. Ihre weiteren Anliegen können Sie beim Rückruf gleich mit "
            "besprechen.");
  EXPECT_EQ(a.data["reason"], "already_noted");
  EXPECT_EQ(a.data["callback_request_id"], 7);
  EXPECT_EQ(a.data["due"], "2026-11-26T11:00:00.000Z");
}

TEST(SpokenDateTime, SpeaksDateAndTimeInTheZone) {
  const SystemTimePoint now = Berlin(11, 26, 10);
  EXPECT_EQ(SpokenDateTime(Berlin(12, 1, 14, 30), kZone, now),
            "Dienstag, 1. Dezember, um 14:30 Uhr");
  EXPECT_EQ(SpokenDateTime(Berlin(11, 27, 9, 5), kZone, now), "Freitag, 27. November, um 9:05 Uhr");
  EXPECT_EQ(SpokenDateTime(Berlin(7, 1, 14), kZone, now), "Mittwoch, 1. Juli, um 14 Uhr");
  EXPECT_EQ(SpokenDateTime(Berlin(3, 29, 14), kZone, now), "Sonntag, 29. März, um 14 Uhr");
}

TEST(SpokenDateTime, AddsTheYearOnlyWhenItDiffers) {
  EXPECT_EQ(SpokenDateTime(InYear(2027, 1, 15, 10), kZone, Berlin(11, 26, 10)),
            "Freitag, 15. Januar 2027, um 10 Uhr");
  // Already 2027 in Berlin (00:30 on New Year's Day) although still 2026 in UTC.
  EXPECT_EQ(SpokenDateTime(InYear(2027, 1, 2, 10), kZone, InYear(2027, 1, 1, 0, 30)),
            "Samstag, 2. Januar, um 10 Uhr");
}

TEST(SpokenDateTime, FallsBackToUtcForAnUnknownZone) {
  EXPECT_EQ(SpokenDateTime(Berlin(12, 1, 14, 30), "Mars/Olympus", Berlin(11, 26, 10)),
            "Dienstag, 1. Dezember, um 13:30 Uhr");
}

TEST(SpeakQuickSlots, NamesTodaysAndTomorrowsFirstTimesByEar) {
  booking::BookingService::QuickAvailability quick;
  quick.service = Beratung();
  quick.today = {HalfHour(Berlin(11, 26, 14)), HalfHour(Berlin(11, 26, 15, 30))};
  quick.tomorrow = {HalfHour(Berlin(11, 27, 9)), HalfHour(Berlin(11, 27, 9, 30)),
                    HalfHour(Berlin(11, 27, 10)), HalfHour(Berlin(11, 27, 10, 30))};
  EXPECT_EQ(SpeakQuickSlots(quick, kZone),
            "Beratung: heute um 14 und 15:30 Uhr, morgen um 9, 9:30 und 10 Uhr");
  quick.today.clear();
  quick.source = SlotSource::kFallback;
  EXPECT_EQ(SpeakQuickSlots(quick, kZone),
            "Beratung: morgen um 9, 9:30 und 10 Uhr (unverbindlich)");
  quick.tomorrow.clear();
  quick.source = SlotSource::kLive;
  EXPECT_EQ(SpeakQuickSlots(quick, kZone), "Beratung: heute und morgen keine freien Termine");
}

TEST(RecordWording, TheTextsWrittenIntoRecordsAreGerman) {
  const auto w = RecordWording();
  EXPECT_EQ(w.unnamed_attendee, "Anrufer");
  EXPECT_EQ(w.series_refused, "Serientermine werden telefonisch nicht vergeben");
  EXPECT_EQ(w.cancelled_by_caller, "Vom Anrufer telefonisch storniert");
  EXPECT_EQ(w.released_while_booking, "Während der Buchung storniert");
  EXPECT_EQ(w.released_while_moving, "Während der Verschiebung storniert");
  EXPECT_EQ(w.moved_by_caller, "Vom Anrufer telefonisch verschoben");
  EXPECT_EQ(w.CancellationWished("krank"), "Stornierung gewünscht: krank");
  EXPECT_EQ(
      w.BookingFailed({"Beratung", Berlin(11, 27, 10), std::string(kZone), Berlin(11, 26, 10)}),
      "Terminwunsch Beratung Freitag, 27. November, um 10 Uhr konnte nicht gebucht werden");
  EXPECT_EQ(w.BookingFailed({"", Berlin(11, 27, 10), std::string(kZone), Berlin(11, 26, 10)}),
            "Terminwunsch Freitag, 27. November, um 10 Uhr konnte nicht gebucht werden");
}

}  // namespace
}  // namespace callgate::agent
