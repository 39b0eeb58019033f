// The privacy purge as the daily job runs it, with the fake clock: what it deletes (call content,
// appointment notes, caller numbers, callback requests), its counters per kind, its audit entry,
// and the audit log's own retention.
#include "app/privacy_commands.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/testing/test_keyring.hpp"
#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::app {
namespace {

using std::chrono::hours;

class PrivacyPurgeTest : public storage::testing::DatabaseTest {
 protected:
  // Company "praxis", keeping calls for `retention_days` and customers for
  // `customer_retention_days`.
  tenancy::Company Praxis(int retention_days = 30, int customer_retention_days = 365) {
    storage::SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = "Praxis";
    c.slug = "praxis";
    c.retention_days = retention_days;
    c.customer_retention_days = customer_retention_days;
    auto company = companies.Create(c);
    EXPECT_TRUE(company.has_value()) << company.error().message;
    return company.value_or(c);
  }

  // Company "praxis" with one customer at +4915112345678 named `name`.
  tenancy::Company PraxisWithCustomer(const std::string& name) {
    auto company = Praxis();
    storage::SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer customer;
    customer.phone_e164 = "+4915112345678";
    customer.name = name;
    EXPECT_TRUE(customers.Create(company.id, customer).has_value());
    return company;
  }

  std::int64_t Count(const std::string& from_where) {
    auto n = db().Run([&](storage::Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("COUNT(*) AS n", from_where, {}, [&](const storage::Row& r) { out = r.Int64("n"); });
      return out;
    });
    EXPECT_TRUE(n.has_value());
    return n.value_or(-1);
  }

  // The configuration a command run on this database gets.
  Config CommandConfig() {
    Config config;
    config.database_url = test_database().UrlText();
    config.keyring = crypto::testing::TestKeyring();
    return config;
  }
};

TEST_P(PrivacyPurgeTest, CountsWhatItDeletedPerKindAndAuditsItself) {
  const auto company = Praxis(7, 30);
  ASSERT_NE(company.id.value, 0);
  storage::SqlCallRepository calls(db(), clock_);
  calls::CallUpdate u;
  u.retell_call_id = "call-old";
  u.status = "ended";
  u.started_at = clock_.Now();
  u.from_number = "+4915112345678";
  u.transcript = "User: Hallo";
  u.final_transcript = true;
  ASSERT_TRUE(calls.Upsert(company.id, u).has_value());
  storage::SqlAppointmentRepository appointments(db(), clock_);
  booking::Appointment appointment;
  appointment.starts_at = clock_.Now();
  appointment.ends_at = clock_.Now() + hours(1);
  appointment.status = "booked";
  appointment.notes = "bitte nüchtern kommen";
  ASSERT_TRUE(appointments.Create(company.id, appointment).has_value());
  storage::SqlCallbackRequestRepository callbacks(db(), clock_);
  booking::CallbackRequest callback;
  callback.phone = "+4915112345678";
  callback.reason = "Befund besprechen";
  ASSERT_TRUE(callbacks.Create(company.id, callback).has_value());
  privacy::SqlAuditLog audit(db(), clock_);
  ASSERT_TRUE(
      audit.Append({0, company.id.value, "user:1", "customers.list", "", "", {}, {}}).has_value());

  const auto fail_job = [&] {
    ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                      const auto now = clock_.Now();
                      s.Execute(
                          "INSERT INTO failed_jobs (company_id, queue, type, payload, attempts, "
                          "error, failed_at, created_at, updated_at) VALUES (:c, 'high', "
                          "'pending_booking', '{}', 3, 'refused', :f, :cr, :u)",
                          storage::Params().Add(company.id.value).Add(now).Add(now).Add(now));
                      return Ok();
                    })
                    .has_value());
  };
  fail_job();

  observability::Metrics metrics;
  const PrivacyPurgeSettings settings{30, 20};
  // The call and the notes are due, the audit entry and the failed job are not.
  clock_.Advance(hours(24 * 8));
  auto first = PurgePersonalData(db(), audit, clock_, settings, &metrics);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->calls_cleared, 1);
  EXPECT_EQ(first->appointment_notes_cleared, 1);
  EXPECT_EQ(first->caller_numbers_cleared, 0);
  EXPECT_EQ(first->callback_requests_deleted, 0);
  EXPECT_EQ(first->audit_events_deleted, 0);
  EXPECT_EQ(first->failed_jobs_deleted, 0);
  // Now both audit entries are older than 30 days, the number and the callback request older
  // than customer_retention_days, and the first failed job older than 20 days; a job that
  // failed just now stays.
  clock_.Advance(hours(24 * 31));
  fail_job();
  auto second = PurgePersonalData(db(), audit, clock_, settings, &metrics);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->calls_cleared, 0);
  EXPECT_EQ(second->appointment_notes_cleared, 0);
  EXPECT_EQ(second->caller_numbers_cleared, 1);
  EXPECT_EQ(second->callback_requests_deleted, 1);
  EXPECT_EQ(second->audit_events_deleted, 2);  // customers.list and the first purge's entry
  EXPECT_EQ(second->failed_jobs_deleted, 1);
  EXPECT_EQ(Count("FROM failed_jobs"), 1);

  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "call_content"}}), 1);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "appointment_notes"}}), 1);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "customers"}}), 0);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "caller_numbers"}}), 1);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "callback_requests"}}), 1);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "audit_events"}}), 2);
  EXPECT_EQ(metrics.Value(kPrivacyPurgedMetric, {{"kind", "failed_jobs"}}), 1);
  auto entries = audit.List({});
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);  // the second purge's own entry
  EXPECT_EQ((*entries)[0].action, "privacy.purge");
  EXPECT_EQ((*entries)[0].actor, "system");
  EXPECT_EQ(nlohmann::json::parse((*entries)[0].detail),
            (nlohmann::json{{"calls_cleared", 0},
                            {"appointment_notes_cleared", 0},
                            {"customers_deleted", 0},
                            {"caller_numbers_cleared", 1},
                            {"callback_requests_deleted", 1},
                            {"audit_events_deleted", 2},
                            {"failed_jobs_deleted", 1}}));
}

