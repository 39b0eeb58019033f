// CalendarSyncService with the confirmation webhooks, against the in-memory two-company world
// (booking/testing/in_memory.hpp): a booking awaiting the practice is requested; the practice's
// confirmation (BOOKING_CREATED, status ACCEPTED) books it, its rejection (BOOKING_REJECTED)
// frees the slot; BOOKING_REQUESTED keeps or records a request.
#include "booking/calendar_sync.hpp"

#include <gtest/gtest.h>

#include <set>

#include "booking/booking_check.hpp"
#include "booking/testing/in_memory.hpp"

namespace callgate::booking {
namespace {

class Deliveries final : public calls::WebhookEventRepository {
 public:
  Result<std::int64_t> Record(const calls::WebhookEventRecord& event) override {
    if (!keys_.insert(event.dedupe_key).second) {
      return Fail(ErrorCode::kAlreadyExists, "delivered before");
    }
    companies.push_back(event.company_id);
    bodies.push_back(event.payload_json);
    return static_cast<std::int64_t>(keys_.size());
  }
  Status AttributeTo(std::int64_t event_id, tenancy::CompanyId company_id) override {
    auto& company = companies.at(static_cast<std::size_t>(event_id - 1));
    if (!company) company = company_id;
    return Ok();
  }
  Status Empty(std::int64_t event_id) override {
    bodies.at(static_cast<std::size_t>(event_id - 1)).clear();
    return Ok();
  }

  // The company and the raw body of each recorded delivery, by its id - 1.
  std::vector<std::optional<tenancy::CompanyId>> companies;
  std::vector<std::string> bodies;

 private:
  std::set<std::string> keys_;
};

class CalendarSyncTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  Deliveries deliveries;
  CalendarSyncService sync{world.appointments, world.services, deliveries,   world.calendar,
                           world.transactions, world.clock,    world.metrics};

  // Company 1's appointment (Tuesday 10:00, uid-sonnenschein) awaits the practice.
  void SetUp() override { world.appointments.rows[0].status = std::string(kRequested); }

  static CalendarChange Change(std::string trigger, std::string uid, std::string status) {
    CalendarChange c;
    c.dedupe_key = trigger + "|" + uid + "|" + status;
    c.trigger = std::move(trigger);
    c.uid = std::move(uid);
    c.status = std::move(status);
    c.event_type_id = 1000;
    c.raw_body = R"({"attendees":[{"name":"Erika Mustermann"}]})";
    return c;
  }
  const Appointment& Ours() const { return world.appointments.rows[0]; }
  // Cal.com moved our booking (uid-sonnenschein) to "uid-moved", a day later.
  CalendarChange MovedByCalcom(std::string status) const {
    CalendarChange c = Change("BOOKING_RESCHEDULED", "uid-moved", std::move(status));
    c.previous_uid = "uid-sonnenschein";
    c.start = Ours().starts_at + std::chrono::hours(24);
    c.end = *c.start + std::chrono::minutes(30);
    return c;
  }

