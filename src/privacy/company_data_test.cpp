// The end of a company's contract on both backends: the company's personal data is exported as
// one document (opened, page by page, no other company's rows); a deactivated company's personal
// data is deleted or cleared in one step, what billing and accountability need stays, another
// company's rows are untouched, an active company is refused, and a second run finds nothing.
#include "privacy/company_data.hpp"

#include <gtest/gtest.h>

#include <future>
#include <sstream>

#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::privacy {
namespace {

using storage::Params;
using storage::Row;
using storage::Session;
using tenancy::CompanyId;

class CompanyDataTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    storage::testing::DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    audit_ = std::make_unique<SqlAuditLog>(db(), clock_);
    leaving_ = Company("praxis-ende", "+4915111111111", "Erika Ende");
    staying_ = Company("salon-bleibt", "+4915122222222", "Otto Bleibt");
  }

  // A company with a customer, a call with content, an appointment with notes, a callback
  // request, a user with an API token, a raw webhook event, a queued job, an outbox entry, a
  // failed job and platform credentials, all about `caller`.
  tenancy::Company Company(const std::string& slug, const std::string& caller,
                           const std::string& name) {
    storage::SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = slug;
    c.slug = slug;
    c.calcom_api_key = Secret("cal_" + slug);
    c.retell_api_key = Secret("key_" + slug);
    auto created = companies.Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    if (!created) return c;
    const CompanyId id = created->id;
    storage::SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer customer;
    customer.phone_e164 = caller;
    customer.name = name;
    auto stored = customers.Create(id, customer);
    EXPECT_TRUE(stored.has_value());
    storage::SqlCallRepository calls(db(), clock_);
    calls::CallUpdate u;
    u.retell_call_id = "call-" + slug;
    u.from_number = caller;
    if (stored) u.customer_id = stored->id;
    u.status = "ended";
    u.started_at = clock_.Now() - std::chrono::hours(2);
    u.duration_ms = 120000;
    u.transcript = "User: Ich bin " + name;
    u.final_transcript = true;
    u.summary = "Termin für " + name;
    u.metadata_json = R"({"caller_name":")" + name + R"("})";
    u.retell_cost_cents = 42;
    auto call = calls.Upsert(id, u);
    EXPECT_TRUE(call.has_value());
    storage::SqlServiceRepository services(db(), clock_);
    tenancy::Service service;
    service.name = "Beratung " + slug;
    auto offered = services.Create(id, service);
    EXPECT_TRUE(offered.has_value()) << offered.error().message;
    storage::SqlAppointmentRepository appointments(db(), clock_);
    booking::Appointment a;
    if (offered) a.service_id = offered->id;
    if (stored) a.customer_id = stored->id;
    if (call) a.call_id = call->id;
    a.starts_at = clock_.Now() - std::chrono::hours(24);
    a.ends_at = a.starts_at + std::chrono::minutes(30);
    a.status = "completed";
    a.notes = "Knie röntgen (" + name + ")";
    EXPECT_TRUE(appointments.Create(id, a).has_value());
    storage::SqlCallbackRequestRepository callbacks(db(), clock_);
    booking::CallbackRequest cb;
    cb.phone = caller;
    cb.name = name;
    cb.reason = "Befund für " + name;
    EXPECT_TRUE(callbacks.Create(id, cb).has_value());
    storage::SqlWebhookEventRepository events(db(), clock_);
    calls::WebhookEventRecord e;
    e.company_id = id;
    e.source = "retell";
    e.event = "call_ended";
    e.dedupe_key = "retell:call_ended:call-" + slug;
    e.payload_json = R"({"from_number":")" + caller + R"("})";
    EXPECT_TRUE(events.Record(e).has_value());
    const std::string payload = R"({"company_id":)" + std::to_string(id.value) + "}";
    auto inserted = db().Run([&](Session& s) -> Status {
      const auto now = clock_.Now();
      s.Execute(
          "INSERT INTO users (company_id, email, name, password_hash, role, is_active, "
          "created_at, updated_at) VALUES (:c, :email, :name, 'x', 'company_admin', 1, :cr, :u)",
          Params().Add(id.value).Add(slug + "@example.org").Add(name).Add(now).Add(now));
      s.Execute(
          "INSERT INTO api_tokens (user_id, name, token_hash, abilities, created_at, "
          "updated_at) SELECT id, 'cli', :hash, '[]', :cr, :u FROM users WHERE email = :email",
          Params().Add("hash-" + slug).Add(now).Add(now).Add(slug + "@example.org"));
      s.Execute(
          "INSERT INTO jobs (company_id, queue, type, payload, available_at, created_at, "
          "updated_at) VALUES (:c, 'default', 'call_analysis', :p, :a, :cr, :u)",
          Params().Add(id.value).Add(payload).Add(now).Add(now).Add(now));
      s.Execute(
          "INSERT INTO job_outbox (queue, type, payload, available_at, created_at) "
          "VALUES ('default', 'call_analysis', :p, :a, :c)",
          Params().Add(payload).Add(now).Add(now));
      s.Execute(
          "INSERT INTO failed_jobs (company_id, queue, type, payload, attempts, error, "
          "failed_at, created_at, updated_at) VALUES (NULL, 'high', 'pending_booking', :p, 3, "
          "'refused', :f, :cr, :u)",
          Params().Add(payload).Add(now).Add(now).Add(now));
      return Ok();
    });
    EXPECT_TRUE(inserted.has_value()) << inserted.error().message;
    return *created;
  }

  void Deactivate(tenancy::Company& company) {
    storage::SqlCompanyRepository companies(db(), clock_);
    company.is_active = false;
    ASSERT_TRUE(companies.Update(company.id, tenancy::SetTo(company)).has_value());
  }

  std::int64_t Count(const std::string& from_where) {
    auto n = db().Run([&](Session& s) -> Result<std::int64_t> {
      std::int64_t out = 0;
      s.Query("COUNT(*) AS n", from_where, {}, [&](const Row& r) { out = r.Int64("n"); });
      return out;
    });
    EXPECT_TRUE(n.has_value()) << n.error().message;
    return n.value_or(-1);
  }

  // The rows holding `company`'s personal data, per table.
  std::vector<std::int64_t> Traces(const tenancy::Company& company) {
    const std::string c = std::to_string(company.id.value);
    const std::string payload = "'{\"company_id\":" + c + "}'";
    return {Count("FROM customers WHERE company_id = " + c),
            Count("FROM calls WHERE company_id = " + c +
                  " AND (from_number IS NOT NULL OR transcript IS NOT NULL OR summary IS NOT "
                  "NULL OR metadata IS NOT NULL OR customer_id IS NOT NULL)"),
            Count("FROM appointments WHERE company_id = " + c +
                  " AND (notes <> '' OR customer_id IS NOT NULL)"),
            Count("FROM callback_requests WHERE company_id = " + c),
            Count("FROM users WHERE company_id = " + c),
            Count("FROM webhook_events WHERE company_id = " + c),
            Count("FROM jobs WHERE company_id = " + c),
            Count("FROM job_outbox WHERE payload = " + payload),
            Count("FROM failed_jobs WHERE payload = " + payload),
            Count("FROM companies WHERE id = " + c + " AND calcom_api_key IS NOT NULL")};
  }

  // A second customer of the leaving company, so that pages of one row are several pages.
  void AddSecondCaller() {
    storage::SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer second;
    second.phone_e164 = "+4915133333333";
    second.name = "Jens Zweit";
    EXPECT_TRUE(customers.Create(leaving_.id, second).has_value());
  }

  std::unique_ptr<SqlAuditLog> audit_;
  tenancy::Company leaving_;
  tenancy::Company staying_;
};

