// ChangeService's use cases (query, cancel, reschedule), one test per outcome, against the
// in-memory two-company world (booking/testing/in_memory.hpp) and its fake clock: Thursday
// 26.11.2026 10:00 Berlin; the caller Jürgen Weiß has one appointment (700) on Tuesday 1.12.
// 10:00; the calendar has half-hour slots 09:00–17:00 every day; the branch opens Mo–Fr 9–18,
// Sa 9–13; cancelling within 12 hours costs 15 Euro.
#include "booking/changes.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

using tenancy::CompanyId;

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, "Europe/Berlin");
}

class ChangeServiceTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  ChangeService& changes = world.booking.Changes();

  CallContext Caller() { return *world.contexts.Resolve("call_fuzz_1", std::nullopt); }
  CallContext Withheld() {
    CallContext ctx = Caller();
    ctx.caller_e164.clear();
    ctx.customer.reset();
    return ctx;
  }
  CallContext Stranger() {
    CallContext ctx = Caller();
    ctx.caller_e164 = "+4917612345678";
    ctx.customer.reset();
    return ctx;
  }
  // A second upcoming appointment of the caller, on Friday 27.11. at `hour`.
  AppointmentId AddFriday(int hour) {
    Appointment a = world.appointments.rows[0];
    a.id = AppointmentId();
    a.starts_at = Berlin(11, 27, hour);
    a.ends_at = a.starts_at + std::chrono::minutes(30);
    a.calcom_booking_uid = "uid-friday";
    auto created = world.appointments.Create(CompanyId(1), a);
    EXPECT_TRUE(created);
    return created->id;
  }
  static RescheduleRequest Move(std::string date, std::string time, bool confirm = false) {
    RescheduleRequest r;
    r.new_date = std::move(date);
    r.new_time = std::move(time);
    r.confirm = confirm;
    return r;
  }
};

// ---- query-customer-appointments ----

TEST_F(ChangeServiceTest, UpcomingListsTheCallersAppointmentsInTimeOrder) {
  AddFriday(15);
  auto out = changes.Upcoming(Caller());
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->known_caller);
  ASSERT_EQ(out->appointments.size(), 2u);
  EXPECT_EQ(out->appointments[0].appointment.starts_at, Berlin(11, 27, 15));
  EXPECT_EQ(out->appointments[1].appointment.id, AppointmentId(700));
  EXPECT_EQ(out->appointments[1].service, "Beratung");
}

TEST_F(ChangeServiceTest, UpcomingForAnUnknownOrWithheldCallerListsNothing) {
  auto withheld = changes.Upcoming(Withheld());
  ASSERT_TRUE(withheld);
  EXPECT_FALSE(withheld->known_caller);
  EXPECT_TRUE(withheld->withheld);
  EXPECT_TRUE(withheld->appointments.empty());
  auto stranger = changes.Upcoming(Stranger());
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(stranger->known_caller);
  EXPECT_FALSE(stranger->withheld);
}

// ---- cancel-appointment ----

TEST_F(ChangeServiceTest, CancelCancelsTheCallersAppointment) {
  CancelRequest r;
  r.reason = "krank";
  auto out = changes.Cancel(Caller(), r);
  ASSERT_TRUE(out);
  const auto* done = std::get_if<changes::Cancelled>(&out->result);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->appointment.id, AppointmentId(700));
  EXPECT_EQ(done->fee_cents, 0);
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
  EXPECT_EQ(world.appointments.rows[0].status, kCancelled);
}

// The caller cancels a slot held while Cal.com was away, and its job books it at that moment:
// the cancel does not just mark it cancelled (its booking would stay at Cal.com), it starts
// over and cancels the booking too.
TEST_F(ChangeServiceTest, CancelOfAHeldSlotWhoseJobBooksItMeanwhileCancelsTheBooking) {
  Appointment& held = world.appointments.rows[0];
  held.status = std::string(kPendingSync);
  held.calcom_booking_uid.reset();
  world.appointments.before_lock = [&] {
    held.status = std::string(kBooked);
    held.calcom_booking_uid = "uid-booked-meanwhile";
  };
  auto out = changes.Cancel(Caller(), CancelRequest{});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_NE(std::get_if<changes::Cancelled>(&out->result), nullptr);
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-booked-meanwhile"});
  EXPECT_EQ(world.appointments.rows[0].status, kCancelled);
}

