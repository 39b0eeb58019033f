// A slot held for a caller, on the SQL repositories.
// - BookingService::PendingBookingFailed against PostgreSQL (directly and through PgBouncer): it
//   reads the held appointment locked, in the transaction that releases it. A change another
//   transaction commits while the job fails (a caller's cancel, an erasure) is read, not
//   overwritten with what was read before it: a cancelled appointment gets no callback, and an
//   erased caller is neither linked to the appointment again nor put into a callback.
// - The pending-booking job on a worker: a release that cannot be written keeps the job queued.
// - `callgate jobs resume-booking` on every backend.
// - BookingService::BookAppointment on every backend: a new caller becomes a customer in the
//   hold's own transaction, so a booking refused because the slot is held stores no customer;
//   on PostgreSQL a hold and a company purge running together both finish (no lock cycle).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "app/pending_booking_job.hpp"
#include "app/queue_commands.hpp"
#include "booking/booking_service.hpp"
#include "booking/testing/in_memory.hpp"
#include "core/testing/gate.hpp"
#include "crypto/testing/test_keyring.hpp"
#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/company_data.hpp"
#include "queue/database_job_queue.hpp"
#include "queue/job_registry.hpp"
#include "queue/worker_pool.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::app {
namespace {

constexpr const char* kErika = "+4915112345678";

// The SQL customers, with `after_upsert` run after each upsert (inside the caller's transaction).
class PausingCustomers final : public tenancy::CustomerRepository {
 public:
  explicit PausingCustomers(tenancy::CustomerRepository& real) : real_(real) {}
  std::function<void()> after_upsert;

  Result<tenancy::Customer> Create(tenancy::CompanyId company,
                                   const tenancy::Customer& customer) override {
    return real_.Create(company, customer);
  }
  Result<tenancy::Customer> Upsert(tenancy::CompanyId company,
                                   const tenancy::CustomerDetails& details) override {
    auto upserted = real_.Upsert(company, details);
    if (after_upsert) after_upsert();
    return upserted;
  }
  Status TouchLastCall(tenancy::CompanyId company, tenancy::CustomerId id,
                       SystemTimePoint at) override {
    return real_.TouchLastCall(company, id, at);
  }
  Result<tenancy::Customer> FindById(tenancy::CompanyId company, tenancy::CustomerId id) override {
    return real_.FindById(company, id);
  }
  Result<tenancy::Customer> FindByPhone(tenancy::CompanyId company,
                                        std::string_view phone) override {
    return real_.FindByPhone(company, phone);
  }
  Result<std::vector<tenancy::Customer>> ListForCompany(tenancy::CompanyId company) override {
    return real_.ListForCompany(company);
  }

 private:
  tenancy::CustomerRepository& real_;
};

// A company with Erika as its customer and one slot held for her (pending_sync).
class HeldAppointmentTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    companies_ = std::make_unique<storage::SqlCompanyRepository>(db(), clock_);
    branches_ = std::make_unique<storage::SqlBranchRepository>(db(), clock_);
    services_ = std::make_unique<storage::SqlServiceRepository>(db(), clock_);
    customers_ = std::make_unique<storage::SqlCustomerRepository>(db(), clock_);
    appointments_ = std::make_unique<storage::SqlAppointmentRepository>(db(), clock_);
    callbacks_ = std::make_unique<storage::SqlCallbackRequestRepository>(db(), clock_);
    transactions_ = std::make_unique<storage::DatabaseTransactionRunner>(db());
    service_ = std::make_unique<booking::BookingService>(
        booking::testing::TestBookingSettings(), calendar_, *companies_, *services_, *branches_,
        *customers_, *appointments_, *callbacks_, pending_, *transactions_, clock_, metrics_);