TEST_P(CompanyDataTest, AnActiveCompanyIsRefusedAndKeepsEverything) {
  auto refused = PurgeCompanyData(db(), *audit_, leaving_, {"system", {}}, clock_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Traces(leaving_), std::vector<std::int64_t>(10, 1));
}

TEST_P(CompanyDataTest, ADeactivatedCompanysPersonalDataGoesAndNoOtherCompanysDoes) {
  Deactivate(leaving_);
  const auto others_before = Traces(staying_);
  ASSERT_EQ(others_before, std::vector<std::int64_t>(10, 1));
  // A row's company column decides where it has one, whichever company its payload names.
  const std::string naming_leaving =
      R"({"company_id":)" + std::to_string(leaving_.id.value) + R"(,"note":"x"})";
  auto inserted = db().Run([&](Session& s) -> Status {
    const auto now = clock_.Now();
    s.Execute(
        "INSERT INTO failed_jobs (company_id, queue, type, payload, attempts, error, failed_at, "
        "created_at, updated_at) VALUES (:c, 'high', 'pending_booking', :p, 3, 'refused', :f, "
        ":cr, :u)",
        Params().Add(staying_.id.value).Add(naming_leaving).Add(now).Add(now).Add(now));
    return Ok();
  });
  ASSERT_TRUE(inserted.has_value()) << inserted.error().message;

  auto report = PurgeCompanyData(db(), *audit_, leaving_, {"user:1", "req-1"}, clock_);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->customers_deleted, 1);
  EXPECT_EQ(report->calls_anonymised, 1);
  EXPECT_EQ(report->appointments_cleared, 1);
  EXPECT_EQ(report->callback_requests_deleted, 1);
  EXPECT_EQ(report->users_deleted, 1);
  EXPECT_EQ(report->api_tokens_deleted, 1);
  EXPECT_EQ(report->webhook_events_deleted, 1);
  EXPECT_EQ(report->jobs_deleted, 2);  // the queued job and the outbox entry
  EXPECT_EQ(report->failed_jobs_deleted, 1);
  EXPECT_TRUE(report->credentials_cleared);
  EXPECT_EQ(Traces(leaving_), std::vector<std::int64_t>(10, 0));
  EXPECT_EQ(Traces(staying_), others_before);
  EXPECT_EQ(Count("FROM failed_jobs WHERE company_id = " + std::to_string(staying_.id.value)), 1);
  EXPECT_EQ(Count("FROM api_tokens"), 1);

  // What billing and accountability need stays.
  const std::string c = std::to_string(leaving_.id.value);
  EXPECT_EQ(Count("FROM companies WHERE id = " + c), 1);
  EXPECT_EQ(Count("FROM calls WHERE company_id = " + c +
                  " AND retell_cost_cents = 42 AND duration_ms = 120000"),
            1);
  EXPECT_EQ(Count("FROM appointments WHERE company_id = " + c), 1);
  // Its calls and appointments are marked erased (late deliveries keep nothing); no other's.
  for (const char* table : {"calls", "appointments"}) {
    const std::string erased = std::string("FROM ") + table + " WHERE erased_at IS NOT NULL";
    EXPECT_EQ(Count(erased + " AND company_id = " + c), 1) << table;
    EXPECT_EQ(Count(erased), 1) << table;
  }
  auto entries = audit_->List({leaving_.id.value, "company.purge", {}, {}, {}, {}, 10});
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].actor, "user:1");
  EXPECT_EQ((*entries)[0].target, "company:" + c);
  EXPECT_EQ((*entries)[0].request_id, "req-1");
  EXPECT_EQ(nlohmann::json::parse((*entries)[0].detail), report->ToJson());
  EXPECT_EQ(report->ToJson()["api_tokens_deleted"], 1);
  EXPECT_EQ(report->ToJson()["credentials_cleared"], true);
  EXPECT_NE(report->Describe().find("platform credentials cleared: yes\n"), std::string::npos);

  // A second run finds nothing more.
  auto again = PurgeCompanyData(db(), *audit_, leaving_, {"system", {}}, clock_);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->ToJson()["customers_deleted"], 0);
  EXPECT_EQ(again->calls_anonymised, 0);
  EXPECT_EQ(again->appointments_cleared, 0);
  EXPECT_EQ(again->jobs_deleted + again->failed_jobs_deleted + again->users_deleted, 0);
  EXPECT_FALSE(again->credentials_cleared);
}