TEST_F(ChangeServiceTest, CancelShortlyBeforeCostsTheFeeTier) {
  world.clock.SetNow(Berlin(12, 1, 0));  // ten hours before Tuesday 10:00
  auto out = changes.Cancel(Caller(), CancelRequest{});
  ASSERT_TRUE(out);
  const auto* done = std::get_if<changes::Cancelled>(&out->result);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->fee_cents, 1500);
}

TEST_F(ChangeServiceTest, CancelRefusedByThePolicyChangesNothing) {
  world.companies.rows[0].cancellation_policy.fee_tiers.clear();
  world.companies.rows[0].cancellation_policy.notice_hours = 24;
  world.clock.SetNow(Berlin(12, 1, 0));
  auto ctx = Caller();
  ctx.company = world.companies.rows[0];
  auto out = changes.Cancel(ctx, CancelRequest{});
  ASSERT_TRUE(out);
  const auto* refused = std::get_if<changes::Refused>(&out->result);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->decision.refusal, PolicyRefusal::kTooLate);
  EXPECT_EQ(refused->decision.notice_hours, 24);
  EXPECT_TRUE(world.calendar.cancelled.empty());
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

TEST_F(ChangeServiceTest, CancelForAWithheldCallerBecomesACallbackRequest) {
  CancelRequest r;
  r.contact.name = "Anna";
  r.reason = "krank";
  auto out = changes.Cancel(Withheld(), r);
  ASSERT_TRUE(out);
  const auto* noted = std::get_if<changes::CallbackNoted>(&out->result);
  ASSERT_NE(noted, nullptr);
  ASSERT_EQ(world.callbacks.rows.size(), 1u);
  EXPECT_EQ(noted->id, world.callbacks.rows[0].id);
  EXPECT_EQ(world.callbacks.rows[0].reason, "cancellation wished: krank");
  EXPECT_TRUE(world.calendar.cancelled.empty());
}

TEST_F(ChangeServiceTest, CancelOfAStrangerFindsNothing) {
  auto out = changes.Cancel(Stranger(), CancelRequest{});
  ASSERT_TRUE(out);
  const auto* nf = std::get_if<changes::NotFound>(&out->result);
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->why, changes::Missing::kNoCustomer);
  EXPECT_TRUE(world.calendar.cancelled.empty());
}

TEST_F(ChangeServiceTest, AnotherCompanysOrCustomersAppointmentIdIsDenied) {
  CancelRequest theirs;
  theirs.appointment.id = "701";  // company 2's appointment
  auto out = changes.Cancel(Caller(), theirs);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kPermissionDenied);
  CancelRequest mine;
  mine.appointment.id = "700";
  auto stranger = changes.Cancel(Stranger(), mine);
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, ErrorCode::kPermissionDenied);
  auto moved = changes.Reschedule(Stranger(),
                                  RescheduleRequest{mine.appointment, "Mittwoch", "11 Uhr", true});
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(world.calendar.cancelled.empty());
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

TEST_F(ChangeServiceTest, CancelOfAnAppointmentAlreadyCancelledSaysSo) {
  ASSERT_TRUE(changes.Cancel(Caller(), CancelRequest{}));
  CancelRequest again;
  again.appointment.id = "700";
  auto out = changes.Cancel(Caller(), again);
  ASSERT_TRUE(out);
  const auto* nf = std::get_if<changes::NotFound>(&out->result);
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->why, changes::Missing::kNotActive);
}