    tenancy::Company c;
    c.name = "Praxis Sonnenschein";
    c.slug = "sonnenschein";
    company_ = companies_->Create(c).value().id;
    tenancy::Branch b;
    b.name = "Mitte";
    branch_ = branches_->Create(company_, b).value().id;
    const auto branch = branch_;
    tenancy::Service s;
    s.name = "Erstberatung";
    s.branch_id = branch;
    s.calcom_event_type_id = 1001;
    const auto service = services_->Create(company_, s).value().id;
    tenancy::Customer erika;
    erika.name = "Erika Mustermann";
    erika.phone_e164 = kErika;
    customer_ = customers_->Create(company_, erika).value().id;

    booking::Appointment held;
    held.branch_id = branch;
    held.service_id = service;
    held.customer_id = customer_;
    held.starts_at = clock_.Now() + std::chrono::hours(24);
    held.ends_at = held.starts_at + std::chrono::minutes(30);
    held.timezone = "Europe/Berlin";
    held.status = std::string(booking::kPendingSync);
    held.idempotency_key = "held-by-a-call";
    appointment_ = appointments_->Create(company_, held).value().id;
  }

  // Runs `sql` in a transaction that stays open while `job` runs, and commits once the job
  // waits for the appointment's row. The job's outcome.
  Status WhileAChangeIsOpen(const std::string& sql, const std::function<Status()>& job) {
    callgate::testing::Gate held;
    std::thread holder([&] {
      auto done = db().WithTransaction([&](storage::Session& s) -> Status {
        s.Execute(sql, storage::Params().Add(appointment_.value));
        held.Arrive();  // open until the job waits for the row
        return Ok();
      });
      EXPECT_TRUE(done.has_value()) << done.error().message;
    });
    if (!held.WaitForArrival()) {
      held.Open();
      holder.join();
      return Fail(ErrorCode::kInternal, "the change was never written: " + sql);
    }
    Status outcome;
    std::thread running([&] { outcome = job(); });
    // The job reaches the row the open transaction holds.
    const bool waits = storage::testing::WaitUntilOneWaitsForALock(db());
    held.Open();
    holder.join();
    running.join();
    EXPECT_TRUE(waits) << "the job never waited for the appointment's row";
    return outcome;
  }
  // The job fails for good while `sql` is open.
  Status FailTheJobWhile(const std::string& sql) {
    return WhileAChangeIsOpen(sql, [&] {
      return service_->PendingBookingFailed({company_, appointment_, 1001},
                                            Error{ErrorCode::kConflict, "slot taken"});
    });
  }

  std::int64_t Count(const std::string& table, const std::string& where) {
    std::int64_t n = -1;
    auto done = db().Run([&](storage::Session& s) -> Status {
      s.Query("COUNT(*) AS n", "FROM " + table + " WHERE " + where, {},
              [&](const storage::Row& row) { n = row.Int64("n"); });
      return Ok();
    });
    EXPECT_TRUE(done.has_value());
    return n;
  }

  // A booking of Erstberatung tomorrow (Friday; Erika's slot is at 10:00 Berlin) at `time` by a
  // caller from `number`, through BookingService on these repositories.
  Result<booking::BookOutcome> Book(const std::string& number, const std::string& time,
                                    const std::string& key) {
    return Book(*service_, number, time, key);
  }
  Result<booking::BookOutcome> Book(booking::BookingService& service, const std::string& number,
                                    const std::string& time, const std::string& key) {
    booking::CallContext ctx;
    ctx.company = companies_->FindById(company_).value();
    ctx.branch = branches_->FindById(company_, branch_).value();
    ctx.branch->business_hours = booking::testing::Hours();
    ctx.caller_e164 = number;
    ctx.timezone = "Europe/Berlin";
    booking::AppointmentRequest request;
    request.wish = booking::SlotWish{booking::ServiceChoice{"Erstberatung", ""}, "morgen", time};
    request.contact.name = "Max Muster";
    return service.BookAppointment(ctx, request, key);
  }

  booking::Appointment Stored() { return appointments_->FindById(company_, appointment_).value(); }

  booking::testing::WriteObserver scope_;
  booking::testing::Calendar calendar_;
  booking::testing::PendingBookings pending_{scope_};
  observability::Metrics metrics_;
  std::unique_ptr<storage::SqlCompanyRepository> companies_;
  std::unique_ptr<storage::SqlBranchRepository> branches_;
  std::unique_ptr<storage::SqlServiceRepository> services_;
  std::unique_ptr<storage::SqlCustomerRepository> customers_;
  std::unique_ptr<storage::SqlAppointmentRepository> appointments_;
  std::unique_ptr<storage::SqlCallbackRequestRepository> callbacks_;
  std::unique_ptr<storage::DatabaseTransactionRunner> transactions_;
  std::unique_ptr<booking::BookingService> service_;
  tenancy::CompanyId company_;
  tenancy::BranchId branch_;
  tenancy::CustomerId customer_;
  booking::AppointmentId appointment_;
};

