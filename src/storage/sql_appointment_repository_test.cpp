// SqlAppointmentRepository on every backend: HeldSince (appointments held for a caller past a
// time, of all companies, counted, and the oldest listed by id, company and since when), and
// Update of an erased appointment (it keeps no customer and no notes).
#include <gtest/gtest.h>

#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using tenancy::CompanyId;

class SqlAppointmentsTest : public testing::DatabaseTest {
 protected:
  CompanyId NewCompany(const std::string& slug) { return testing::NewCompany(db(), clock_, slug); }
  // An appointment in `status` created now (the fake clock), at its own start time.
  booking::AppointmentId Add(SqlAppointmentRepository& appointments, CompanyId company,
                             std::string_view status) {
    booking::Appointment a;
    a.starts_at = clock_.Now() + std::chrono::hours(24 + ++added_);
    a.ends_at = a.starts_at + std::chrono::minutes(30);
    a.status = std::string(status);
    a.notes = "Erika Mustermann, Rückruf unter 0151 2345678";
    auto created = appointments.Create(company, a);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id : booking::AppointmentId();
  }

 private:
  int added_ = 0;
};

TEST_P(SqlAppointmentsTest, HeldPastTheTimeAreCountedAndTheOldestListedOfEveryCompany) {
  const CompanyId a = NewCompany("a");
  const CompanyId b = NewCompany("b");
  SqlAppointmentRepository appointments(db(), clock_);
  const auto start = clock_.Now();
  const auto first = Add(appointments, b, booking::kPendingSync);
  clock_.Advance(std::chrono::minutes(1));
  Add(appointments, a, booking::kBooked);
  Add(appointments, a, booking::kCancelled);
  const auto second = Add(appointments, a, booking::kPendingSync);
  clock_.Advance(std::chrono::minutes(1));
  const auto third = Add(appointments, a, booking::kPendingSync);
  clock_.Advance(std::chrono::minutes(1));
  Add(appointments, b, booking::kPendingSync);  // not before the time asked about
  const auto cutoff = clock_.Now();

  auto held = appointments.HeldSince(cutoff, 2);
  ASSERT_TRUE(held.has_value()) << held.error().message;
  EXPECT_EQ(held->count, 3);
  ASSERT_EQ(held->oldest.size(), 2u);
  EXPECT_EQ(held->oldest[0].id, first);
  EXPECT_EQ(held->oldest[0].company_id, b);
  EXPECT_EQ(held->oldest[0].since, start);
  EXPECT_EQ(held->oldest[1].id, second);
  EXPECT_EQ(held->oldest[1].company_id, a);
  EXPECT_EQ(held->oldest[1].since, start + std::chrono::minutes(1));

  auto all = appointments.HeldSince(cutoff, 10);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->oldest.size(), 3u);
  EXPECT_EQ(all->oldest[2].id, third);

  auto none = appointments.HeldSince(start, 5);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->count, 0);
  EXPECT_TRUE(none->oldest.empty());
}

// A change written from a row read before the person's erasure (a webhook, a job, a tool that
// read it earlier) does not link the customer again or bring the notes back; the change itself
// is written. An appointment that is not erased takes both.
TEST_P(SqlAppointmentsTest, AnErasedAppointmentKeepsNoCustomerAndNoNotesWhateverIsWritten) {
  const CompanyId a = NewCompany("a");
  SqlCustomerRepository customers(db(), clock_);
  tenancy::Customer erika;
  erika.phone_e164 = "+4915112345678";
  erika.name = "Erika Mustermann";
  auto customer = customers.Create(a, erika);
  ASSERT_TRUE(customer.has_value()) << customer.error().message;
  SqlAppointmentRepository appointments(db(), clock_);
  booking::Appointment read;
  for (const char* uid : {"uid-erased", "uid-kept"}) {
    booking::Appointment appt;
    appt.customer_id = customer->id;
    appt.starts_at = clock_.Now() + std::chrono::hours(uid[4] == 'e' ? 24 : 48);
    appt.ends_at = appt.starts_at + std::chrono::minutes(30);
    appt.status = std::string(booking::kBooked);
    appt.calcom_booking_uid = uid;
    appt.notes = "Knie röntgen";
    auto created = appointments.Create(a, appt);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    if (uid[4] == 'e') read = *created;
  }
  ASSERT_TRUE(db().Run([&](Session& s) -> Status {
    s.Execute(
        "UPDATE appointments SET customer_id = NULL, notes = '', erased_at = :now WHERE id = :id",
        Params().Add(clock_.Now()).Add(read.id.value));
    return Ok();
  }));

  booking::Appointment change = read;  // as read before the erasure
  change.status = std::string(booking::kCancelled);
  change.cancelled_at = clock_.Now();
  auto written = appointments.Update(a, change);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(written->status, booking::kCancelled);
  EXPECT_FALSE(written->customer_id);
  EXPECT_EQ(written->notes, "");
  EXPECT_TRUE(written->erased_at);

  auto kept = appointments.FindByCalcomUid(a, "uid-kept");
  ASSERT_TRUE(kept.has_value());
  booking::Appointment other = *kept;
  other.notes = "Rückruf erbeten";
  auto updated = appointments.Update(a, other);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->customer_id, customer->id);
  EXPECT_EQ(updated->notes, "Rückruf erbeten");
  other.customer_id.reset();
  auto unlinked = appointments.Update(a, other);
  ASSERT_TRUE(unlinked.has_value()) << unlinked.error().message;
  EXPECT_FALSE(unlinked->customer_id);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlAppointmentsTest, testing::AllBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
