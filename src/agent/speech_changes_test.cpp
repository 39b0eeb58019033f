// Golden tests of what the agent says about the offer (list-services, get-branches), booking
// (book-appointment, collect-customer-info) and the caller's own appointments (query, cancel,
// reschedule): the exact German sentence and the data the platforms read. "Now" is
// Thursday 26.11.2026 10:00 in Berlin.
#include <gtest/gtest.h>

#include "agent/speech.hpp"
#include "core/time_zone.hpp"

namespace callgate::agent {
namespace {

using booking::Appointment;
using booking::AppointmentId;
using nlohmann::json;
namespace ch = booking::changes;
namespace av = booking::availability;

constexpr std::string_view kZone = "Europe/Berlin";

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, kZone);
}
const SystemTimePoint kNow = Berlin(11, 26, 10);

ch::Listed Listed(std::int64_t id, SystemTimePoint start, std::string service = "Beratung",
                  std::string_view status = booking::kBooked) {
  Appointment a;
  a.id = AppointmentId(id);
  a.starts_at = start;
  a.ends_at = start + std::chrono::minutes(30);
  a.timezone = std::string(kZone);
  a.status = std::string(status);
  a.calcom_booking_uid = "uid-" + std::to_string(id);
  return ch::Listed{a, std::move(service)};
}

booking::CancelOutcome Cancel(decltype(booking::CancelOutcome::result) result) {
  return booking::CancelOutcome{kNow, std::move(result)};
}
booking::RescheduleOutcome Reschedule(decltype(booking::RescheduleOutcome::result) result) {
  return booking::RescheduleOutcome{kNow, std::move(result)};
}

tenancy::WeeklyHours WeekdaysAndSaturday() {
  tenancy::WeeklyHours h;
  for (int d = 1; d <= 5; ++d) h[static_cast<std::size_t>(d)] = tenancy::OpeningHours{540, 1080};
  h[6] = tenancy::OpeningHours{540, 780};
  return h;
}

// ---- the offer ----

TEST(SpeechOffer, Services) {
  tenancy::Service a;
  a.id = tenancy::ServiceId(100);
  a.name = "Beratung";
  a.duration_minutes = 30;
  a.price_cents = 6000;
  a.is_default = true;
  tenancy::Service b = a;
  b.id = tenancy::ServiceId(101);
  b.name = "Nachsorge";
  b.duration_minutes = 45;
  b.price_cents = 1250;
  b.is_default = false;
  auto answer = SpeakServices({a, b});
  EXPECT_TRUE(answer.success);
  EXPECT_EQ(answer.message,
            "Wir bieten an: Beratung (30 Minuten, 60 Euro) und Nachsorge (45 Minuten, 12,50 "
            "Euro).");
  ASSERT_EQ(answer.data["services"].size(), 2u);
  EXPECT_EQ(answer.data["services"][1], (json{{"id", 101},
                                              {"name", "Nachsorge"},
                                              {"duration_minutes", 45},
                                              {"price_cents", 1250},
                                              {"price", "12,50 Euro"},
                                              {"is_default", false}}));
  auto none = SpeakServices({});
  EXPECT_FALSE(none.success);
  EXPECT_EQ(none.message, "Hier können derzeit keine Termine gebucht werden.");
}

TEST(SpeechOffer, OpeningHoursInWords) {
  EXPECT_EQ(SpokenOpeningHours(WeekdaysAndSaturday()),
            "Montag bis Freitag von 9 bis 18 Uhr und Samstag von 9 bis 13 Uhr");
  tenancy::WeeklyHours split;
  split[1] = tenancy::OpeningHours{480, 750};
  split[2] = tenancy::OpeningHours{480, 750};
  split[3] = tenancy::OpeningHours{480, 1200};
  split[5] = tenancy::OpeningHours{480, 750};
  split[0] = tenancy::OpeningHours{600, 720};
  EXPECT_EQ(SpokenOpeningHours(split),
            "Montag und Dienstag von 8 bis 12:30 Uhr, Mittwoch von 8 bis 20 Uhr, Freitag von 8 "
            "bis 12:30 Uhr und Sonntag von 10 bis 12 Uhr");
  EXPECT_EQ(SpokenOpeningHours(tenancy::WeeklyHours{}), "");
}