using PendingBookingFailedTest = HeldAppointmentTest;

TEST_P(PendingBookingFailedTest, ACancelCommittedMeanwhileIsKeptAndGetsNoCallback) {
  ASSERT_TRUE(
      FailTheJobWhile("UPDATE appointments SET status = 'cancelled', notes = "
                      "'cancelled by the caller' WHERE id = :id"));
  EXPECT_EQ(Stored().status, booking::kCancelled);
  EXPECT_EQ(Stored().notes, "cancelled by the caller");
  EXPECT_EQ(Count("callback_requests", "1 = 1"), 0);
}

TEST_P(PendingBookingFailedTest, AnErasureCommittedMeanwhileStays) {
  ASSERT_TRUE(FailTheJobWhile(
      "UPDATE appointments SET customer_id = NULL, notes = '', erased_at = updated_at "
      "WHERE id = :id"));
  EXPECT_FALSE(Stored().customer_id.has_value());
  EXPECT_TRUE(Stored().erased_at.has_value());
  // Released with its callback (the practice still learns that a held slot was given up), but
  // the callback names no one.
  EXPECT_EQ(Stored().status, booking::kCancelled);
  EXPECT_EQ(Count("callback_requests", "customer_id IS NULL AND phone = ''"), 1);
  EXPECT_EQ(Count("callback_requests", "customer_id IS NOT NULL OR phone <> ''"), 0);
}

// Without a concurrent change the job releases the slot and notes Erika's callback.
TEST_P(PendingBookingFailedTest, AloneItReleasesTheSlotWithACallback) {
  ASSERT_TRUE(service_->PendingBookingFailed({company_, appointment_, 1001},
                                             Error{ErrorCode::kConflict, "slot taken"}));
  EXPECT_EQ(Stored().status, booking::kCancelled);
  EXPECT_EQ(Stored().customer_id, customer_);
  EXPECT_EQ(Count("callback_requests", "phone = '" + std::string(kErika) + "'"), 1);
}

// The job books the slot at Cal.com while the caller's cancel is open: the cancel stays, and
// the booking Cal.com just made goes again, rather than the appointment becoming booked.
TEST_P(PendingBookingFailedTest, ACancelCommittedWhileCalcomBooksStaysAndTheBookingGoes) {
  ASSERT_TRUE(WhileAChangeIsOpen(
      "UPDATE appointments SET status = 'cancelled', notes = 'cancelled by the caller' "
      "WHERE id = :id",
      [&] {
        return service_->RunPendingBooking({company_, appointment_, 1001});
      }));
  EXPECT_EQ(Stored().status, booking::kCancelled);
  EXPECT_FALSE(Stored().calcom_booking_uid.has_value());
  ASSERT_EQ(calendar_.created.size(), 1u);
  ASSERT_EQ(calendar_.cancelled.size(), 1u);
  EXPECT_EQ(Count("callback_requests", "1 = 1"), 0);
}

// Undisturbed, the job finishes the appointment with the booking it made.
TEST_P(PendingBookingFailedTest, AloneTheJobBooksTheHeldSlot) {
  ASSERT_TRUE(service_->RunPendingBooking({company_, appointment_, 1001}));
  EXPECT_EQ(Stored().status, booking::kBooked);
  EXPECT_TRUE(Stored().calcom_booking_uid.has_value());
  EXPECT_TRUE(calendar_.cancelled.empty());
}