  // A slot a call holds in `company` (Wednesday 11:00) while its booking is made at Cal.com.
  Appointment HeldByACall(int company) {
    Appointment a;
    a.branch_id = tenancy::BranchId(10 * company);
    a.service_id = tenancy::ServiceId(100 * company);
    a.starts_at = world.clock.Now() + std::chrono::hours(24 * 6 + 1);
    a.ends_at = a.starts_at + std::chrono::minutes(30);
    a.status = std::string(kPendingSync);
    a.idempotency_key = "call-key-" + std::to_string(company);
    return world.appointments.Create(tenancy::CompanyId(company), a).value();
  }
  // Cal.com's announcement of a booking on company 1's event type (Monday 09:00) that names an
  // appointment in its metadata.
  CalendarChange Naming(const std::string& uid, std::map<std::string, std::string> metadata) {
    CalendarChange c = Change("BOOKING_CREATED", uid, "ACCEPTED");
    c.start = world.clock.Now() + std::chrono::hours(24 * 4 - 1);
    c.end = *c.start + std::chrono::minutes(30);
    c.metadata = std::move(metadata);
    return c;
  }
  static std::map<std::string, std::string> MetadataOf(const Appointment& a) {
    return {{kBookingAppointmentKey, std::to_string(a.id.value)},
            {kBookingCheckKey, BookingCheck(a)}};
  }
};

TEST_F(CalendarSyncTest, TheConfirmationBooksARequest) {
  auto outcome = sync.Apply(Change("BOOKING_CREATED", "uid-sonnenschein", "ACCEPTED"));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(*outcome, "confirmed");
  EXPECT_EQ(Ours().status, kBooked);
  // Delivered again: nothing more happens.
  EXPECT_EQ(sync.Apply(Change("BOOKING_CREATED", "uid-sonnenschein", "ACCEPTED")).value(),
            "duplicate");
  EXPECT_EQ(world.metrics.Value("callgate_calcom_webhook_total",
                                {{"trigger", "BOOKING_CREATED"}, {"outcome", "confirmed"}}),
            1);
}

TEST_F(CalendarSyncTest, TriggersCallgateDoesNotActOnAreCountedAsOther) {
  EXPECT_EQ(sync.Apply(Change("MEETING_ENDED", "uid-sonnenschein", "")).value(), "ignored");
  EXPECT_EQ(sync.Apply(Change("MADE_UP_1", "uid-sonnenschein", "")).value(), "ignored");
  EXPECT_EQ(world.metrics.Value("callgate_calcom_webhook_total",
                                {{"trigger", "other"}, {"outcome", "ignored"}}),
            2);
  EXPECT_EQ(world.metrics.RenderPrometheus().find("MADE_UP_1"), std::string::npos);
  EXPECT_EQ(Ours().status, kRequested);
}

TEST_F(CalendarSyncTest, AConfirmationWithoutStatusCountsAsAccepted) {
  EXPECT_EQ(sync.Apply(Change("BOOKING_CREATED", "uid-sonnenschein", "")).value(), "confirmed");
  EXPECT_EQ(Ours().status, kBooked);
}

TEST_F(CalendarSyncTest, TheRejectionFreesTheSlot) {
  EXPECT_EQ(sync.Apply(Change("BOOKING_REJECTED", "uid-sonnenschein", "REJECTED")).value(),
            "rejected");
  EXPECT_EQ(Ours().status, kRejected);
  EXPECT_FALSE(Ours().HoldsSlot());
  // A later confirmation of the rejected booking changes nothing.
  EXPECT_EQ(sync.Apply(Change("BOOKING_CREATED", "uid-sonnenschein", "accepted")).value(),
            "unchanged");
  EXPECT_EQ(Ours().status, kRejected);
}

TEST_F(CalendarSyncTest, ARequestedDeliveryKeepsARequestAndTurnsABookingIntoOne) {
  EXPECT_EQ(sync.Apply(Change("BOOKING_REQUESTED", "uid-sonnenschein", "PENDING")).value(),
            "unchanged");
  EXPECT_EQ(Ours().status, kRequested);
  world.appointments.rows[0].status = std::string(kBooked);
  CalendarChange again = Change("BOOKING_REQUESTED", "uid-sonnenschein", "PENDING");
  again.dedupe_key += "|2";
  EXPECT_EQ(sync.Apply(again).value(), "requested");
  EXPECT_EQ(Ours().status, kRequested);
}

TEST_F(CalendarSyncTest, ARequestMadeOnCalcomsPagesIsRecordedAsRequested) {
  CalendarChange c = Change("BOOKING_REQUESTED", "page-1", "PENDING");
  c.start = world.clock.Now() + std::chrono::hours(24 * 6);
  c.end = *c.start + std::chrono::minutes(30);
  EXPECT_EQ(sync.Apply(c).value(), "created");
  EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, "page-1");
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
  EXPECT_EQ(world.appointments.rows.back().source, "calcom");
  // Its attendee is nobody's customer (CalcomWebhooksTest.BookingMadeOnCalcomAppearsOnce).
  EXPECT_FALSE(world.appointments.rows.back().customer_id.has_value());
}

TEST_F(CalendarSyncTest, OursAwaitingItsUidIsLeftToTheBookingFlow) {
  const Appointment held = HeldByACall(1);
  const std::size_t rows = world.appointments.rows.size();
  CalendarChange c = Naming("not-yet-stored", MetadataOf(held));
  c.trigger = "BOOKING_REQUESTED";
  c.start = held.starts_at;
  c.end = held.ends_at;
  EXPECT_EQ(sync.Apply(c).value(), "unchanged");
  // Elsewhere that day too (an event type of another length books the held start's day).
  EXPECT_EQ(sync.Apply(Naming("not-yet-stored-2", MetadataOf(held))).value(), "unchanged");
  EXPECT_EQ(world.appointments.rows.size(), rows);
}

