// BookingService's use cases, one test per outcome, against the in-memory two-company world
// (booking/testing/in_memory.hpp) and its fake clock: Thursday 26.11.2026 10:00 Berlin; the
// calendar has half-hour slots 09:00–17:00 Berlin every day; the branch opens Mo–Fr 9–18, Sa 9–13.
#include "booking/booking_service.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

using nlohmann::json;
using tenancy::CompanyId;

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, "Europe/Berlin");
}

class BookingServiceTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  std::vector<CompanyId> writes;

  void SetUp() override {
    world.scope.on_write = [this](CompanyId id) { writes.push_back(id); };
  }

  CallContext Caller() { return *world.contexts.Resolve("call_fuzz_1", std::nullopt); }
  CallContext Withheld() {
    CallContext ctx = Caller();
    ctx.caller_e164.clear();
    ctx.customer.reset();
    return ctx;
  }
  static SlotWish Wish(std::string service, std::string date, std::string time = "") {
    return SlotWish{ServiceChoice{std::move(service), ""}, std::move(date), std::move(time)};
  }
  // A booking made while Cal.com is down: kept and queued for the pending-booking job; Cal.com
  // answers again afterwards.
  void QueueDuringAnOutage() {
    world.calendar.create_error = Error{ErrorCode::kUnavailable, "down"};
    ASSERT_TRUE(world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "A"), "k1"));
    ASSERT_EQ(world.jobs.enqueued.size(), 1u);
    world.calendar.create_error.reset();
  }
  static AppointmentRequest Book(std::string date, std::string time, std::string name = "") {
    AppointmentRequest r;
    r.wish = Wish("Beratung", std::move(date), std::move(time));
    r.contact.name = std::move(name);
    return r;
  }
};

// ---- book-appointment ----

TEST_F(BookingServiceTest, BookingBooksAtTheCalendarAndStoresIt) {
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->success) << a->message;
  ASSERT_EQ(world.calendar.created.size(), 1u);
  const auto& sent = world.calendar.created[0];
  EXPECT_EQ(sent.event_type_id, 1000);
  EXPECT_EQ(sent.start, Berlin(11, 27, 10));
  EXPECT_EQ(sent.attendee.phone_e164, "+4915112345678");  // the delivered number
  const auto& stored = world.appointments.rows.back();
  EXPECT_EQ(stored.status, kBooked);
  EXPECT_EQ(stored.idempotency_key, "k1");
  for (CompanyId id : writes) EXPECT_EQ(id, CompanyId(1));
}

TEST_F(BookingServiceTest, BookingSendsTheNearestLanguageCalcomAccepts) {
  CallContext ctx = Caller();
  ctx.company.language = "de-AT";
  ASSERT_TRUE(world.booking.BookAppointment(ctx, Book("morgen", "10 Uhr", "A"), "k1"));
  ctx.company.language = "es-MX";
  ASSERT_TRUE(world.booking.BookAppointment(ctx, Book("morgen", "11 Uhr", "B"), "k2"));
  ASSERT_EQ(world.calendar.created.size(), 2u);
  EXPECT_EQ(world.calendar.created[0].attendee.language, "de");
  EXPECT_EQ(world.calendar.created[1].attendee.language, "es-419");
}

TEST_F(BookingServiceTest, BookingATakenSlotOffersAlternatives) {
  ASSERT_TRUE(world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1"));
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "B"), "k2");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success);
  EXPECT_EQ(a->data["available"], false);
  EXPECT_NE(a->message.find("schon vergeben"), std::string::npos) << a->message;
  EXPECT_EQ(world.calendar.created.size(), 1u);
}

TEST_F(BookingServiceTest, BookingDuringAnOutageIsKeptAndQueued) {
  world.calendar.create_error = Error{ErrorCode::kUnavailable, "down"};
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "A"), "k1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->success) << a->message;
  EXPECT_EQ(a->data["status"], kPendingSync);
  ASSERT_EQ(world.jobs.enqueued.size(), 1u);
  EXPECT_EQ(world.jobs.enqueued[0].type, kPendingBookingJob);
  EXPECT_EQ(world.appointments.rows.back().status, kPendingSync);
}