TEST(SpeechOffer, Branches) {
  tenancy::Branch mitte;
  mitte.id = tenancy::BranchId(10);
  mitte.name = "Mitte";
  mitte.address = "Friedrichstraße 1, Berlin";
  mitte.business_hours = WeekdaysAndSaturday();
  tenancy::Branch nord;
  nord.id = tenancy::BranchId(11);
  nord.name = "Nord";
  booking::BranchesOutcome outcome{{mitte, nord}, tenancy::BranchId(10)};
  auto a = SpeakBranches(outcome);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Unsere Standorte: Mitte, Friedrichstraße 1, Berlin, hat Montag bis Freitag von 9 bis "
            "18 Uhr und Samstag von 9 bis 13 Uhr geöffnet. Nord.");
  ASSERT_EQ(a.data["branches"].size(), 2u);
  EXPECT_EQ(a.data["branches"][0]["opening_hours"]["Mo"], "09:00–18:00");
  EXPECT_EQ(a.data["branches"][0]["is_callers_branch"], true);
  EXPECT_EQ(a.data["branches"][1]["is_callers_branch"], false);
  auto one = SpeakBranches(booking::BranchesOutcome{{nord}, std::nullopt});
  EXPECT_EQ(one.message, "Unser Standort: Nord.");
  auto none = SpeakBranches(booking::BranchesOutcome{});
  EXPECT_FALSE(none.success);
  EXPECT_EQ(none.message, "Derzeit ist kein Standort eingetragen.");
}

// ---- book-appointment ----

booking::BookOutcome Booking(decltype(booking::BookOutcome::result) result) {
  booking::BookOutcome out;
  tenancy::Service s;
  s.id = tenancy::ServiceId(100);
  s.name = "Beratung";
  out.service = s;
  out.as_of = kNow;
  out.result = std::move(result);
  return out;
}

TEST(SpeechBooking, BookedHeldAndRetried) {
  auto appt = Listed(801, Berlin(11, 27, 10)).appointment;
  auto booked =
      SpeakBooking(Booking(booking::book::Booked{appt, "Beratung", "Mitte", false}), kZone);
  EXPECT_TRUE(booked.success);
  EXPECT_EQ(booked.message,
            "Ihr Termin ist gebucht: Beratung am Freitag, 27. November, um 10 Uhr in Mitte.");
  EXPECT_EQ(booked.data["appointment_id"], 801);
  EXPECT_EQ(booked.data["status"], "booked");
  EXPECT_EQ(booked.data["booking_uid"], "uid-801");
  EXPECT_EQ(booked.data["start"], "2026-11-27T09:00:00.000Z");

  auto replay = SpeakBooking(Booking(booking::book::Booked{appt, "", "", true}), kZone);
  EXPECT_EQ(replay.message, "Ihr Termin am Freitag, 27. November, um 10 Uhr ist gebucht.");
  EXPECT_EQ(replay.data["idempotent_replay"], true);

  appt.status = std::string(booking::kPendingSync);
  appt.calcom_booking_uid.reset();
  auto held = SpeakBooking(Booking(booking::book::Booked{appt, "Beratung", "Mitte", false}), kZone);
  EXPECT_TRUE(held.success);
  EXPECT_EQ(held.message,
            "Ich habe Ihren Terminwunsch für Beratung am Freitag, 27. November, um 10 Uhr "
            "aufgenommen. Die Bestätigung erhalten Sie in Kürze.");
  EXPECT_EQ(held.data["status"], "pending_sync");
  EXPECT_FALSE(held.data.contains("booking_uid"));
}

