// Retention with the fake clock: call content (with metadata) and appointment notes go after
// retention_days (billing data stays); stale customers, the callers' numbers on calls and
// callback requests go after customer_retention_days; other companies keep theirs; a second
// purge changes nothing. On both backends.
#include "storage/retention.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/testing/gate.hpp"
#include "crypto/keyring.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using std::chrono::hours;
using tenancy::CompanyId;
constexpr auto kDay = hours(24);

class RetentionTest : public testing::DatabaseTest {
 protected:
  CompanyId NewCompany(const std::string& slug, int retention_days, int customer_days) {
    SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = slug;
    c.slug = slug;
    c.retention_days = retention_days;
    c.customer_retention_days = customer_days;
    auto created = companies.Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    EXPECT_EQ(created->retention_days, retention_days);
    return created ? created->id : CompanyId(0);
  }

  calls::Call NewCall(CompanyId company, const std::string& id,
                      std::optional<tenancy::CustomerId> customer = std::nullopt,
                      std::optional<std::string> from_number = std::nullopt) {
    SqlCallRepository calls(db(), clock_);
    calls::CallUpdate u;
    u.retell_call_id = id;
    u.customer_id = customer;
    u.from_number = std::move(from_number);
    u.status = "ended";
    u.started_at = clock_.Now();
    u.ended_at = clock_.Now() + std::chrono::minutes(3);
    u.duration_ms = 180000;
    u.transcript = "User: Mein Knie tut weh.";
    u.final_transcript = true;
    u.transcript_object_json = "[]";
    u.summary = "Knieschmerzen";
    u.analysis_json = "{}";
    u.recording_url = "https://example.org/rec.wav";
    u.retell_cost_cents = 42;
    auto call = calls.Upsert(company, u);
    EXPECT_TRUE(call.has_value()) << call.error().message;
    return call.value_or(calls::Call{});
  }