TEST_F(BookingServiceTest, BookingNeedsATime) {
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "", "A"), "k1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success);
  EXPECT_EQ(a->data["missing"], json::array({"time"}));
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(BookingServiceTest, BookingWhenClosedOffersAlternatives) {
  auto a = world.booking.BookAppointment(Caller(), Book("Sonntag", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success);
  EXPECT_NE(a->message.find("geschlossen"), std::string::npos) << a->message;
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(BookingServiceTest, BookingOfAWithheldCallerAdoptsNoCustomer) {
  AppointmentRequest r = Book("morgen", "12 Uhr", "Anna Anonym");
  r.contact.phone = "0151 17654321";
  auto a = world.booking.BookAppointment(Withheld(), r, "k1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->success) << a->message;
  EXPECT_FALSE(world.appointments.rows.back().customer_id);
  ASSERT_EQ(world.calendar.created.size(), 1u);
  EXPECT_EQ(world.calendar.created[0].attendee.phone_e164, "+4915117654321");
  for (const auto& c : world.customers.rows) EXPECT_NE(c.phone_e164, "+4915117654321");
}

// ---- collect-customer-info ----

TEST_F(BookingServiceTest, ASpokenNumberIsAContactNumberOnly) {
  std::optional<tenancy::Customer> updated;
  auto a = world.booking.CollectCustomerInfo(
      Caller(), ContactDetails{"Jürgen Weiß", "", "+4917099999999"}, &updated);
  ASSERT_TRUE(a);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->phone_e164, "+4915112345678");  // still the delivered number
  EXPECT_EQ(a->data["contact_phone"], "+4917099999999");
  auto bad_mail = world.booking.CollectCustomerInfo(Caller(), ContactDetails{"", "kein-at", ""});
  ASSERT_TRUE(bad_mail);
  EXPECT_EQ(bad_mail->data["missing"], json::array({"email"}));
}

// ---- cancel, reschedule, query ----

TEST_F(BookingServiceTest, CancelCancelsTheCallersAppointment) {
  CancelRequest r;
  r.reason = "krank";
  auto a = world.booking.CancelAppointment(Caller(), r);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->success) << a->message;
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
  EXPECT_EQ(world.appointments.rows[0].status, kCancelled);
  EXPECT_EQ(a->data["fee_cents"], 0);
}

TEST_F(BookingServiceTest, CancelForAWithheldCallerBecomesACallbackRequest) {
  CancelRequest r;
  r.contact.name = "Anna";
  r.reason = "krank";
  auto a = world.booking.CancelAppointment(Withheld(), r);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success);
  ASSERT_EQ(world.callbacks.rows.size(), 1u);
  EXPECT_EQ(world.callbacks.rows[0].reason, "Stornierung gewünscht: krank");
  EXPECT_TRUE(world.calendar.cancelled.empty());
}

TEST_F(BookingServiceTest, RescheduleProposesThenMoves) {
  RescheduleRequest r;
  r.new_date = "Mittwoch";
  r.new_time = "11 Uhr";
  auto proposal = world.booking.RescheduleAppointment(Caller(), r);
  ASSERT_TRUE(proposal);
  EXPECT_EQ(proposal->data["needs_confirmation"], true) << proposal->message;
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
  r.confirm = true;
  auto moved = world.booking.RescheduleAppointment(Caller(), r);
  ASSERT_TRUE(moved);
  EXPECT_TRUE(moved->success) << moved->message;
  EXPECT_NE(world.appointments.rows[0].status, kBooked);  // the old one is released
}

TEST_F(BookingServiceTest, QueryListsTheCallersUpcomingAppointments) {
  auto a = world.booking.QueryCustomerAppointments(Caller());
  ASSERT_TRUE(a);
  ASSERT_EQ(a->data["appointments"].size(), 1u);
  EXPECT_EQ(a->data["appointments"][0]["id"], 700);
  auto none = world.booking.QueryCustomerAppointments(Withheld());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->data["appointments"].empty());
  EXPECT_NE(none->message.find("unterdrückt"), std::string::npos);
}

// ---- event types that require confirmation (Cal.com answers "pending") ----

TEST_F(BookingServiceTest, APendingBookingIsARequestNeverSpokenAsBooked) {
  world.calendar.answer_status = "pending";
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->success) << a->message;
  EXPECT_EQ(a->data["status"], "requested");
  EXPECT_NE(a->message.find("angefragt"), std::string::npos) << a->message;
  EXPECT_EQ(a->message.find("gebucht"), std::string::npos) << a->message;
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
  EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, "uid-1");
  // A retry of the same tool call says the same.
  auto replay = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->data["status"], "requested");
  EXPECT_NE(replay->message.find("angefragt"), std::string::npos) << replay->message;
  EXPECT_EQ(world.calendar.created.size(), 1u);
  // The request holds its slot.
  auto second = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "B"), "k2");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->success);
  EXPECT_NE(second->message.find("schon vergeben"), std::string::npos) << second->message;
}

TEST_F(BookingServiceTest, AnAcceptedBookingSaysBookedWithItsStatus) {
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->data["status"], "booked");
  EXPECT_NE(a->message.find("gebucht"), std::string::npos) << a->message;
}

TEST_F(BookingServiceTest, ABookingTheCalendarRejectsAtOnceOffersAlternatives) {
  world.calendar.answer_status = "rejected";
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success) << a->message;
  EXPECT_EQ(a->message.find("ist gebucht"), std::string::npos) << a->message;
  EXPECT_FALSE(world.appointments.rows.back().HoldsSlot());
}

TEST_F(BookingServiceTest, APendingBookingCompletedByTheJobIsARequest) {
  QueueDuringAnOutage();
  world.calendar.answer_status = "pending";
  ASSERT_TRUE(world.booking.RunPendingBooking(world.jobs.enqueued[0].payload_json));
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
}

