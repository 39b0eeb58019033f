// BookingService's use cases, one test per outcome, against the in-memory two-company world
// (booking/testing/in_memory.hpp) and its fake clock: Thursday 26.11.2026 10:00 Berlin; the
// calendar has half-hour slots 09:00–17:00 Berlin every day; the branch opens Mo–Fr 9–18, Sa 9–13.
#include "booking/booking_service.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

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
    ASSERT_EQ(world.pending.held.size(), 1u);
    world.calendar.create_error.reset();
  }
  // A confirmed move of the caller's appointment to Wednesday 11:00.
  static RescheduleRequest MoveToWednesday11() {
    RescheduleRequest r;
    r.new_date = "Mittwoch";
    r.new_time = "11 Uhr";
    r.confirm = true;
    return r;
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
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(out);
  const auto* booked = std::get_if<book::Booked>(&out->result);
  ASSERT_NE(booked, nullptr);
  EXPECT_FALSE(booked->replay);
  EXPECT_EQ(booked->service, "Beratung");
  EXPECT_EQ(booked->branch, "Mitte");
  EXPECT_EQ(booked->appointment.status, kBooked);
  EXPECT_EQ(booked->appointment.calcom_booking_uid, "uid-1");
  ASSERT_EQ(world.calendar.created.size(), 1u);
  const auto& sent = world.calendar.created[0];
  EXPECT_EQ(sent.event_type_id, 1000);
  EXPECT_EQ(sent.start, Berlin(11, 27, 10));
  EXPECT_EQ(sent.attendee.phone_e164, "+4915112345678");  // the delivered number
  const auto& stored = world.appointments.rows.back();
  // No e-mail given: a placeholder named after the appointment, not after the number.
  EXPECT_EQ(sent.attendee.email,
            "anrufer-" + std::to_string(stored.id.value) + "@callgate.invalid");
  EXPECT_EQ(stored.status, kBooked);
  EXPECT_EQ(stored.idempotency_key, "k1");
  for (CompanyId id : writes) EXPECT_EQ(id, CompanyId(1));
}

TEST_F(BookingServiceTest, ARetryAnswersTheFirstBookingAndBooksNothingMore) {
  ASSERT_TRUE(world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1"));
  auto again = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(again);
  const auto* booked = std::get_if<book::Booked>(&again->result);
  ASSERT_NE(booked, nullptr);
  EXPECT_TRUE(booked->replay);
  EXPECT_EQ(booked->appointment.starts_at, Berlin(11, 27, 10));
  EXPECT_EQ(world.calendar.created.size(), 1u);
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
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "B"), "k2");
  ASSERT_TRUE(out);
  const auto* not_free = std::get_if<book::NotFree>(&out->result);
  ASSERT_NE(not_free, nullptr);
  EXPECT_EQ(not_free->taken.why, availability::NotFree::kBooked);
  EXPECT_EQ(not_free->calendar, book::CalendarSaid::kNothing);
  EXPECT_FALSE(not_free->taken.alternatives.empty());
  EXPECT_EQ(world.calendar.created.size(), 1u);
}

TEST_F(BookingServiceTest, ASlotTakenAtTheCalendarIsReleasedAndSaysSo) {
  world.calendar.create_error = Error{ErrorCode::kConflict, "taken"};
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(out);
  const auto* not_free = std::get_if<book::NotFree>(&out->result);
  ASSERT_NE(not_free, nullptr);
  EXPECT_EQ(not_free->calendar, book::CalendarSaid::kJustTaken);
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
}

TEST_F(BookingServiceTest, BookingDuringAnOutageIsKeptAndQueued) {
  world.calendar.create_error = Error{ErrorCode::kUnavailable, "down"};
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "A"), "k1");
  ASSERT_TRUE(out);
  const auto* held = std::get_if<book::Booked>(&out->result);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->appointment.status, kPendingSync);
  ASSERT_EQ(world.pending.held.size(), 1u);
  EXPECT_EQ(world.pending.held[0].appointment_id, held->appointment.id);
  EXPECT_EQ(world.pending.held[0].company_id, CompanyId(1));
  EXPECT_EQ(world.appointments.rows.back().status, kPendingSync);
}