// Anyone can set a booking's metadata through the booking page's URL, and appointment ids are
// sequential: a booking that names an appointment without its check value, or names another
// company's, is a booking made on Cal.com's pages and stays in the company's list.
TEST_F(CalendarSyncTest, AForgedClaimToBeOursIsRecordedLikeAnyPageBooking) {
  const Appointment held = HeldByACall(1);
  const Appointment elsewhere = HeldByACall(2);
  std::map<std::string, std::string> wrong_check = MetadataOf(held);
  wrong_check[kBookingCheckKey] = std::string(32, '0');
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> forged = {
      {"page-id-only", {{kBookingAppointmentKey, std::to_string(held.id.value)}}},
      {"page-wrong-check", wrong_check},
      {"page-other-company", MetadataOf(elsewhere)},
      {"page-no-id", {{kBookingAppointmentKey, "x" + std::to_string(held.id.value)}}},
      {"page-booked-one", {{kBookingAppointmentKey, "700"}}},
  };
  for (const auto& [uid, metadata] : forged) {
    SCOPED_TRACE(uid);
    EXPECT_EQ(sync.Apply(Naming(uid, metadata)).value(), "created");
    EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, uid);
    EXPECT_EQ(world.appointments.rows.back().company_id, tenancy::CompanyId(1));
    EXPECT_EQ(world.appointments.rows.back().source, "calcom");
    // The next one of the list takes another start.
    world.clock.Advance(std::chrono::minutes(30));
  }
  // The held slots are untouched.
  EXPECT_EQ(world.appointments.FindById(tenancy::CompanyId(1), held.id)->status, kPendingSync);
  EXPECT_EQ(world.appointments.FindById(tenancy::CompanyId(2), elsewhere.id)->status, kPendingSync);
}

TEST_F(CalendarSyncTest, AnotherCompanysSenderCannotConfirmOrReject) {
  CalendarChange c = Change("BOOKING_REJECTED", "uid-sonnenschein", "REJECTED");
  c.may_touch = [](tenancy::CompanyId id) { return id == tenancy::CompanyId(2); };
  EXPECT_EQ(sync.Apply(c).value(), "ignored");
  CalendarChange confirm = Change("BOOKING_CREATED", "uid-sonnenschein", "ACCEPTED");
  confirm.may_touch = c.may_touch;
  EXPECT_EQ(sync.Apply(confirm).value(), "ignored");
  EXPECT_EQ(Ours().status, kRequested);
}

TEST_F(CalendarSyncTest, AReschedulePendingAtCalcomRecordsTheNewOneAsRequested) {
  CalendarChange c = MovedByCalcom("PENDING");
  EXPECT_EQ(sync.Apply(c).value(), "rescheduled");
  EXPECT_EQ(Ours().status, kRescheduled);
  EXPECT_EQ(world.appointments.rows.back().calcom_booking_uid, "uid-moved");
  EXPECT_EQ(world.appointments.rows.back().status, kRequested);
}

// The caller's move found its appointment cancelled or erased meanwhile and cancels the booking
// moved to (ChangeService::Reschedule): Cal.com's webhook about the move, arriving after that,
// neither brings the appointment back as "rescheduled" nor records the booking moved to.
TEST_F(CalendarSyncTest, AMoveOfAnAppointmentLetGoMeanwhileIsNotRecorded) {
  world.appointments.rows[0].status = std::string(kCancelled);
  world.appointments.rows[0].customer_id.reset();
  const auto rows = world.appointments.rows.size();
  CalendarChange moved = MovedByCalcom("ACCEPTED");
  EXPECT_EQ(sync.Apply(moved).value(), "unchanged");
  EXPECT_EQ(Ours().status, kCancelled);
  EXPECT_EQ(world.appointments.rows.size(), rows);
  // Its cancel, delivered next, is about a booking callgate never recorded.
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-moved", "CANCELLED")).value(), "ignored");
}