  tenancy::Customer NewCustomer(CompanyId company, const std::string& phone) {
    SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer c;
    c.phone_e164 = phone;
    c.name = "Kunde " + phone;
    auto created = customers.Create(company, c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(tenancy::Customer{});
  }

  // A call that carries nothing but the platform's metadata (and the caller's number).
  calls::Call NewMetadataOnlyCall(CompanyId company, const std::string& id) {
    SqlCallRepository calls(db(), clock_);
    calls::CallUpdate u;
    u.retell_call_id = id;
    u.status = "ended";
    u.from_number = "+4915199999999";
    u.started_at = clock_.Now();
    u.ended_at = clock_.Now() + std::chrono::minutes(1);
    u.metadata_json = R"({"caller":"Erika"})";
    auto call = calls.Upsert(company, u);
    EXPECT_TRUE(call.has_value()) << call.error().message;
    return call.value_or(calls::Call{});
  }

  booking::Appointment NewAppointment(CompanyId company, SystemTimePoint starts_at) {
    SqlAppointmentRepository appointments(db(), clock_);
    booking::Appointment a;
    a.starts_at = starts_at;
    a.ends_at = starts_at + hours(1);
    a.status = "booked";
    a.notes = "bitte nüchtern kommen";
    auto created = appointments.Create(company, a);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(booking::Appointment{});
  }

  booking::CallbackRequest NewCallback(CompanyId company, const std::string& status = "open") {
    SqlCallbackRequestRepository callbacks(db(), clock_);
    booking::CallbackRequest r;
    r.phone = "+4915112345678";
    r.name = "Erika Muster";
    r.reason = "Befund besprechen";
    r.status = status;
    r.due_at = clock_.Now() + hours(2);
    auto created = callbacks.Create(company, r);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(booking::CallbackRequest{});
  }

  // A column of one row as stored (std::nullopt for NULL), read past the repositories so NULL
  // and '' stay apart.
  std::optional<std::string> Stored(const std::string& table, const std::string& column,
                                    std::int64_t id) {
    auto value = db().Run([&](Session& s) -> Result<std::optional<std::string>> {
      std::optional<std::string> out;
      s.Query(column, "FROM " + table + " WHERE id = :id", Params().Add(id),
              [&](const Row& r) { out = r.OptionalString(column); });
      return out;
    });
    EXPECT_TRUE(value.has_value()) << value.error().message;
    return value.value_or(std::nullopt);
  }

  PurgeReport Purge(int batch = 500) {
    auto report = PurgeExpired(db(), clock_.Now(), batch);
    EXPECT_TRUE(report.has_value()) << report.error().message;
    return report.value_or(PurgeReport{});
  }
};

TEST_P(RetentionTest, CallContentGoesAfterRetentionDaysAndBillingDataStays) {
  const CompanyId short_lived = NewCompany("kurz", 7, 365);
  const CompanyId default_company = NewCompany("standard", 30, 365);
  const auto a = NewCall(short_lived, "call-a");
  const auto b = NewCall(default_company, "call-b");

  clock_.Advance(6 * kDay);
  EXPECT_EQ(Purge().calls_cleared, 0);
  clock_.Advance(2 * kDay);  // 8 days: due for the 7-day company only
  EXPECT_EQ(Purge(1).calls_cleared, 1);
  SqlCallRepository calls(db(), clock_);
  auto cleared = calls.FindById(short_lived, a.id);
  ASSERT_TRUE(cleared.has_value());
  EXPECT_FALSE(cleared->transcript.has_value());
  EXPECT_FALSE(cleared->transcript_object_json.has_value());
  EXPECT_FALSE(cleared->summary.has_value());
  EXPECT_FALSE(cleared->analysis_json.has_value());
  EXPECT_FALSE(cleared->recording_url.has_value());
  EXPECT_EQ(cleared->duration_ms, 180000);
  EXPECT_EQ(cleared->retell_cost_cents, 42);
  EXPECT_TRUE(cleared->started_at.has_value());
  auto kept = calls.FindById(default_company, b.id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->transcript.has_value());

  clock_.Advance(30 * kDay);
  EXPECT_EQ(Purge().calls_cleared, 1);
  EXPECT_EQ(Purge().calls_cleared, 0);  // idempotent
}

TEST_P(RetentionTest, StaleCustomersAreDeletedAndUnlinkedOthersStay) {
  const CompanyId company = NewCompany("praxis", 30, 100);
  const auto stale = NewCustomer(company, "+4915111111111");
  const auto recent_caller = NewCustomer(company, "+4915122222222");
  const auto with_appointment = NewCustomer(company, "+4915133333333");
  const auto call = NewCall(company, "call-stale", stale.id);
  SqlAppointmentRepository appointments(db(), clock_);
  booking::Appointment future;
  future.customer_id = with_appointment.id;
  future.starts_at = clock_.Now() + 200 * kDay;
  future.ends_at = future.starts_at + hours(1);
  future.status = "booked";
  ASSERT_TRUE(appointments.Create(company, future).has_value());

  clock_.Advance(90 * kDay);
  SqlCustomerRepository customers(db(), clock_);
  ASSERT_TRUE(customers.TouchLastCall(company, recent_caller.id, clock_.Now()).has_value());
  EXPECT_EQ(Purge().customers_deleted, 0);
  clock_.Advance(20 * kDay);  // 110 days after creation, 20 after the recent call
  EXPECT_EQ(Purge().customers_deleted, 1);
  EXPECT_FALSE(customers.FindById(company, stale.id).has_value());
  EXPECT_TRUE(customers.FindById(company, recent_caller.id).has_value());
  EXPECT_TRUE(customers.FindById(company, with_appointment.id).has_value());
  SqlCallRepository calls(db(), clock_);
  auto unlinked = calls.FindById(company, call.id);
  ASSERT_TRUE(unlinked.has_value());
  EXPECT_FALSE(unlinked->customer_id.has_value());
}

TEST_P(RetentionTest, CallMetadataGoesWithTheContentAndAMetadataOnlyCallIsPickedUp) {
  const CompanyId short_lived = NewCompany("kurz", 7, 365);
  const CompanyId longer = NewCompany("lang", 30, 365);
  const auto metadata_only = NewMetadataOnlyCall(short_lived, "call-meta");
  const auto full = NewCall(short_lived, "call-full");
  const auto other_company = NewMetadataOnlyCall(longer, "call-other");
  clock_.Advance(8 * kDay);
  const auto young = NewMetadataOnlyCall(short_lived, "call-young");

  EXPECT_EQ(Purge(1).calls_cleared, 2);
  EXPECT_FALSE(Stored("calls", "metadata", metadata_only.id.value).has_value());
  EXPECT_FALSE(Stored("calls", "metadata", full.id.value).has_value());
  EXPECT_FALSE(Stored("calls", "transcript", full.id.value).has_value());
  // PostgreSQL stores it as JSONB (its own spacing): kept is what counts.
  EXPECT_TRUE(Stored("calls", "metadata", young.id.value).has_value());
  EXPECT_TRUE(Stored("calls", "metadata", other_company.id.value).has_value());
  // The number goes only after customer_retention_days.
  EXPECT_EQ(Stored("calls", "from_number", metadata_only.id.value), "+4915199999999");

  const PurgeReport again = Purge();
  EXPECT_EQ(again.calls_cleared, 0);
  EXPECT_EQ(again.appointment_notes_cleared, 0);
  EXPECT_EQ(again.customers_deleted, 0);
  EXPECT_EQ(again.caller_numbers_cleared, 0);
  EXPECT_EQ(again.callback_requests_deleted, 0);
}

TEST_P(RetentionTest, AppointmentNotesGoRetentionDaysAfterTheAppointmentEnded) {
  const CompanyId short_lived = NewCompany("kurz", 7, 365);
  const CompanyId longer = NewCompany("lang", 30, 365);
  const auto past = NewAppointment(short_lived, clock_.Now());
  const auto later = NewAppointment(short_lived, clock_.Now() + 5 * kDay);
  const auto other_company = NewAppointment(longer, clock_.Now());

  clock_.Advance(7 * kDay);  // the first ended 7 days minus an hour ago: not yet
  EXPECT_EQ(Purge().appointment_notes_cleared, 0);
  clock_.Advance(hours(2));
  EXPECT_EQ(Purge(1).appointment_notes_cleared, 1);
  EXPECT_EQ(Stored("appointments", "notes", past.id.value), "");
  SqlAppointmentRepository appointments(db(), clock_);
  auto kept = appointments.FindById(short_lived, later.id);
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  EXPECT_EQ(kept->notes, "bitte nüchtern kommen");
  auto other = appointments.FindById(longer, other_company.id);
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_EQ(other->notes, "bitte nüchtern kommen");
  auto cleared = appointments.FindById(short_lived, past.id);
  ASSERT_TRUE(cleared.has_value()) << cleared.error().message;
  EXPECT_EQ(cleared->status, "booked");  // the appointment itself stays
  EXPECT_EQ(Purge().appointment_notes_cleared, 0);

  clock_.Advance(6 * kDay);  // the later one ended 8 days ago now
  EXPECT_EQ(Purge().appointment_notes_cleared, 1);
  EXPECT_EQ(Purge().appointment_notes_cleared, 0);
}

// Empty notes are neither counted as cleared nor is their appointment changed (updated_at),
// however many of them come before a note with text: those stored as '' are not picked at all,
// and the sealed empty ones of versions that sealed '' too are rewritten as '' once, uncounted.
TEST_P(RetentionTest, EmptyNotesAreNeitherCountedNorTouched) {
  const CompanyId company = NewCompany("kurz", 7, 365);
  SqlAppointmentRepository appointments(db(), clock_);
  std::vector<booking::Appointment> empty;
  for (int i = 0; i < 3; ++i) {
    booking::Appointment a;
    a.starts_at = clock_.Now() + hours(2 * i);
    a.ends_at = a.starts_at + hours(1);
    a.status = "completed";
    auto created = appointments.Create(company, a);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    empty.push_back(*created);
  }
  const auto with_text = NewAppointment(company, clock_.Now() + hours(8));
  EXPECT_EQ(Stored("appointments", "notes", empty[0].id.value), "");  // nothing to seal
  // An empty note as earlier versions stored it: sealed under the tests' key.
  const std::string sealed_empty =
      "enc:v1:46da0205:VNd1yFDX43H1MvH2ICd6X2Ls9gh2Hny3TmmtJnI1z5FaNkOhqUtJPw==";
  ASSERT_EQ(db().keyring()->Open(sealed_empty, "appointments.notes").value_or("?"), "");
  ASSERT_TRUE(db().Run([&](Session& s) -> Status {
                    s.Execute(
                        "UPDATE appointments SET notes = :n WHERE id IN (:a, :b)",
                        Params().Add(sealed_empty).Add(empty[1].id.value).Add(empty[2].id.value));
                    return Ok();
                  })
                  .has_value());

  clock_.Advance(10 * kDay);
  EXPECT_EQ(Purge(1).appointment_notes_cleared, 1);
  EXPECT_EQ(Stored("appointments", "notes", with_text.id.value), "");
  for (const auto& a : empty) {
    EXPECT_EQ(Stored("appointments", "notes", a.id.value), "");
    auto read = appointments.FindById(company, a.id);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(read->notes, "");
    EXPECT_EQ(read->updated_at, a.updated_at);
  }
  EXPECT_EQ(Purge().appointment_notes_cleared, 0);
}

TEST_P(RetentionTest, CallerNumbersGoAfterCustomerRetentionDaysWithOrWithoutACustomer) {
  const CompanyId company = NewCompany("praxis", 7, 100);
  const CompanyId longer = NewCompany("salon", 7, 200);
  const auto customer = NewCustomer(company, "+4915111111111");
  const auto linked = NewCall(company, "call-linked", customer.id, "+4915111111111");
  const auto never_linked = NewCall(company, "call-unlinked", std::nullopt, "+4915122222222");
  const auto withheld = NewCall(company, "call-withheld", std::nullopt, "anonymous");
  const auto no_number = NewCall(company, "call-none");
  const auto other_company = NewCall(longer, "call-other", std::nullopt, "+4915111111111");

  clock_.Advance(99 * kDay);
  const auto young = NewCall(company, "call-young", std::nullopt, "+4915133333333");
  EXPECT_EQ(Purge().caller_numbers_cleared, 0);
  clock_.Advance(2 * kDay);  // 101 days after the first calls, 2 after the young one
  const PurgeReport report = Purge(1);
  EXPECT_EQ(report.caller_numbers_cleared, 3);
  EXPECT_EQ(report.customers_deleted, 1);
  for (const auto& call : {linked, never_linked, withheld, no_number}) {
    EXPECT_FALSE(Stored("calls", "from_number", call.id.value).has_value()) << call.retell_call_id;
  }
  EXPECT_EQ(Stored("calls", "from_number", young.id.value), "+4915133333333");
  EXPECT_EQ(Stored("calls", "from_number", other_company.id.value), "+4915111111111");
  SqlCallRepository calls(db(), clock_);
  auto kept = calls.FindById(company, linked.id);
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  EXPECT_EQ(kept->duration_ms, 180000);  // billing data stays
  EXPECT_EQ(kept->retell_cost_cents, 42);

  const PurgeReport again = Purge();
  EXPECT_EQ(again.caller_numbers_cleared, 0);
  EXPECT_EQ(again.customers_deleted, 0);
  EXPECT_EQ(again.calls_cleared, 0);
}

TEST_P(RetentionTest, CallbackRequestsGoAfterCustomerRetentionDaysInAnyStatus) {
  const CompanyId company = NewCompany("praxis", 7, 100);
  const CompanyId longer = NewCompany("salon", 7, 200);
  const auto open = NewCallback(company);
  const auto completed = NewCallback(company, "completed");
  const auto other_company = NewCallback(longer);
  clock_.Advance(99 * kDay);
  const auto young = NewCallback(company);
  EXPECT_EQ(Purge().callback_requests_deleted, 0);
  clock_.Advance(2 * kDay);

  EXPECT_EQ(Purge(1).callback_requests_deleted, 2);
  SqlCallbackRequestRepository callbacks(db(), clock_);
  EXPECT_FALSE(callbacks.FindById(company, open.id).has_value());
  EXPECT_FALSE(callbacks.FindById(company, completed.id).has_value());
  auto kept = callbacks.FindById(company, young.id);
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  EXPECT_EQ(kept->reason, "Befund besprechen");
  EXPECT_TRUE(callbacks.FindById(longer, other_company.id).has_value());
  EXPECT_EQ(Purge().callback_requests_deleted, 0);
}

TEST_P(RetentionTest, RetentionDaysAreValidated) {
  SqlCompanyRepository companies(db(), clock_);
  tenancy::Company c;
  c.name = "x";
  c.slug = "x";
  c.retention_days = 0;
  EXPECT_FALSE(companies.Create(c).has_value());
  c.retention_days = 30;
  auto created = companies.Create(c);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->customer_retention_days, 365);
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, testing::AllBackends(), testing::BackendName);