// The job type as registered, on a worker: Cal.com stays away through its ten tries, and the
// slot's release cannot be written the first time. The job stays queued rather than failing
// with the slot held and no callback; its next run goes back to the release (not to Cal.com,
// which is back by then), and the caller gets the callback.
TEST_P(PendingBookingFailedTest, AReleaseThatCannotBeWrittenKeepsTheJobUntilItIs) {
  queue::JobRegistry registry;
  ASSERT_TRUE(RegisterPendingBookingJob(registry, *service_));
  queue::DatabaseJobQueue jobs(db(), clock_);
  QueuedPendingBookings queued(jobs);
  ASSERT_TRUE(queued.Enqueue({company_, appointment_, 1001}, std::chrono::seconds(0)));
  queue::WorkerPool worker(jobs, registry, clock_, {});
  const auto run = [&] {
    auto outcome = worker.RunOnce();
    EXPECT_TRUE(outcome.has_value()) << outcome.error().message;
    return outcome.value_or(std::nullopt);
  };

  calendar_.create_error = Error{ErrorCode::kUnavailable, "Cal.com away"};
  {
    const storage::testing::TableAway unwritable(db(), "callback_requests");
    for (int attempt = 1; attempt < 10; ++attempt) {
      ASSERT_EQ(run(), queue::JobOutcome::kRetried) << "attempt " << attempt;
      clock_.Advance(std::chrono::minutes(5));
    }
    EXPECT_EQ(run(), queue::JobOutcome::kHookFailed);
    EXPECT_EQ(Stored().status, booking::kPendingSync);
    EXPECT_EQ(Count("failed_jobs", "1 = 1"), 0);
  }
  EXPECT_EQ(Count("callback_requests", "1 = 1"), 0);

  calendar_.create_error.reset();
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(run(), queue::JobOutcome::kFailed);
  EXPECT_TRUE(calendar_.created.empty()) << "the job booked after it had failed for good";
  EXPECT_EQ(Stored().status, booking::kCancelled);
  EXPECT_EQ(Count("callback_requests", "phone = '" + std::string(kErika) + "'"), 1);
  EXPECT_EQ(Count("failed_jobs", "1 = 1"), 1);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(run(), std::nullopt);
}

// `callgate jobs resume-booking`: the held appointment's job, gone, is queued again; the command
// refuses another company's id for it and an appointment that is no longer held.
using ResumeBookingCommandTest = HeldAppointmentTest;

TEST_P(ResumeBookingCommandTest, QueuesTheJobOfAHeldAppointmentAgain) {
  Config config;
  config.database_url = test_database().UrlText();
  config.keyring = crypto::testing::TestKeyring();
  JobsCommandOptions options;
  options.action = "resume-booking";
  options.target = std::to_string(appointment_.value);
  options.company = company_.value + 1;
  const std::string job = "type = 'calcom_pending_booking'";  // the database has no other
  EXPECT_EQ(RunJobsCommand(config, clock_, options), 1);      // not that company's
  options.company = company_.value;
  options.target = "x";
  EXPECT_EQ(RunJobsCommand(config, clock_, options), 2);  // bad usage
  EXPECT_EQ(Count("jobs", job), 0);

  options.target = std::to_string(appointment_.value);
  EXPECT_EQ(RunJobsCommand(config, clock_, options), 0);
  EXPECT_EQ(Count("jobs", job + " AND queue = 'high'"), 1);

  // Booked meanwhile: nothing to resume.
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
    s.Execute("UPDATE appointments SET status = 'booked' WHERE id = :id",
              storage::Params().Add(appointment_.value));
    return Ok();
  }));
  EXPECT_EQ(RunJobsCommand(config, clock_, options), 1);
  EXPECT_EQ(Count("jobs", job), 1);
}

// A new caller asks for Erika's held slot: refused as booked, and nothing of them is stored.
using BookingHoldTest = HeldAppointmentTest;