TEST(SpeechBooking, ARequestIsNeverSpokenAsBooked) {
  auto appt = Listed(801, Berlin(11, 27, 10), "Beratung", booking::kRequested).appointment;
  auto a = SpeakBooking(Booking(booking::book::Booked{appt, "Beratung", "Mitte", false}), kZone);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Ihr Terminwunsch für Beratung am Freitag, 27. November, um 10 Uhr in Mitte ist "
            "angefragt; die Praxis bestätigt ihn noch.");
  EXPECT_EQ(a.data["status"], "requested");
  auto replay = SpeakBooking(Booking(booking::book::Booked{appt, "", "", true}), kZone);
  EXPECT_EQ(replay.message,
            "Ihr Terminwunsch am Freitag, 27. November, um 10 Uhr ist angefragt; die Praxis "
            "bestätigt ihn noch.");
  auto series = SpeakBooking(Booking(booking::book::SeriesRefused{}), kZone);
  EXPECT_FALSE(series.success);
  EXPECT_EQ(series.data["reason"], "recurring_event_type");
  EXPECT_EQ(series.message,
            "Für Beratung kann ich telefonisch keine Serientermine vergeben. Ich kann aber gern "
            "einen Rückruf notieren, dann meldet sich das Team bei Ihnen.");
}

TEST(SpeechAppointments, RequestsAndRejectedRequests) {
  booking::AppointmentsOutcome outcome;
  outcome.as_of = kNow;
  outcome.known_caller = true;
  outcome.appointments = {Listed(700, Berlin(12, 1, 10), "Beratung", booking::kRequested)};
  outcome.rejected = {Listed(702, Berlin(12, 3, 9), "Beratung", booking::kRejected)};
  auto a = SpeakAppointments(outcome);
  EXPECT_EQ(a.message,
            "Ihre kommenden Termine: Beratung am Dienstag, 1. Dezember, um 10 Uhr (angefragt, die "
            "Praxis bestätigt ihn noch). Ihr Terminwunsch am Donnerstag, 3. Dezember, um 9 Uhr "
            "wurde von der Praxis leider abgelehnt.");
  ASSERT_EQ(a.data["appointments"].size(), 2u);
  EXPECT_EQ(a.data["appointments"][1]["status"], "rejected");
}

TEST(SpeechReschedule, AMovedRequestIsARequestAgain) {
  auto to = Listed(801, Berlin(12, 2, 11), "Beratung", booking::kRequested).appointment;
  auto a = SpeakReschedule(Reschedule(ch::Moved{Listed(700, Berlin(12, 1, 10)), to, 0}), kZone);
  EXPECT_EQ(a.message,
            "Ihr Terminwunsch am Mittwoch, 2. Dezember, um 11 Uhr ist angefragt; die Praxis "
            "bestätigt ihn noch.");
  EXPECT_EQ(a.data["status"], "requested");
}

TEST(SpeechBooking, NotFreeSaysWhyAndOffersInTimeOrder) {
  av::Taken taken{Berlin(11, 27, 10),
                  {booking::Alternative{booking::Slot{Berlin(11, 27, 11), Berlin(11, 27, 11, 30)},
                                        booking::AlternativeKind::kNearby},
                   booking::Alternative{booking::Slot{Berlin(11, 30, 10), Berlin(11, 30, 10, 30)},
                                        booking::AlternativeKind::kNextWorkday}},
                  av::NotFree::kBooked};
  auto a = SpeakBooking(Booking(booking::book::NotFree{taken}), kZone);
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.message,
            "Freitag, 27. November, um 10 Uhr ist leider schon vergeben. Ich kann Ihnen anbieten: "
            "Freitag, 27. November, um 11 Uhr oder Montag, 30. November, um 10 Uhr.");
  EXPECT_EQ(a.data["reason"], "booked");
  EXPECT_EQ(a.data["available"], false);
  EXPECT_EQ(a.data["alternatives"].size(), 2u);

  auto just = SpeakBooking(
      Booking(booking::book::NotFree{av::Taken{Berlin(11, 27, 10), {}, av::NotFree::kBooked},
                                     booking::book::CalendarSaid::kJustTaken}),
      kZone);
  EXPECT_EQ(just.message,
            "Freitag, 27. November, um 10 Uhr wurde gerade vergeben. Leider habe ich keine "
            "Alternative gefunden.");
  av::Taken late{Berlin(11, 27, 19), {}, av::NotFree::kOutsideHours};
  late.hours = tenancy::OpeningHours{540, 1080};
  EXPECT_EQ(SpeakBooking(Booking(booking::book::NotFree{late}), kZone).message,
            "Um 19 Uhr haben wir nicht geöffnet; am Freitag, 27. November, sind wir von 9 bis 18 "
            "Uhr da. Leider habe ich keine Alternative gefunden.");
}