class PostgresRetentionTest : public RetentionTest {};

// A caller whose customer record is due books while the purge runs: the hold's transaction
// links the appointment to the customer and has not committed when the purge reads what is
// due. The purge waits for it, then finds the customer in use: it keeps the customer and the
// appointment keeps its link (deleting it would leave a held booking without its caller).
TEST_P(PostgresRetentionTest, AHoldCommittedWhileThePurgeRunsKeepsItsCustomer) {
  const CompanyId company = NewCompany("praxis", 30, 100);
  const auto customer = NewCustomer(company, "+4915111111111");
  clock_.Advance(110 * kDay);
  callgate::testing::Gate linked;
  std::optional<booking::AppointmentId> held;
  std::thread hold([&] {
    auto done = db().WithTransaction([&](Session&) -> Status {
      SqlAppointmentRepository appointments(db(), clock_);
      booking::Appointment a;
      a.customer_id = customer.id;
      a.starts_at = clock_.Now() + kDay;
      a.ends_at = a.starts_at + hours(1);
      a.status = "pending_sync";
      auto created = appointments.Create(company, a);
      if (!created) return tl::unexpected(created.error());
      held = created->id;
      linked.Arrive();  // open until the purge waits for it
      return Ok();
    });
    EXPECT_TRUE(done.has_value()) << done.error().message;
  });
  if (!linked.WaitForArrival()) {
    linked.Open();
    hold.join();
    FAIL() << "the hold never linked its appointment";
  }
  Result<PurgeReport> report = Fail(ErrorCode::kInternal, "not run");
  std::thread purge([&] { report = PurgeExpired(db(), clock_.Now(), 500); });
  const bool waits = testing::WaitUntilOneWaitsForALock(db());
  linked.Open();
  hold.join();
  purge.join();
  EXPECT_TRUE(waits) << "the purge never waited for the hold";
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->customers_deleted, 0);
  SqlCustomerRepository customers(db(), clock_);
  EXPECT_TRUE(customers.FindById(company, customer.id).has_value());
  ASSERT_TRUE(held.has_value());
  SqlAppointmentRepository appointments(db(), clock_);
  auto appointment = appointments.FindById(company, *held);
  ASSERT_TRUE(appointment.has_value());
  EXPECT_EQ(appointment->customer_id, customer.id);
  // Once the appointment is past and the customer due again, the purge deletes it.
  clock_.Advance(110 * kDay);
  EXPECT_EQ(Purge().customers_deleted, 1);
}