// A held booking whose job failed for good: the slot is released and the team gets a callback
// with the caller's number. A booking that went through meanwhile is left alone.
TEST_F(BookingServiceTest, AHeldBookingThatFailsForGoodIsReleasedWithACallback) {
  world.calendar.create_error = Error{ErrorCode::kUnavailable, "down"};
  ASSERT_TRUE(world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "Anna"), "k1"));
  ASSERT_EQ(world.pending.held.size(), 1u);
  const auto held = world.pending.held[0];
  ASSERT_TRUE(world.booking.PendingBookingFailed(held, Error{ErrorCode::kUnavailable, "down"}));
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
  ASSERT_EQ(world.callbacks.rows.size(), 1u);
  EXPECT_EQ(world.callbacks.rows[0].phone, "+4915112345678");
  EXPECT_EQ(world.callbacks.rows[0].call_id, world.appointments.rows.back().call_id);
  // Run again (a hook delivered twice): nothing more.
  ASSERT_TRUE(world.booking.PendingBookingFailed(held, Error{ErrorCode::kUnavailable, "down"}));
  EXPECT_EQ(world.callbacks.rows.size(), 1u);
}

// Releasing the slot and noting the callback go together: when the note cannot be written the
// failure is reported (the job stays retryable), never swallowed with the caller forgotten.
TEST_F(BookingServiceTest, AFailedBookingWhoseCallbackCannotBeNotedSaysSo) {
  world.calendar.create_error = Error{ErrorCode::kUnavailable, "down"};
  ASSERT_TRUE(world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "Anna"), "k1"));
  ASSERT_EQ(world.pending.held.size(), 1u);
  world.callbacks.create_error = Error{ErrorCode::kUnavailable, "database down"};
  auto recorded =
      world.booking.PendingBookingFailed(world.pending.held[0], Error{ErrorCode::kTimeout, "t"});
  ASSERT_FALSE(recorded);
  EXPECT_EQ(recorded.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(world.callbacks.rows.empty());
}

TEST_F(BookingServiceTest, ACalendarThatRefusesTheAccountReleasesTheSlotAndNotesACallback) {
  world.calendar.create_error = Error{ErrorCode::kPermissionDenied, "bad key"};
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "Anna"), "k1");
  ASSERT_TRUE(out);
  const auto* failed = std::get_if<book::Failed>(&out->result);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
  ASSERT_EQ(world.callbacks.rows.size(), 1u);
  EXPECT_EQ(world.callbacks.rows[0].id, failed->callback);
  EXPECT_EQ(world.callbacks.rows[0].phone, "+4915112345678");
  EXPECT_EQ(world.callbacks.rows[0].reason.rfind("not booked: ", 0), 0u)
      << "the note is the configured record wording";
  // The job queued with the hold finds the slot released and does nothing.
  ASSERT_EQ(world.pending.held.size(), 1u);
  ASSERT_TRUE(world.booking.RunPendingBooking(world.pending.held[0]));
  EXPECT_TRUE(world.calendar.created.empty());
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
  EXPECT_EQ(world.callbacks.rows.size(), 1u);
}

// What another transaction commits to the held appointment while Cal.com books it: `change`
// runs on its row just before the booking flow reads it locked to write Cal.com's answer.
void BeforeTheWrite(testing::TwoCompanyWorld& world, std::function<void(Appointment&)> change) {
  world.appointments.before_lock = [&world, change = std::move(change)] {
    change(world.appointments.rows.back());
  };
}