TEST(SpeechBooking, MissingNotBookedAndFailed) {
  auto no_day =
      SpeakBooking(Booking(av::NeedsInput{av::Field::kDate, av::Problem::kNotSaid}), kZone);
  EXPECT_EQ(no_day.message, "An welchem Tag möchten Sie kommen?");
  EXPECT_EQ(no_day.data["missing"], json::array({"date"}));
  auto no_name =
      SpeakBooking(Booking(av::NeedsInput{av::Field::kName, av::Problem::kNotSaid}), kZone);
  EXPECT_EQ(no_name.message, "Auf welchen Namen darf ich den Termin eintragen?");
  auto past = SpeakBooking(Booking(av::NeedsInput{av::Field::kDate, av::Problem::kPast,
                                                  booking::CalendarDay{2026, 11, 25}}),
                           kZone);
  EXPECT_EQ(past.data["reason"], "past");
  auto not_booked = SpeakBooking(Booking(booking::book::NotBooked{}), kZone);
  EXPECT_FALSE(not_booked.success);
  EXPECT_EQ(not_booked.message, "Dieser Termin konnte leider nicht gebucht werden.");
  EXPECT_EQ(not_booked.data["idempotent_replay"], true);
  // Let go while the calendar booked it: the same words, and no replay.
  auto let_go = SpeakBooking(Booking(booking::book::NotBooked{false}), kZone);
  EXPECT_EQ(let_go.message, "Dieser Termin konnte leider nicht gebucht werden.");
  EXPECT_EQ(let_go.data["idempotent_replay"], false);
  auto failed =
      SpeakBooking(Booking(booking::book::Failed{booking::CallbackRequestId(300)}), kZone);
  EXPECT_FALSE(failed.success);
  EXPECT_EQ(failed.data["callback_request_id"], 300);
  EXPECT_NE(failed.message.find("Rückruf notiert"), std::string::npos) << failed.message;
  auto unknown =
      SpeakBooking(Booking(av::ServiceUnknown{"Haarschnitt", {"Beratung", "Nachsorge"}}), kZone);
  EXPECT_EQ(unknown.message,
            "Die Leistung \"Haarschnitt\" bieten wir hier nicht an. Wir bieten Beratung und "
            "Nachsorge an.");
}

// ---- collect-customer-info ----

TEST(SpeechContact, NotedOrWhatToAsk) {
  tenancy::Customer c;
  c.id = tenancy::CustomerId(500);
  c.name = "Jürgen Weiß";
  c.phone_e164 = "+4915112345678";
  auto stored = SpeakContact({booking::contact::Noted{c, c.name, "", "+4917099999999"}});
  EXPECT_TRUE(stored.success);
  EXPECT_EQ(stored.message, "Vielen Dank, Jürgen Weiß. Ich habe Ihre Daten notiert.");
  EXPECT_EQ(
      stored.data["customer"],
      (json{{"id", 500}, {"name", "Jürgen Weiß"}, {"phone", "+4915112345678"}, {"email", ""}}));
  EXPECT_EQ(stored.data["contact_phone"], "+4917099999999");
  auto echoed =
      SpeakContact({booking::contact::Noted{std::nullopt, "Anna", "a@b.de", "+4915117654321"}});
  EXPECT_EQ(echoed.message, "Vielen Dank, Anna. Ich habe Ihre Kontaktdaten notiert.");
  EXPECT_EQ(echoed.data["customer"], (json{{"name", "Anna"}, {"email", "a@b.de"}}));
  using booking::contact::Field;
  EXPECT_EQ(SpeakContact({booking::contact::NeedsInput{Field::kEmail, true}}).data["missing"],
            json::array({"email"}));
  EXPECT_EQ(SpeakContact({booking::contact::NeedsInput{Field::kPhone, false}}).message,
            "Unter welcher Telefonnummer können wir Sie erreichen?");
  EXPECT_EQ(SpeakContact({booking::contact::NeedsInput{Field::kPhone, true}}).message,
            "Die Telefonnummer habe ich nicht verstanden. Bitte nennen Sie sie noch einmal.");
  EXPECT_EQ(SpeakContact({booking::contact::NeedsInput{Field::kName, false}}).message,
            "Wie ist Ihr Name?");
}