TEST_P(BookingHoldTest, ACallerRefusedForAHeldSlotIsNotStoredAsACustomer) {
  const std::string max = "+4917611111111";
  auto refused = Book(max, "10 Uhr", "max-at-ten");
  ASSERT_TRUE(refused) << refused.error().message;
  const auto* not_free = std::get_if<booking::book::NotFree>(&refused->result);
  ASSERT_NE(not_free, nullptr) << "index " << refused->result.index();
  EXPECT_EQ(not_free->taken.why, booking::availability::NotFree::kBooked);
  EXPECT_EQ(Count("customers", "phone_e164 = '" + max + "'"), 0);
  EXPECT_EQ(Count("appointments", "1 = 1"), 1);
}

// The same caller at a free time: held, and the appointment is theirs.
TEST_P(BookingHoldTest, ACallerWhoseHoldSucceedsOwnsTheAppointment) {
  const std::string max = "+4917611111111";
  auto booked = Book(max, "11 Uhr", "max-at-eleven");
  ASSERT_TRUE(booked) << booked.error().message;
  const auto* held = std::get_if<booking::book::Booked>(&booked->result);
  ASSERT_NE(held, nullptr) << "index " << booked->result.index();
  auto max_row = customers_->FindByPhone(company_, max);
  ASSERT_TRUE(max_row) << max_row.error().message;
  EXPECT_EQ(max_row->name, "Max Muster");
  EXPECT_EQ(held->appointment.customer_id, max_row->id);
  EXPECT_EQ(Count("appointments", "customer_id = " + std::to_string(max_row->id.value)), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, BookingHoldTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

// Erika books again while her (deactivated) company is purged. Her hold stops right after her
// customer row is written; the purge starts then and must wait for the hold. The hold took the
// company's reference first (the slot), as the purge does (its company lock, then the
// customers), so both finish instead of PostgreSQL ending one of them as a deadlock.
using PostgresBookingHoldTest = HeldAppointmentTest;

TEST_P(PostgresBookingHoldTest, AHoldAndACompanyPurgeBothFinish) {
  ASSERT_TRUE(companies_->Update(company_, [](tenancy::Company& c) -> Status {
    c.is_active = false;
    return Ok();
  }));
  PausingCustomers customers(*customers_);
  booking::BookingService service(booking::testing::TestBookingSettings(), calendar_, *companies_,
                                  *services_, *branches_, customers, *appointments_, *callbacks_,
                                  pending_, *transactions_, clock_, metrics_);
  callgate::testing::Gate upserted;
  customers.after_upsert = [&] { upserted.Arrive(); };
  Result<booking::BookOutcome> booked = Fail(ErrorCode::kInternal, "not run");
  std::thread hold([&] { booked = Book(service, kErika, "11 Uhr", "erika-again"); });
  if (!upserted.WaitForArrival()) {
    upserted.Open();
    hold.join();
    FAIL() << "the hold never upserted its caller: "
           << (booked ? std::string("booked") : booked.error().message);
  }
  privacy::SqlAuditLog audit(db(), clock_);
  const tenancy::Company company = companies_->FindById(company_).value();
  Result<privacy::CompanyPurgeReport> purged = Fail(ErrorCode::kInternal, "not run");
  std::thread purge([&] {
    purged = privacy::PurgeCompanyData(db(), audit, company, {"system", {}}, clock_);
  });
  const bool waits = storage::testing::WaitUntilOneWaitsForALock(db());
  upserted.Open();
  hold.join();
  purge.join();
  EXPECT_TRUE(waits) << "the purge never waited for the hold";
  ASSERT_TRUE(booked.has_value()) << booked.error().message;
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(Count("customers", "1 = 1"), 0);
  EXPECT_EQ(Count("appointments", "customer_id IS NOT NULL"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresBookingHoldTest,
                         ::testing::Values(std::string("postgresql")),
                         storage::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, ResumeBookingCommandTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, PendingBookingFailedTest,
                         ::testing::Values(std::string("postgresql"), std::string("pgbouncer")),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::app