TEST_F(ChangeServiceTest, SeveralAppointmentsAskWhichOneUnlessTheDaySaysIt) {
  AddFriday(15);
  auto out = changes.Cancel(Caller(), CancelRequest{});
  ASSERT_TRUE(out);
  const auto* many = std::get_if<changes::Ambiguous>(&out->result);
  ASSERT_NE(many, nullptr);
  ASSERT_EQ(many->candidates.size(), 2u);
  EXPECT_LT(many->candidates[0].appointment.starts_at, many->candidates[1].appointment.starts_at);
  EXPECT_TRUE(world.calendar.cancelled.empty());

  CancelRequest on_monday;
  on_monday.appointment.date = "Montag";
  auto none = changes.Cancel(Caller(), on_monday);
  ASSERT_TRUE(none);
  const auto* nf = std::get_if<changes::NotFound>(&none->result);
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->why, changes::Missing::kNoneUpcoming);
  ASSERT_TRUE(nf->day);
  EXPECT_EQ(*nf->day, (CalendarDay{2026, 11, 30}));

  CancelRequest on_tuesday;
  on_tuesday.appointment.date = "Dienstag";
  auto one = changes.Cancel(Caller(), on_tuesday);
  ASSERT_TRUE(one);
  ASSERT_TRUE(std::holds_alternative<changes::Cancelled>(one->result));
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
}

TEST_F(ChangeServiceTest, CancelDuringACalendarOutageKeepsTheAppointment) {
  world.calendar.cancel_error = Error{ErrorCode::kUnavailable, "down"};
  auto out = changes.Cancel(Caller(), CancelRequest{});
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<changes::CalendarUnavailable>(out->result));
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

// ---- reschedule-appointment ----

TEST_F(ChangeServiceTest, RescheduleProposesThenMovesWithCalendarsEnd) {
  auto proposal = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr"));
  ASSERT_TRUE(proposal);
  const auto* proposed = std::get_if<changes::Proposed>(&proposal->result);
  ASSERT_NE(proposed, nullptr);
  EXPECT_EQ(proposed->to.start, Berlin(12, 2, 11));
  EXPECT_EQ(proposed->from.appointment.id, AppointmentId(700));
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);

  auto moved = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(moved);
  const auto* done = std::get_if<changes::Moved>(&moved->result);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(world.appointments.rows[0].status, kRescheduled);
  const auto& next = world.appointments.rows.back();
  EXPECT_EQ(next.id, done->to.id);
  EXPECT_EQ(next.status, kBooked);
  EXPECT_EQ(next.starts_at, Berlin(12, 2, 11));
  EXPECT_EQ(next.ends_at, Berlin(12, 2, 11, 30));  // the calendar's end
  EXPECT_EQ(next.rescheduled_from_id, AppointmentId(700));
}