TEST_P(CompanyDataTest, TheExportHoldsTheCompanysDataOpenedAndNoOtherCompanys) {
  AddSecondCaller();
  ASSERT_FALSE(HasFailure());
  std::vector<std::pair<std::string, std::int64_t>> progress;
  CompanyExportOptions options;
  options.page_size = 1;
  options.progress = [&](std::string_view table, std::int64_t rows) {
    progress.emplace_back(std::string(table), rows);
  };
  std::ostringstream out;
  auto report =
      ExportCompanyData(db(), *audit_, leaving_, options, out, {"user:1", "req-2"}, clock_);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->customers, 2);
  EXPECT_EQ(report->calls, 1);
  EXPECT_EQ(report->appointments, 1);
  EXPECT_EQ(report->callback_requests, 1);

  const std::string text = out.str();
  const auto document = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << text;
  EXPECT_EQ(document["company"]["slug"], "praxis-ende");
  ASSERT_EQ(document["customers"].size(), 2u);
  EXPECT_EQ(document["customers"][0]["name"], "Erika Ende");
  EXPECT_EQ(document["customers"][1]["phone_e164"], "+4915133333333");
  ASSERT_EQ(document["calls"].size(), 1u);
  // Sealed columns are opened.
  EXPECT_EQ(document["calls"][0]["transcript"], "User: Ich bin Erika Ende");
  EXPECT_EQ(document["calls"][0]["metadata"]["caller_name"], "Erika Ende");
  EXPECT_EQ(document["appointments"][0]["notes"], "Knie röntgen (Erika Ende)");
  // The service is the company's own, named; the appointment names its customer.
  EXPECT_EQ(document["appointments"][0]["service_name"], "Beratung praxis-ende");
  EXPECT_EQ(document["appointments"][0]["customer_id"], document["customers"][0]["id"]);
  EXPECT_EQ(document["callback_requests"][0]["name"], "Erika Ende");
  EXPECT_EQ(document["callback_requests"][0]["reason"], "Befund für Erika Ende");
  EXPECT_EQ(text.find("enc:v1"), std::string::npos);
  // Nothing of the other company.
  for (const char* other : {"Otto Bleibt", "+4915122222222", "salon-bleibt"}) {
    EXPECT_EQ(text.find(other), std::string::npos) << other;
  }
  const std::vector<std::pair<std::string, std::int64_t>> pages = {{"customers", 1},
                                                                   {"customers", 2},
                                                                   {"calls", 1},
                                                                   {"appointments", 1},
                                                                   {"callback_requests", 1}};
  EXPECT_EQ(progress, pages);

  auto entries = audit_->List({leaving_.id.value, "company.export", {}, {}, {}, {}, 10});
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].actor, "user:1");
  EXPECT_EQ((*entries)[0].target, "company:" + std::to_string(leaving_.id.value));

  // An output that fails is an error, not a silently short document.
  std::ostringstream broken;
  broken.setstate(std::ios::badbit);
  auto failed = ExportCompanyData(db(), *audit_, leaving_, {}, broken, {"system", {}}, clock_);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
}