// Every stored delivery names the company it concerns, so that company's erasure requests reach
// its raw body (attendee name, e-mail, answers) and no other company's do: the sender's company
// on its own URL; on the platform's URL the company of the booking or event type it names;
// none when it names nothing this delivery may touch.
TEST_F(CalendarSyncTest, EachStoredDeliveryIsAttributedToTheCompanyItConcerns) {
  using tenancy::CompanyId;
  // Platform URL: a known booking, a rescheduled one, a new one on Cal.com's pages, one booked
  // by callgate that is not stored yet.
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-Nordlicht", "CANCELLED")).value(),
            "cancelled");
  CalendarChange moved = MovedByCalcom("ACCEPTED");
  EXPECT_EQ(sync.Apply(moved).value(), "rescheduled");
  CalendarChange page = Change("BOOKING_CREATED", "page-2", "ACCEPTED");
  page.event_type_id = 2000;
  page.start = world.clock.Now() + std::chrono::hours(24 * 6);
  page.end = *page.start + std::chrono::minutes(30);
  EXPECT_EQ(sync.Apply(page).value(), "created");
  CalendarChange ours = Naming("not-yet-stored", MetadataOf(HeldByACall(1)));
  EXPECT_EQ(sync.Apply(ours).value(), "unchanged");
  // Nothing it may touch, or nothing known: no company.
  CalendarChange foreign = Change("BOOKING_CANCELLED", "uid-sonnenschein|2", "CANCELLED");
  foreign.uid = "uid-sonnenschein";
  foreign.may_touch = [](CompanyId id) { return id == CompanyId(2); };
  EXPECT_EQ(sync.Apply(foreign).value(), "ignored");
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-unknown", "CANCELLED")).value(), "ignored");
  CalendarChange unknown_type = Change("BOOKING_CREATED", "page-3", "ACCEPTED");
  unknown_type.event_type_id = 4242;
  EXPECT_EQ(sync.Apply(unknown_type).value(), "ignored");
  // A company's own URL: its company, whatever the delivery names.
  CalendarChange own = Change("BOOKING_CANCELLED", "uid-unknown|own", "CANCELLED");
  own.uid = "uid-unknown";
  own.company_id = CompanyId(2);
  own.may_touch = [](CompanyId id) { return id == CompanyId(2); };
  EXPECT_EQ(sync.Apply(own).value(), "ignored");

  const std::vector<std::optional<CompanyId>> expected = {CompanyId(2), CompanyId(1), CompanyId(2),
                                                          CompanyId(1), std::nullopt, std::nullopt,
                                                          std::nullopt, CompanyId(2)};
  EXPECT_EQ(deliveries.companies, expected);
}

// A booking whose attendee's data was erased: Cal.com's deliveries about it (its cancellation,
// a reschedule and what follows the new booking) are applied, and none keeps its raw body;
// deliveries about other bookings keep theirs.
TEST_F(CalendarSyncTest, DeliveriesAboutAnErasedBookingAreAppliedAndTheirBodiesNotKept) {
  world.appointments.rows[0].erased_at = world.clock.Now();
  CalendarChange moved = MovedByCalcom("ACCEPTED");
  EXPECT_EQ(sync.Apply(moved).value(), "rescheduled");
  const Appointment& next = world.appointments.rows.back();
  EXPECT_EQ(next.calcom_booking_uid, "uid-moved");
  EXPECT_EQ(next.erased_at, Ours().erased_at);  // the same person's booking
  EXPECT_EQ(sync.Apply(Change("BOOKING_CREATED", "uid-moved", "ACCEPTED")).value(), "unchanged");
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-moved", "CANCELLED")).value(), "cancelled");
  EXPECT_EQ(world.appointments.rows.back().status, kCancelled);
  EXPECT_EQ(sync.Apply(Change("MEETING_ENDED", "uid-sonnenschein", "")).value(), "ignored");
  // A sender that may not touch the erased booking changes nothing and keeps no body either.
  CalendarChange foreign = Change("BOOKING_CANCELLED", "uid-sonnenschein", "CANCELLED");
  foreign.may_touch = [](tenancy::CompanyId id) { return id == tenancy::CompanyId(2); };
  EXPECT_EQ(sync.Apply(foreign).value(), "ignored");
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-Nordlicht", "CANCELLED")).value(),
            "cancelled");
  EXPECT_EQ(sync.Apply(Change("MEETING_ENDED", "uid-Nordlicht", "")).value(), "ignored");

  ASSERT_EQ(deliveries.bodies.size(), 7u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(deliveries.bodies[i], "") << i;
  EXPECT_EQ(deliveries.companies[4], std::nullopt);  // not attributed: it may not touch it
  // Another attendee's booking: its deliveries keep their bodies, and name their company.
  EXPECT_NE(deliveries.bodies[5], "");
  EXPECT_NE(deliveries.bodies[6], "");
  EXPECT_EQ(deliveries.companies[3], tenancy::CompanyId(1));
  EXPECT_EQ(deliveries.companies[6], tenancy::CompanyId(2));
  // A redelivery is still a duplicate.
  EXPECT_EQ(sync.Apply(Change("BOOKING_CANCELLED", "uid-moved", "CANCELLED")).value(), "duplicate");
}

}  // namespace
}  // namespace callgate::booking