TEST_F(ChangeServiceTest, AFreeNewTimeCostsOneQuestionToTheCalendar) {
  // The proposed time is usually free: the day alone is asked, not what alternatives need.
  ASSERT_TRUE(changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr")));
  EXPECT_EQ(world.calendar.queries.size(), 1u);
  EXPECT_EQ(world.calendar.rounds_many, 0);
  world.calendar.queries.clear();
  world.calendar.taken.push_back(Berlin(12, 2, 11));
  ASSERT_TRUE(changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr")));
  EXPECT_EQ(world.calendar.queries.size(), 4u);  // the day, then the alternatives' three
  EXPECT_EQ(world.calendar.rounds_many, 1);
}

TEST_F(ChangeServiceTest, RescheduleToATakenTimeSaysWhyAndOffersAlternatives) {
  world.calendar.taken.push_back(Berlin(12, 2, 11));
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out);
  const auto* not_free = std::get_if<changes::NewTimeNotFree>(&out->result);
  ASSERT_NE(not_free, nullptr);
  const auto* taken = std::get_if<availability::Taken>(&not_free->availability.result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, availability::NotFree::kBooked);
  EXPECT_FALSE(taken->alternatives.empty());
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

TEST_F(ChangeServiceTest, RescheduleToAClosedDayOrWithoutATimeIsNotMoved) {
  auto sunday = changes.Reschedule(Caller(), Move("Sonntag", "11 Uhr", true));
  ASSERT_TRUE(sunday);
  const auto* not_free = std::get_if<changes::NewTimeNotFree>(&sunday->result);
  ASSERT_NE(not_free, nullptr);
  const auto* taken = std::get_if<availability::Taken>(&not_free->availability.result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, availability::NotFree::kClosedDay);

  auto day_only = changes.Reschedule(Caller(), Move("Mittwoch", "", true));
  ASSERT_TRUE(day_only);
  const auto* asked = std::get_if<changes::NewTimeNotFree>(&day_only->result);
  ASSERT_NE(asked, nullptr);
  EXPECT_TRUE(std::holds_alternative<availability::DayList>(asked->availability.result));

  auto nothing = changes.Reschedule(Caller(), Move("", "", true));
  ASSERT_TRUE(nothing);
  const auto* missing = std::get_if<changes::NewTimeNotFree>(&nothing->result);
  ASSERT_NE(missing, nullptr);
  const auto* needs = std::get_if<availability::NeedsInput>(&missing->availability.result);
  ASSERT_NE(needs, nullptr);
  EXPECT_EQ(needs->field, availability::Field::kDate);
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

TEST_F(ChangeServiceTest, RescheduleToAClosingDayIsNotMovedAndNamesIt) {
  // Wednesday 2.12.2026 is the branch's own closing day.
  world.branches.rows[0].closing_days = {{"2026-12-02", "2026-12-02", "Fortbildung"}};
  world.contexts.Forget("call_fuzz_1");
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out);
  const auto* not_free = std::get_if<changes::NewTimeNotFree>(&out->result);
  ASSERT_NE(not_free, nullptr);
  const auto* taken = std::get_if<availability::Taken>(&not_free->availability.result);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->why, availability::NotFree::kClosing);
  ASSERT_TRUE(taken->closing);
  EXPECT_EQ(taken->closing->name, "Fortbildung");
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
  EXPECT_TRUE(world.calendar.changes.empty());
}

TEST_F(ChangeServiceTest, RescheduleOfAnAppointmentStillBeingConfirmedWaits) {
  world.appointments.rows[0].calcom_booking_uid.reset();
  world.appointments.rows[0].status = std::string(kPendingSync);
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<changes::StillConfirming>(out->result));
}

TEST_F(ChangeServiceTest, RescheduleTakenAtTheCalendarMeanwhileKeepsTheOldAppointment) {
  world.calendar.reschedule_error = Error{ErrorCode::kConflict, "taken"};
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out);
  const auto* just = std::get_if<changes::JustTaken>(&out->result);
  ASSERT_NE(just, nullptr);
  EXPECT_EQ(just->requested, Berlin(12, 2, 11));
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
  world.calendar.reschedule_error = Error{ErrorCode::kUnavailable, "down"};
  auto down = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(down);
  EXPECT_TRUE(std::holds_alternative<changes::CalendarUnavailable>(down->result));
}

// The appointment is let go (here: the caller's data erased with its future appointments
// cancelled) while Cal.com moves it: the erasure stays as it was committed (no customer linked
// again, no new appointment), and the booking just moved to is cancelled again.
TEST_F(ChangeServiceTest, RescheduleOfAnAppointmentLetGoMeanwhileWritesNothingAndUndoesTheMove) {
  const auto erased_at = world.clock.Now();
  world.appointments.before_lock = [&] {
    Appointment& row = world.appointments.rows[0];
    row.status = std::string(kCancelled);
    row.customer_id.reset();
    row.notes.clear();
    row.erased_at = erased_at;
  };
  const auto rows_before = world.appointments.rows.size();
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out) << out.error().message;
  const auto* nf = std::get_if<changes::NotFound>(&out->result);
  ASSERT_NE(nf, nullptr);
  EXPECT_EQ(nf->why, changes::Missing::kNotActive);
  ASSERT_EQ(world.calendar.moved_to.size(), 1u);
  EXPECT_EQ(world.calendar.cancelled, world.calendar.moved_to);
  EXPECT_EQ(world.appointments.rows.size(), rows_before);
  const Appointment& row = world.appointments.rows[0];
  EXPECT_EQ(row.status, kCancelled);
  EXPECT_FALSE(row.customer_id);
  EXPECT_EQ(row.erased_at, erased_at);
}