// The end-of-contract command wants the slug twice and a deactivated company, and says what it
// deleted.
TEST_P(PrivacyPurgeTest, PurgeCompanyWantsTheSlugTwiceAndADeactivatedCompany) {
  tenancy::Company company = PraxisWithCustomer("Erika");
  ASSERT_FALSE(HasFailure());
  storage::SqlCompanyRepository companies(db(), clock_);
  storage::SqlCustomerRepository customers(db(), clock_);
  const Config config = CommandConfig();
  auto run = [&](const std::string& confirm, std::string& said) {
    std::ostringstream out, err;
    const int code = RunPrivacyPurgeCompany(config, clock_, {"praxis", confirm}, out, err);
    said = out.str() + err.str();
    return code;
  };
  std::string said;
  EXPECT_EQ(run("praxis-x", said), 1);
  EXPECT_NE(said.find("--confirm must repeat"), std::string::npos) << said;
  EXPECT_EQ(run("praxis", said), 1);
  EXPECT_NE(said.find("deactivate it first"), std::string::npos) << said;
  ASSERT_TRUE(customers.FindByPhone(company.id, "+4915112345678").has_value());
  company.is_active = false;
  ASSERT_TRUE(companies.Update(company.id, tenancy::SetTo(company)).has_value());
  EXPECT_EQ(run("praxis", said), 0) << said;
  EXPECT_NE(said.find("customers deleted: 1"), std::string::npos) << said;
  EXPECT_FALSE(customers.FindByPhone(company.id, "+4915112345678").has_value());
}

