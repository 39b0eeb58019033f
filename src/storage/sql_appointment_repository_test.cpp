// SqlAppointmentRepository::HeldSince on every backend: appointments held for a caller past a
// time, of all companies, counted, and the oldest listed by id, company and since when.
#include <gtest/gtest.h>

#include "storage/sql_booking_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using tenancy::CompanyId;

class HeldAppointmentsTest : public testing::DatabaseTest {
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

TEST_P(HeldAppointmentsTest, HeldPastTheTimeAreCountedAndTheOldestListedOfEveryCompany) {
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

INSTANTIATE_TEST_SUITE_P(Backends, HeldAppointmentsTest, testing::AllBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