// The caller's data erased while Cal.com books their held slot: the erasure stays (no customer
// linked again, not booked), and the booking just made is cancelled at Cal.com again.
TEST_F(BookingServiceTest, ABookingWhoseSlotIsLetGoWhileCalcomBooksItIsCancelledAgain) {
  const auto erased_at = world.clock.Now();
  BeforeTheWrite(world, [&](Appointment& held) {
    held.status = std::string(kCancelled);
    held.customer_id.reset();
    held.notes.clear();
    held.erased_at = erased_at;
  });
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(out) << out.error().message;
  const auto* not_booked = std::get_if<book::NotBooked>(&out->result);
  ASSERT_NE(not_booked, nullptr);
  EXPECT_FALSE(not_booked->replay);
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-1"});
  const Appointment& row = world.appointments.rows.back();
  EXPECT_EQ(row.status, kCancelled);
  EXPECT_FALSE(row.customer_id);
  EXPECT_FALSE(row.calcom_booking_uid);
  EXPECT_EQ(row.erased_at, erased_at);
}

// Cal.com answers "taken" (the pending-booking job's booking of this very slot) while that job
// recorded its booking: the appointment is booked, and the caller hears it so.
TEST_F(BookingServiceTest, ASlotTakenAtTheCalendarByItsOwnJobIsBooked) {
  world.calendar.create_error = Error{ErrorCode::kConflict, "taken"};
  BeforeTheWrite(world, [](Appointment& held) {
    held.status = std::string(kBooked);
    held.calcom_booking_uid = "uid-by-the-job";
  });
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(out) << out.error().message;
  const auto* booked = std::get_if<book::Booked>(&out->result);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->appointment.calcom_booking_uid, "uid-by-the-job");
  EXPECT_EQ(world.appointments.rows.back().status, kBooked);
}

// A configuration failure for a slot cancelled meanwhile: nothing is written over the cancel,
// and no callback is noted for a booking the caller let go.
TEST_F(BookingServiceTest, AFailedBookingOfASlotLetGoMeanwhileNotesNoCallback) {
  world.calendar.create_error = Error{ErrorCode::kPermissionDenied, "bad key"};
  BeforeTheWrite(world, [&](Appointment& held) {
    held.status = std::string(kCancelled);
    held.cancelled_at = world.clock.Now() - std::chrono::seconds(5);
    held.customer_id.reset();
  });
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "Anna"), "k1");
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_NE(std::get_if<book::NotBooked>(&out->result), nullptr);
  EXPECT_TRUE(world.callbacks.rows.empty());
  EXPECT_EQ(world.appointments.rows.back().cancelled_at,
            world.clock.Now() - std::chrono::seconds(5));
  EXPECT_FALSE(world.appointments.rows.back().customer_id);
}

// Whatever becomes of the call's own request (the process stops, the answer cannot be stored),
// a held slot has its job: it is queued with the hold, before the calendar is asked, and runs
// once the request is long over. After a booking that went through, it finds nothing to do.
TEST_F(BookingServiceTest, EveryHeldSlotHasItsJobBeforeTheCalendarIsAsked) {
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "A"), "k1");
  ASSERT_TRUE(out);
  const auto* booked = std::get_if<book::Booked>(&out->result);
  ASSERT_NE(booked, nullptr);
  EXPECT_EQ(booked->appointment.status, kBooked);
  ASSERT_EQ(world.pending.held.size(), 1u);
  EXPECT_EQ(world.pending.held[0].appointment_id, booked->appointment.id);
  EXPECT_EQ(world.pending.delays[0], testing::TestBookingSettings().pending_job_after);
  ASSERT_EQ(world.calendar.created.size(), 1u);
  // The booking carries the appointment and a check value that only this call can produce.
  const auto& metadata = world.calendar.created[0].metadata;
  EXPECT_EQ(metadata.at("callgate_appointment"), std::to_string(booked->appointment.id.value));
  ASSERT_EQ(metadata.count("callgate_check"), 1u);
  EXPECT_EQ(metadata.at("callgate_check").size(), 32u);
  EXPECT_EQ(metadata.at("callgate_check").find("k1"), std::string::npos);
  ASSERT_TRUE(world.booking.RunPendingBooking(world.pending.held[0]));
  EXPECT_EQ(world.calendar.created.size(), 1u);  // not booked twice
  EXPECT_EQ(world.appointments.rows.back().status, kBooked);
}