// The company's export before its purge: a complete document in a file only its owner can read,
// a summary of what it holds; an existing file is never overwritten, and a failed run leaves
// no file behind.
TEST_P(PrivacyPurgeTest, ExportCompanyWritesAPrivateFileAndNeverOverwritesOne) {
  PraxisWithCustomer("Erika");
  ASSERT_FALSE(HasFailure());
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("callgate-export-" + std::to_string(::getpid()) + "-" + GetParam());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "praxis.json").string();
  const Config config = CommandConfig();
  auto run = [&](const std::string& slug, std::string& said) {
    std::ostringstream out, err;
    const int code = RunPrivacyExportCompany(config, clock_, {slug, file, 500}, out, err);
    said = out.str() + err.str();
    return code;
  };
  std::string said;
  EXPECT_EQ(run("nobody", said), 1);
  EXPECT_NE(said.find("no company with slug"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".partial"));

  ASSERT_EQ(run("praxis", said), 0) << said;
  EXPECT_NE(said.find("customers: 1\n"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(file + ".partial"));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::ifstream in(file);
  const auto document_on_disk = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(document_on_disk.is_discarded());
  ASSERT_EQ(document_on_disk["customers"].size(), 1u);
  EXPECT_EQ(document_on_disk["customers"][0]["name"], "Erika");
  const auto written = fs::last_write_time(file);

  EXPECT_EQ(run("praxis", said), 1);
  EXPECT_NE(said.find("exists"), std::string::npos) << said;
  EXPECT_EQ(fs::last_write_time(file), written);

  // Without a file the document goes to standard output and the progress to standard error.
  std::ostringstream document, progress;
  ASSERT_EQ(RunPrivacyExportCompany(config, clock_, {"praxis", "", 500}, document, progress), 0)
      << progress.str();
  const auto printed = nlohmann::json::parse(document.str(), nullptr, false);
  ASSERT_FALSE(printed.is_discarded()) << document.str();
  EXPECT_EQ(printed["customers"], document_on_disk["customers"]);
  EXPECT_NE(progress.str().find("customers: 1\n"), std::string::npos) << progress.str();

  // A run that fails while writing (a value sealed under a key no longer configured) leaves
  // neither the file nor its partial one.
  fs::remove(file);
  ASSERT_TRUE(db().Run([](storage::Session& s) -> Status {
                    s.Execute("UPDATE customers SET notes = 'enc:v1:0badc0de:AAAAAAAAAAAAAAAA'");
                    return Ok();
                  })
                  .has_value());
  EXPECT_EQ(run("praxis", said), 1);
  EXPECT_FALSE(fs::exists(file)) << said;
  EXPECT_FALSE(fs::exists(file + ".partial")) << said;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyPurgeTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

// An access request is answered even when a stored text ends in half a character (an older
// version cut callers' names by bytes): such bytes come out as U+FFFD; the command aborted.
// SQLite only: PostgreSQL refuses invalid UTF-8 when it is written.
// (What only SQLite can show: its files, and text PostgreSQL would refuse.)
class PrivacyCommandsSqliteTest : public PrivacyPurgeTest {};

TEST_P(PrivacyCommandsSqliteTest, ExportWritesABrokenStoredCharacterInsteadOfAborting) {
  PraxisWithCustomer("Erika \xC3");
  ASSERT_FALSE(HasFailure());
  std::ostringstream out, err;
  EXPECT_EQ(RunPrivacyExport(CommandConfig(), clock_, {"praxis", "0151 12345678", false}, out, err),
            0)
      << err.str();
  EXPECT_NE(out.str().find("\"Erika \xEF\xBF\xBD\""), std::string::npos) << out.str();
}

// The daily purge deletes callers' numbers (stored in clear text, they are the lookup key):
// no copy of them stays in SQLite's database file or its write-ahead log afterwards, as after
// an erase.
TEST_P(PrivacyCommandsSqliteTest, PurgedNumbersLeaveNoTraceInTheDatabaseFiles) {
  const auto company = Praxis(30, 30);
  ASSERT_NE(company.id.value, 0);
  const std::string number = "+4915199990000";
  storage::SqlCustomerRepository customers(db(), clock_);
  tenancy::Customer customer;
  customer.phone_e164 = number;
  ASSERT_TRUE(customers.Create(company.id, customer).has_value());
  storage::SqlCallRepository calls(db(), clock_);
  calls::CallUpdate u;
  u.retell_call_id = "call-old";
  u.status = "ended";
  u.started_at = clock_.Now();
  u.from_number = number;
  ASSERT_TRUE(calls.Upsert(company.id, u).has_value());
  storage::SqlCallbackRequestRepository callbacks(db(), clock_);
  booking::CallbackRequest callback;
  callback.phone = number;
  callback.reason = "Befund";
  ASSERT_TRUE(callbacks.Create(company.id, callback).has_value());
  const auto files = [&] {
    std::string bytes;
    for (const std::string suffix : {"", "-wal"}) {
      std::ifstream in(test_database().url().path + suffix, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      bytes += text.str();
    }
    return bytes;
  };
  ASSERT_NE(files().find("4915199990000"), std::string::npos);  // the search would find it

  clock_.Advance(hours(24 * 31));
  privacy::SqlAuditLog audit(db(), clock_);
  auto purged = PurgePersonalData(db(), audit, clock_, {}, nullptr);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(purged->customers_deleted, 1);
  EXPECT_EQ(purged->caller_numbers_cleared, 1);
  EXPECT_EQ(purged->callback_requests_deleted, 1);
  EXPECT_EQ(files().find("4915199990000"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, PrivacyCommandsSqliteTest, ::testing::Values("sqlite"),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::app