// ---- query-customer-appointments ----

TEST(SpeechAppointments, ListsInOrderAndMarksUnconfirmed) {
  booking::AppointmentsOutcome outcome;
  outcome.as_of = kNow;
  outcome.known_caller = true;
  outcome.appointments = {Listed(700, Berlin(12, 1, 10)),
                          Listed(701, Berlin(12, 4, 14, 30), "", booking::kPendingSync)};
  auto a = SpeakAppointments(outcome);
  EXPECT_TRUE(a.success);
  EXPECT_EQ(a.message,
            "Ihre kommenden Termine: Beratung am Dienstag, 1. Dezember, um 10 Uhr und Freitag, "
            "4. Dezember, um 14:30 Uhr (Bestätigung folgt).");
  ASSERT_EQ(a.data["appointments"].size(), 2u);
  EXPECT_EQ(a.data["appointments"][0], (json{{"id", 700},
                                             {"service", "Beratung"},
                                             {"start", "2026-12-01T09:00:00.000Z"},
                                             {"spoken", "Dienstag, 1. Dezember, um 10 Uhr"},
                                             {"status", "booked"}}));
}

TEST(SpeechAppointments, NoneOrNoCaller) {
  booking::AppointmentsOutcome none{kNow, false, true, {}};
  EXPECT_EQ(SpeakAppointments(none).message, "Sie haben derzeit keine kommenden Termine bei uns.");
  EXPECT_FALSE(SpeakAppointments(none).success);
  booking::AppointmentsOutcome withheld{kNow, true, false, {}};
  EXPECT_EQ(SpeakAppointments(withheld).message,
            "Ihre Nummer ist unterdrückt, daher kann ich Ihre Termine nicht finden.");
  booking::AppointmentsOutcome unknown{kNow, false, false, {}};
  EXPECT_EQ(SpeakAppointments(unknown).message,
            "Unter Ihrer Telefonnummer sind keine Termine eingetragen.");
}

// ---- cancel-appointment ----

TEST(SpeechCancel, CancelledWithAndWithoutFee) {
  auto free =
      SpeakCancel(Cancel(ch::Cancelled{Listed(700, Berlin(12, 1, 10)).appointment, 0}), kZone);
  EXPECT_TRUE(free.success);
  EXPECT_EQ(free.message, "Ihr Termin am Dienstag, 1. Dezember, um 10 Uhr ist storniert.");
  EXPECT_EQ(free.data["appointment_id"], 700);
  EXPECT_EQ(free.data["fee_cents"], 0);
  auto fee =
      SpeakCancel(Cancel(ch::Cancelled{Listed(700, Berlin(12, 1, 10)).appointment, 1500}), kZone);
  EXPECT_EQ(fee.message,
            "Ihr Termin am Dienstag, 1. Dezember, um 10 Uhr ist storniert. Wegen der kurzfristigen "
            "Absage fällt eine Gebühr von 15 Euro an.");
}