// Two due customers, and another transaction holds the second one's row while the purge runs:
// the purge waits for it with the first one's deletion already committed, so it holds no row
// another writer (a webhook linking a call to the first) could be waiting for.
TEST_P(PostgresRetentionTest, EachDeletedCustomerIsCommittedBeforeThePurgeGoesOn) {
  const CompanyId company = NewCompany("praxis", 30, 100);
  const auto first = NewCustomer(company, "+4915111111111");
  const auto second = NewCustomer(company, "+4915122222222");
  clock_.Advance(110 * kDay);
  callgate::testing::Gate locked;
  std::thread holder([&] {
    auto done = db().WithTransaction([&](Session& s) -> Status {
      s.Query("id", "FROM customers WHERE id = :id FOR UPDATE", Params().Add(second.id.value),
              [](const Row&) {});
      locked.Arrive();  // open until the purge waits for the row
      return Ok();
    });
    EXPECT_TRUE(done.has_value()) << done.error().message;
  });
  if (!locked.WaitForArrival()) {
    locked.Open();
    holder.join();
    FAIL() << "the second customer's row was never locked";
  }
  Result<PurgeReport> report = Fail(ErrorCode::kInternal, "not run");
  std::thread purge([&] { report = PurgeExpired(db(), clock_.Now(), 500); });
  const bool waits = testing::WaitUntilOneWaitsForALock(db());
  SqlCustomerRepository customers(db(), clock_);
  const auto first_now = customers.FindById(company, first.id);
  const bool first_gone_while_waiting =
      !first_now.has_value() && first_now.error().code == ErrorCode::kNotFound;
  locked.Open();
  holder.join();
  purge.join();
  EXPECT_TRUE(waits) << "the purge never waited for the second customer";
  EXPECT_TRUE(first_gone_while_waiting) << "the first deletion was not committed yet";
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->customers_deleted, 2);
  EXPECT_FALSE(customers.FindById(company, second.id).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresRetentionTest,
                         ::testing::Values(std::string("postgresql")), testing::BackendName);

}  // namespace
}  // namespace callgate::storage