// A slot whose job cannot be queued is not held, and the calendar is not asked: nothing may be
// booked that no job would finish. The caller's retry starts afresh.
TEST_F(BookingServiceTest, ASlotWhoseJobCannotBeQueuedNeverReachesTheCalendar) {
  world.pending.enqueue_error = Error{ErrorCode::kUnavailable, "queue down"};
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "11 Uhr", "A"), "k1");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(world.calendar.created.empty());
  EXPECT_TRUE(world.pending.held.empty());
}

TEST_F(BookingServiceTest, BookingNeedsADayATimeAndAName) {
  auto no_time = world.booking.BookAppointment(Caller(), Book("morgen", "", "A"), "k1");
  ASSERT_TRUE(no_time);
  const auto* needs = std::get_if<availability::NeedsInput>(&no_time->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, availability::Field::kTime);
  auto no_day = world.booking.BookAppointment(Caller(), Book("", "10 Uhr", "A"), "k2");
  ASSERT_TRUE(no_day);
  needs = std::get_if<availability::NeedsInput>(&no_day->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, availability::Field::kDate);
  auto past = world.booking.BookAppointment(Caller(), Book("gestern", "10 Uhr", "A"), "k3");
  ASSERT_TRUE(past);
  needs = std::get_if<availability::NeedsInput>(&past->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->problem, availability::Problem::kPast);
  CallContext stranger = Caller();
  stranger.customer.reset();
  auto no_name = world.booking.BookAppointment(stranger, Book("morgen", "10 Uhr", ""), "k4");
  ASSERT_TRUE(no_name);
  needs = std::get_if<availability::NeedsInput>(&no_name->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, availability::Field::kName);
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(BookingServiceTest, BookingAnUnknownServiceNamesTheOffer) {
  AppointmentRequest r = Book("morgen", "10 Uhr", "A");
  r.wish.service.name = "Haarschnitt";
  auto out = world.booking.BookAppointment(Caller(), r, "k1");
  ASSERT_TRUE(out);
  const auto* unknown = std::get_if<availability::ServiceUnknown>(&out->result);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->wanted, "Haarschnitt");
  EXPECT_FALSE(unknown->offered.empty());
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(BookingServiceTest, BookingWhenClosedOrTooSoonOffersAlternatives) {
  auto sunday = world.booking.BookAppointment(Caller(), Book("Sonntag", "10 Uhr", "A"), "k1");
  ASSERT_TRUE(sunday);
  const auto* closed = std::get_if<book::NotFree>(&sunday->result);
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->taken.why, availability::NotFree::kOutsideHours);
  auto now = world.booking.BookAppointment(Caller(), Book("heute", "10 Uhr", "A"), "k2");
  ASSERT_TRUE(now);
  const auto* past = std::get_if<book::NotFree>(&now->result);
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->taken.why, availability::NotFree::kPast);
  EXPECT_TRUE(world.calendar.created.empty());
}

TEST_F(BookingServiceTest, BookingOfAWithheldCallerAdoptsNoCustomer) {
  AppointmentRequest r = Book("morgen", "12 Uhr", "Anna Anonym");
  r.contact.phone = "0151 17654321";
  auto out = world.booking.BookAppointment(Withheld(), r, "k1");
  ASSERT_TRUE(out);
  ASSERT_TRUE(std::holds_alternative<book::Booked>(out->result));
  EXPECT_FALSE(world.appointments.rows.back().customer_id);
  ASSERT_EQ(world.calendar.created.size(), 1u);
  EXPECT_EQ(world.calendar.created[0].attendee.phone_e164, "+4915117654321");
  for (const auto& c : world.customers.rows) EXPECT_NE(c.phone_e164, "+4915117654321");
}