TEST(SpeechCancel, WhichAppointmentAndNotFound) {
  auto many = SpeakCancel(
      Cancel(ch::Ambiguous{{Listed(701, Berlin(11, 27, 15)), Listed(700, Berlin(12, 1, 10))}}),
      kZone);
  EXPECT_FALSE(many.success);
  EXPECT_EQ(many.message,
            "Sie haben mehrere Termine: Beratung am Freitag, 27. November, um 15 Uhr oder Beratung "
            "am Dienstag, 1. Dezember, um 10 Uhr. Welchen meinen Sie?");
  EXPECT_EQ(many.data["missing"], json::array({"appointment_id"}));
  EXPECT_EQ(many.data["appointments"][0]["id"], 701);

  auto that_day = SpeakCancel(
      Cancel(ch::NotFound{ch::Missing::kNoneUpcoming, booking::CalendarDay{2026, 11, 30}}), kZone);
  EXPECT_EQ(that_day.message,
            "Am Montag, 30. November, finde ich keinen Termin unter Ihrer Telefonnummer.");
  EXPECT_EQ(that_day.data["reason"], "none_that_day");
  EXPECT_EQ(SpeakCancel(Cancel(ch::NotFound{ch::Missing::kNoneUpcoming}), kZone).message,
            "Ich finde keinen kommenden Termin unter Ihrer Telefonnummer.");
  EXPECT_EQ(SpeakCancel(Cancel(ch::NotFound{ch::Missing::kNoCustomer}), kZone).message,
            "Unter Ihrer Telefonnummer finde ich keinen Termin.");
  EXPECT_EQ(SpeakCancel(Cancel(ch::NotFound{ch::Missing::kNotActive}), kZone).message,
            "Dieser Termin ist bereits storniert oder verschoben.");
}

TEST(SpeechCancel, PolicyRefusalsOfferACallbackNotThePractice) {
  booking::PolicyDecision late;
  late.allowed = false;
  late.refusal = booking::PolicyRefusal::kTooLate;
  late.notice_hours = 24;
  auto a = SpeakCancel(Cancel(ch::Refused{late}), kZone);
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.message,
            "Änderungen sind nur bis 24 Stunden vor dem Termin möglich. Ich kann aber gern einen "
            "Rückruf notieren, dann meldet sich das Team bei Ihnen.");
  EXPECT_EQ(a.data["reason"], "too_late");
  EXPECT_EQ(a.data["policy"], "denied");
  booking::PolicyDecision limit = late;
  limit.refusal = booking::PolicyRefusal::kMonthlyLimit;
  EXPECT_EQ(SpeakCancel(Cancel(ch::Refused{limit}), kZone).data["reason"], "monthly_limit");
  booking::PolicyDecision started = late;
  started.refusal = booking::PolicyRefusal::kStarted;
  EXPECT_EQ(SpeakCancel(Cancel(ch::Refused{started}), kZone).data["reason"], "started");
  for (const auto& d : {late, limit, started}) {
    const auto text = SpeakCancel(Cancel(ch::Refused{d}), kZone).message;
    EXPECT_EQ(text.find("wenden Sie sich"), std::string::npos) << text;
  }
}

TEST(SpeechCancel, WithheldCallerAndOutage) {
  auto noted = SpeakCancel(Cancel(ch::CallbackNoted{booking::CallbackRequestId(300)}), kZone);
  EXPECT_FALSE(noted.success);
  EXPECT_EQ(noted.data["callback_request_id"], 300);
  EXPECT_EQ(noted.data["reason"], "withheld");
  auto down = SpeakCancel(Cancel(ch::CalendarUnavailable{}), kZone);
  EXPECT_FALSE(down.success);
  EXPECT_EQ(down.data["reason"], "calendar_unavailable");
}

// ---- reschedule-appointment ----

TEST(SpeechReschedule, ProposeThenMoved) {
  const auto from = Listed(700, Berlin(12, 1, 10));
  auto proposal = SpeakReschedule(
      Reschedule(ch::Proposed{from, booking::Slot{Berlin(12, 2, 11), Berlin(12, 2, 11, 30)}, 0}),
      kZone);
  EXPECT_TRUE(proposal.success);
  EXPECT_EQ(proposal.message,
            "Ich kann Ihren Termin am Dienstag, 1. Dezember, um 10 Uhr auf Mittwoch, 2. Dezember, "
            "um 11 Uhr verschieben. Soll ich das machen?");
  EXPECT_EQ(proposal.data["needs_confirmation"], true);
  EXPECT_EQ(proposal.data["appointment_id"], 700);
  EXPECT_EQ(proposal.data["new_start"], "2026-12-02T10:00:00.000Z");

  auto to = Listed(801, Berlin(12, 2, 11)).appointment;
  auto moved = SpeakReschedule(Reschedule(ch::Moved{from, to, 1500}), kZone);
  EXPECT_TRUE(moved.success);
  EXPECT_EQ(moved.message,
            "Ihr Termin ist verschoben auf Mittwoch, 2. Dezember, um 11 Uhr. Dafür fällt eine "
            "Gebühr von 15 Euro an.");
  EXPECT_EQ(moved.data["appointment_id"], 801);
  EXPECT_EQ(moved.data["booking_uid"], "uid-801");
}