// A company still taking calls: a new caller and their call, written (and committed, on another
// connection) after the export has read its first page, are in no table of the document, which
// shows the database as it was when the export began.
TEST_P(CompanyDataTest, RowsWrittenDuringTheExportAreInNoTable) {
  AddSecondCaller();
  ASSERT_FALSE(HasFailure());
  storage::SqlCustomerRepository customers(db(), clock_);
  bool written = false;
  CompanyExportOptions options;
  options.page_size = 1;
  options.progress = [&](std::string_view, std::int64_t) {
    if (written) return;
    written = true;
    // Another thread, so another connection: what a webhook would do meanwhile.
    auto done = std::async(std::launch::async, [&]() -> Status {
      tenancy::Customer late;
      late.phone_e164 = "+4915144444444";
      late.name = "Lena Spaet";
      auto created = customers.Create(leaving_.id, late);
      if (!created) return tl::unexpected(created.error());
      storage::SqlCallRepository calls(db(), clock_);
      calls::CallUpdate u;
      u.retell_call_id = "call-late";
      u.from_number = late.phone_e164;
      u.customer_id = created->id;
      u.status = "registered";
      auto call = calls.Upsert(leaving_.id, u);
      if (!call) return tl::unexpected(call.error());
      return Ok();
    });
    auto status = done.get();
    EXPECT_TRUE(status.has_value()) << status.error().message;
  };
  std::ostringstream out;
  auto report = ExportCompanyData(db(), *audit_, leaving_, options, out, {"system", {}}, clock_);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  ASSERT_TRUE(written);
  EXPECT_EQ(report->customers, 2);
  EXPECT_EQ(report->calls, 1);
  const std::string text = out.str();
  EXPECT_EQ(text.find("Lena Spaet"), std::string::npos) << text;
  EXPECT_EQ(text.find("+4915144444444"), std::string::npos) << text;
  EXPECT_EQ(text.find("call-late"), std::string::npos) << text;
  // They were committed all the same: the next export has them.
  std::ostringstream again;
  auto next = ExportCompanyData(db(), *audit_, leaving_, {}, again, {"system", {}}, clock_);
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_EQ(next->customers, 3);
  EXPECT_EQ(next->calls, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, CompanyDataTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::privacy