// ---- collect-customer-info ----

TEST_F(BookingServiceTest, ASpokenNumberIsAContactNumberOnly) {
  auto out = world.booking.CollectCustomerInfo(Caller(),
                                               ContactDetails{"Jürgen Weiß", "", "+4917099999999"});
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<contact::Noted>(&out->result);
  ASSERT_NE(noted, nullptr);
  ASSERT_TRUE(noted->customer);
  EXPECT_EQ(noted->customer->phone_e164, "+4915112345678");  // still the delivered number
  EXPECT_EQ(noted->contact_phone, "+4917099999999");
  auto bad_mail = world.booking.CollectCustomerInfo(Caller(), ContactDetails{"", "kein-at", ""});
  ASSERT_TRUE(bad_mail);
  const auto* needs = std::get_if<contact::NeedsInput>(&bad_mail->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, contact::Field::kEmail);
}

TEST_F(BookingServiceTest, AWithheldCallersDetailsAreEchoedNotStored) {
  const auto before = world.customers.rows.size();
  auto no_number = world.booking.CollectCustomerInfo(Withheld(), ContactDetails{"Anna", "", ""});
  ASSERT_TRUE(no_number);
  const auto* needs = std::get_if<contact::NeedsInput>(&no_number->result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, contact::Field::kPhone);
  EXPECT_FALSE(needs->unreadable);
  auto out =
      world.booking.CollectCustomerInfo(Withheld(), ContactDetails{"Anna", "", "0151 17654321"});
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<contact::Noted>(&out->result);
  ASSERT_NE(noted, nullptr);
  EXPECT_FALSE(noted->customer);
  EXPECT_EQ(noted->contact_phone, "+4915117654321");
  EXPECT_EQ(world.customers.rows.size(), before);
}

// ---- event types that require confirmation (Cal.com answers "pending") ----

// The appointment the outcome holds, when it is Booked.
const Appointment* BookedAppointment(const Result<BookOutcome>& out) {
  if (!out) return nullptr;
  const auto* booked = std::get_if<book::Booked>(&out->result);
  return booked == nullptr ? nullptr : &booked->appointment;
}

TEST_F(BookingServiceTest, APendingBookingIsARequestThatHoldsItsSlot) {
  world.calendar.answer_status = "pending";
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  const Appointment* appt = BookedAppointment(out);
  ASSERT_NE(appt, nullptr);
  EXPECT_EQ(appt->status, kRequested);
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
  EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, "uid-1");
  // A retry of the same tool call answers the same request.
  auto replay = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "A"), "k1");
  const Appointment* again = BookedAppointment(replay);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->status, kRequested);
  EXPECT_TRUE(std::get<book::Booked>(replay->result).replay);
  EXPECT_EQ(world.calendar.created.size(), 1u);
  // The request holds its slot.
  auto second = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "B"), "k2");
  ASSERT_TRUE(second);
  const auto* taken = std::get_if<book::NotFree>(&second->result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->taken.why, availability::NotFree::kBooked);
}

TEST_F(BookingServiceTest, ABookingTheCalendarRejectsAtOnceOffersAlternatives) {
  world.calendar.answer_status = "rejected";
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(out);
  const auto* refused = std::get_if<book::NotFree>(&out->result);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->calendar, book::CalendarSaid::kRefused);
  EXPECT_FALSE(world.appointments.rows.back().HoldsSlot());
}

TEST_F(BookingServiceTest, APendingBookingCompletedByTheJobIsARequest) {
  QueueDuringAnOutage();
  world.calendar.answer_status = "pending";
  ASSERT_TRUE(world.booking.RunPendingBooking(world.pending.held[0]));
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
}