TEST(SpeechReschedule, ANewTimeNotFreeIsSpokenLikeCheckAvailability) {
  booking::AvailabilityOutcome taken;
  taken.as_of = kNow;
  taken.result = av::Taken{Berlin(12, 6, 11), {}, av::NotFree::kClosedDay};
  auto a = SpeakReschedule(Reschedule(ch::NewTimeNotFree{taken}), kZone);
  EXPECT_FALSE(a.success);
  EXPECT_EQ(a.data["reason"], "closed");
  EXPECT_EQ(a.message.rfind("Am Sonntag, 6. Dezember, haben wir geschlossen.", 0), 0u) << a.message;

  booking::AvailabilityOutcome no_time = taken;
  no_time.result = av::NeedsInput{av::Field::kTime, av::Problem::kBadTime};
  auto bad_time = SpeakReschedule(Reschedule(ch::NewTimeNotFree{no_time}), kZone);
  EXPECT_EQ(bad_time.data["missing"], json::array({"new_time"}));
  EXPECT_EQ(bad_time.data["reason"], "bad_time");

  booking::AvailabilityOutcome no_day = taken;
  no_day.result = av::NeedsInput{av::Field::kDate, av::Problem::kNotSaid};
  auto ask_day = SpeakReschedule(Reschedule(ch::NewTimeNotFree{no_day}), kZone);
  EXPECT_EQ(ask_day.message, "Auf welchen Tag möchten Sie den Termin legen?");
  EXPECT_EQ(ask_day.data["missing"], json::array({"new_date"}));

  booking::AvailabilityOutcome day = taken;
  day.result = av::DayList{booking::CalendarDay{2026, 12, 2},
                           std::nullopt,
                           {booking::Slot{Berlin(12, 2, 9), Berlin(12, 2, 9, 30)},
                            booking::Slot{Berlin(12, 2, 11), Berlin(12, 2, 11, 30)}}};
  auto list = SpeakReschedule(Reschedule(ch::NewTimeNotFree{day}), kZone);
  EXPECT_FALSE(list.success);  // nothing moved yet
  EXPECT_EQ(list.data["missing"], json::array({"new_time"}));
  EXPECT_EQ(list.message,
            "Am Mittwoch, 2. Dezember, sind um 9 oder 11 Uhr Termine frei. Welche Uhrzeit passt "
            "Ihnen?");
}

TEST(SpeechReschedule, NotPossibleSaysWhy) {
  EXPECT_EQ(SpeakReschedule(Reschedule(ch::NotMovable{}), kZone).data["reason"], "not_movable");
  EXPECT_EQ(SpeakReschedule(Reschedule(ch::StillConfirming{Listed(700, Berlin(12, 1, 10))}), kZone)
                .message,
            "Dieser Termin wird gerade noch bestätigt; bitte verschieben Sie ihn später.");
  auto just = SpeakReschedule(Reschedule(ch::JustTaken{Berlin(12, 2, 11)}), kZone);
  EXPECT_FALSE(just.success);
  EXPECT_EQ(just.message,
            "Mittwoch, 2. Dezember, um 11 Uhr wurde gerade vergeben. Soll ich nach einer anderen "
            "Zeit sehen?");
  EXPECT_EQ(SpeakReschedule(Reschedule(ch::CalendarUnavailable{}), kZone).data["reason"],
            "calendar_unavailable");
}

}  // namespace
}  // namespace callgate::agent
