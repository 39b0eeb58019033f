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