TEST_F(BookingServiceTest, MovingARequestSendsTheCallerAsReschedulerAndStaysARequest) {
  world.customers.rows[0].email = "juergen@example.org";
  world.appointments.rows[0].status = std::string(kRequested);
  world.calendar.answer_status = "pending";
  auto moved = world.booking.Changes().Reschedule(Caller(), MoveToWednesday11());
  ASSERT_TRUE(moved);
  const auto* done = std::get_if<changes::Moved>(&moved->result);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->to.status, kRequested);
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].rescheduled_by, "juergen@example.org");
  EXPECT_EQ(world.appointments.rows[0].status, kRescheduled);
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
}

TEST_F(BookingServiceTest, UpcomingSaysWhichRequestsAwaitThePracticeAndWhichWereRejected) {
  world.appointments.rows[0].status = std::string(kRequested);
  Appointment rejected = world.appointments.rows[0];
  rejected.id = AppointmentId(900);
  rejected.status = std::string(kRejected);
  rejected.starts_at += std::chrono::hours(24);
  rejected.calcom_booking_uid = "uid-rejected";
  world.appointments.rows.push_back(rejected);
  auto out = world.booking.Changes().Upcoming(Caller());
  ASSERT_TRUE(out);
  ASSERT_EQ(out->appointments.size(), 1u);
  EXPECT_EQ(out->appointments[0].appointment.status, kRequested);
  ASSERT_EQ(out->rejected.size(), 1u);
  EXPECT_EQ(out->rejected[0].appointment.id, AppointmentId(900));
  // A rejected request cannot be cancelled or moved: the caller's one appointment is the other.
  auto cancelled = world.booking.Changes().Cancel(Caller(), CancelRequest{});
  ASSERT_TRUE(cancelled);
  EXPECT_TRUE(std::holds_alternative<changes::Cancelled>(cancelled->result));
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
}

// ---- seated event types (the create answers the attendee's seatUid) ----

TEST_F(BookingServiceTest, ASeatIsStoredAndCancelledAlone) {
  world.calendar.seated = true;
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_NE(BookedAppointment(out), nullptr);
  const Appointment booked = world.appointments.rows.back();
  EXPECT_EQ(booked.calcom_seat_uid, "seat-1");
  CancelRequest r;
  r.appointment.id = std::to_string(booked.id.value);
  auto cancelled = world.booking.Changes().Cancel(Caller(), r);
  ASSERT_TRUE(cancelled);
  EXPECT_TRUE(std::holds_alternative<changes::Cancelled>(cancelled->result));
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].seat_uid, "seat-1");  // the other attendees keep theirs
}

TEST_F(BookingServiceTest, AMovedSeatKeepsTheNewSeat) {
  world.calendar.seated = true;
  world.appointments.rows[0].calcom_seat_uid = "seat-old";
  auto moved = world.booking.Changes().Reschedule(Caller(), MoveToWednesday11());
  ASSERT_TRUE(moved);
  EXPECT_TRUE(std::holds_alternative<changes::Moved>(moved->result));
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_EQ(world.calendar.changes[0].seat_uid, "seat-old");
  EXPECT_EQ(world.appointments.rows.back().calcom_seat_uid, "seat-1");
}

// ---- recurring event types (the create answers a series) ----

TEST_F(BookingServiceTest, ASeriesIsRefusedAndCancelledNeverKeptAsItsFirst) {
  world.calendar.occurrences = 4;
  auto out = world.booking.BookAppointment(Caller(), Book("morgen", "10 Uhr", "Jürgen Weiß"), "k1");
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<book::SeriesRefused>(out->result));
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-1"});
  ASSERT_EQ(world.calendar.changes.size(), 1u);
  EXPECT_TRUE(world.calendar.changes[0].cancel_series);
  EXPECT_FALSE(world.appointments.rows.back().HoldsSlot());
}

TEST_F(BookingServiceTest, ASeriesBookedByThePendingJobIsCancelledWithACallback) {
  QueueDuringAnOutage();
  world.calendar.occurrences = 4;
  ASSERT_TRUE(world.booking.RunPendingBooking(world.pending.held[0]));
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