TEST_F(BookingServiceTest, MovingARequestSendsTheCallerAsReschedulerAndStaysARequest) {
  world.customers.rows[0].email = "juergen@example.org";
  world.appointments.rows[0].status = std::string(kRequested);
  world.calendar.answer_status = "pending";
  RescheduleRequest r;
  r.new_date = "Mittwoch";
  r.new_time = "11 Uhr";
  r.confirm = true;
  auto moved = world.booking.RescheduleAppointment(Caller(), r);
  ASSERT_TRUE(moved);
  EXPECT_TRUE(moved->success) << moved->message;
  EXPECT_EQ(moved->data["status"], "requested");
  EXPECT_NE(moved->message.find("angefragt"), std::string::npos) << moved->message;
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].rescheduled_by, "juergen@example.org");
  EXPECT_EQ(world.appointments.rows[0].status, kRescheduled);
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
}

TEST_F(BookingServiceTest, QuerySaysWhichRequestsAwaitThePracticeAndWhichWereRejected) {
  world.appointments.rows[0].status = std::string(kRequested);
  Appointment rejected = world.appointments.rows[0];
  rejected.id = AppointmentId(900);
  rejected.status = std::string(kRejected);
  rejected.starts_at += std::chrono::hours(24);
  rejected.calcom_booking_uid = "uid-rejected";
  world.appointments.rows.push_back(rejected);
  auto a = world.booking.QueryCustomerAppointments(Caller());
  ASSERT_TRUE(a);
  ASSERT_EQ(a->data["appointments"].size(), 2u);
  EXPECT_EQ(a->data["appointments"][0]["status"], "requested");
  EXPECT_EQ(a->data["appointments"][1]["status"], "rejected");
  EXPECT_NE(a->message.find("die Praxis bestätigt ihn noch"), std::string::npos) << a->message;
  EXPECT_NE(a->message.find("abgelehnt"), std::string::npos) << a->message;
  // A rejected request cannot be cancelled or moved: the caller's one appointment is the other.
  CancelRequest cancel;
  auto cancelled = world.booking.CancelAppointment(Caller(), cancel);
  ASSERT_TRUE(cancelled);
  EXPECT_TRUE(cancelled->success) << cancelled->message;
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
}

// ---- seated event types (the create answers the attendee's seatUid) ----

TEST_F(BookingServiceTest, ASeatIsStoredAndCancelledAlone) {
  world.calendar.seated = true;
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->success) << a->message;
  const Appointment booked = world.appointments.rows.back();
  EXPECT_EQ(booked.calcom_seat_uid, "seat-1");
  CancelRequest r;
  r.appointment.id = std::to_string(booked.id.value);
  auto cancelled = world.booking.CancelAppointment(Caller(), r);
  ASSERT_TRUE(cancelled);
  EXPECT_TRUE(cancelled->success) << cancelled->message;
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].seat_uid, "seat-1");  // the other attendees keep theirs
}

TEST_F(BookingServiceTest, AMovedSeatKeepsTheNewSeat) {
  world.calendar.seated = true;
  world.appointments.rows[0].calcom_seat_uid = "seat-old";
  RescheduleRequest r;
  r.new_date = "Mittwoch";
  r.new_time = "11 Uhr";
  r.confirm = true;
  auto moved = world.booking.RescheduleAppointment(Caller(), r);
  ASSERT_TRUE(moved);
  EXPECT_TRUE(moved->success) << moved->message;
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].seat_uid, "seat-old");
  EXPECT_EQ(world.appointments.rows.back().calcom_seat_uid, "seat-1");
}

// ---- recurring event types (the create answers a series) ----

TEST_F(BookingServiceTest, ASeriesIsRefusedAndCancelledNeverKeptAsItsFirst) {
  world.calendar.occurrences = 4;
  auto a = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->success) << a->message;
  EXPECT_EQ(a->data["reason"], "recurring_event_type");
  EXPECT_NE(a->message.find("keine Serientermine"), std::string::npos) << a->message;
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-1"});
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_TRUE(world.calendar.changes[0].cancel_series);
  EXPECT_FALSE(world.appointments.rows.back().HoldsSlot());
}

TEST_F(BookingServiceTest, ASeriesBookedByThePendingJobIsCancelledWithACallback) {
  QueueDuringAnOutage();
  world.calendar.occurrences = 4;
  ASSERT_TRUE(world.booking.RunPendingBooking(world.jobs.enqueued[0].payload_json));
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_TRUE(world.calendar.changes[0].cancel_series);
  EXPECT_EQ(world.callbacks.rows.size(), 1u);
}

TEST_F(BookingServiceTest, ServiceForResolvesEverySpellingToOneService) {
  const auto ctx = Caller();
  EXPECT_EQ(world.booking.ServiceFor(ctx, {"Beratung", ""}), tenancy::ServiceId(100));
  EXPECT_EQ(world.booking.ServiceFor(ctx, {"erstgespräch", ""}), tenancy::ServiceId(100));
  EXPECT_EQ(world.booking.ServiceFor(ctx, {"", "100"}), tenancy::ServiceId(100));
  EXPECT_FALSE(world.booking.ServiceFor(ctx, {"", "200"}));  // company 2's
  EXPECT_FALSE(world.booking.ServiceFor(ctx, {"Nordlicht-Haarschnitt", ""}));
}

}  // namespace
}  // namespace callgate::booking