// Cal.com's webhook about the move is recorded before the move's own write (calendar_sync.cpp
// records a BOOKING_RESCHEDULED of a known booking): that record is the move; no second
// appointment for the same booking, and the caller hears it moved.
TEST_F(ChangeServiceTest, RescheduleRecordedByCalcomsWebhookFirstIsTheMove) {
  std::optional<AppointmentId> recorded;
  world.appointments.before_lock = [&] {
    Appointment previous = world.appointments.rows[0];
    previous.status = std::string(kRescheduled);
    ASSERT_TRUE(world.appointments.Update(CompanyId(1), previous));
    Appointment next = previous;
    next.id = AppointmentId();
    next.starts_at = Berlin(12, 2, 11);
    next.ends_at = Berlin(12, 2, 11, 30);
    next.status = std::string(kBooked);
    next.calcom_booking_uid = world.calendar.moved_to.at(0);
    next.rescheduled_from_id = previous.id;
    next.source = "calcom";
    auto created = world.appointments.Create(CompanyId(1), next);
    ASSERT_TRUE(created);
    recorded = created->id;
  };
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out) << out.error().message;
  const auto* done = std::get_if<changes::Moved>(&out->result);
  ASSERT_NE(done, nullptr);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(done->to.id, *recorded);
  EXPECT_EQ(done->to.starts_at, Berlin(12, 2, 11));
  EXPECT_TRUE(world.calendar.cancelled.empty());
  int for_the_booking = 0;
  for (const auto& row : world.appointments.rows) {
    if (row.calcom_booking_uid == world.calendar.moved_to.at(0)) ++for_the_booking;
  }
  EXPECT_EQ(for_the_booking, 1);
}

// Confirmed by the practice meanwhile (requested → booked): still the caller's, and moved.
TEST_F(ChangeServiceTest, RescheduleOfARequestConfirmedMeanwhileIsMoved) {
  world.appointments.rows[0].status = std::string(kRequested);
  world.appointments.before_lock = [&] {
    world.appointments.rows[0].status = std::string(kBooked);
  };
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_NE(std::get_if<changes::Moved>(&out->result), nullptr);
  EXPECT_TRUE(world.calendar.cancelled.empty());
  EXPECT_EQ(world.appointments.rows[0].status, kRescheduled);
  EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, world.calendar.moved_to.at(0));
}

// A seat moved into a booking that another appointment holds (recorded from the page, say) is
// not that appointment: the caller's is not taken for moved, and nothing is overwritten.
TEST_F(ChangeServiceTest, RescheduleIntoABookingAnotherAppointmentHoldsIsNotTakenForTheMove) {
  world.appointments.before_lock = [&] {
    Appointment other = world.appointments.rows[0];
    other.id = AppointmentId();
    other.customer_id.reset();
    other.starts_at = Berlin(12, 2, 11);
    other.ends_at = Berlin(12, 2, 11, 30);
    other.calcom_booking_uid = world.calendar.moved_to.at(0);
    other.source = "calcom";
    ASSERT_TRUE(world.appointments.Create(CompanyId(1), other));
  };
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr", true));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kConflict);
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

TEST_F(ChangeServiceTest, RescheduleOfAServiceWithoutCalendarIsNotMovable) {
  for (auto& s : world.services.rows) {
    if (s.id == tenancy::ServiceId(100)) s.calcom_event_type_id.reset();
  }
  auto out = changes.Reschedule(Caller(), Move("Mittwoch", "11 Uhr"));
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<changes::NotMovable>(out->result));
}

TEST_F(ChangeServiceTest, RescheduleBeyondTheMonthlyLimitIsRefused) {
  world.companies.rows[0].reschedule_policy.monthly_limit = 0;
  auto ctx = Caller();
  ctx.company = world.companies.rows[0];
  auto out = changes.Reschedule(ctx, Move("Mittwoch", "11 Uhr", true));
  ASSERT_TRUE(out);
  const auto* refused = std::get_if<changes::Refused>(&out->result);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->decision.refusal, PolicyRefusal::kMonthlyLimit);
  EXPECT_EQ(world.appointments.rows[0].status, kBooked);
}

}  // namespace
}  // namespace callgate::booking
