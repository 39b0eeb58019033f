// Encryption at rest as the database sees it: sensitive columns never reach the file (SQLite
// file and WAL) or the table contents (PostgreSQL) in clear text, legacy clear text still reads,
// and rotation re-encrypts without loss.
#include "storage/sealed_columns.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/keyring.hpp"
#include "crypto/testing/test_keyring.hpp"
#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using tenancy::Company;
using tenancy::CompanyId;

constexpr std::string_view kCalcomKey = "cal_live_0123456789abcdefSECRET";
constexpr std::string_view kRetellKey = "key_retell_9876543210SECRET";
constexpr std::string_view kVapiSecret = "vapi_secret_5555SECRET";
constexpr std::string_view kSentence = "Ich habe seit Montag starke Zahnschmerzen links unten";
constexpr std::string_view kNote = "Patientin hat Angst vor Spritzen";
constexpr std::string_view kSummary = "Anruferin mit akuten Schmerzen, Termin gebucht";
constexpr std::string_view kCallbackTopic = "Rueckfrage zum Befund der Biopsie";
constexpr std::string_view kRecording = "https://recordings.example.org/zahnarzt-call-77.wav";
constexpr std::string_view kMetadataName = "Erika Zahnweh-Musterfrau";
constexpr std::string_view kCustomerName = "Erika Muster";
constexpr std::string_view kCustomerEmail = "erika.muster@example.org";

std::shared_ptr<const crypto::Keyring> Ring(std::vector<crypto::MasterKey> keys) {
  return *crypto::Keyring::Create(std::move(keys));
}

class SealedColumnsTest : public testing::DatabaseTest {
 protected:
  // A second handle on the same database with another keyring (or none).
  std::unique_ptr<Database> OpenWith(std::shared_ptr<const crypto::Keyring> keyring) {
    DatabaseOptions options;
    options.pool_size = 1;
    options.keyring = std::move(keyring);
    auto opened = Database::Open(test_database().url(), options);
    EXPECT_TRUE(opened.has_value()) << opened.error().message;
    return opened ? std::move(*opened) : nullptr;
  }

  // Writes one of everything sensitive through the repositories of `database`.
  CompanyId WriteEverything(Database& database) {
    SqlCompanyRepository companies(database, clock_);
    Company c;
    c.name = "Praxis Dr. Weiss";
    c.slug = "praxis-weiss";
    c.calcom_api_key = Secret(std::string(kCalcomKey));
    c.retell_api_key = Secret(std::string(kRetellKey));
    c.vapi_secret = Secret(std::string(kVapiSecret));
    auto company = companies.Create(c);
    EXPECT_TRUE(company.has_value()) << company.error().message;
    if (!company) return CompanyId(0);
    SqlCustomerRepository customers(database, clock_);
    tenancy::Customer customer;
    customer.phone_e164 = "+4915112345678";
    customer.name = std::string(kCustomerName);
    customer.email = std::string(kCustomerEmail);
    customer.notes = std::string(kNote);
    auto stored_customer = customers.Create(company->id, customer);
    EXPECT_TRUE(stored_customer.has_value()) << stored_customer.error().message;
    SqlCallRepository calls(database, clock_);
    calls::CallUpdate update;
    update.retell_call_id = "call_sealed_1";
    update.status = "ended";
    update.transcript = "Agent: Guten Tag. User: " + std::string(kSentence) + ".";
    update.final_transcript = true;
    update.transcript_object_json =
        R"([{"role":"user","content":")" + std::string(kSentence) + R"("}])";
    update.summary = std::string(kSummary);
    update.analysis_json = R"({"call_summary":")" + std::string(kSummary) + R"("})";
    update.recording_url = std::string(kRecording);
    update.metadata_json = R"({"caller_name":")" + std::string(kMetadataName) + R"("})";
    auto call = calls.Upsert(company->id, update);
    EXPECT_TRUE(call.has_value()) << call.error().message;
    SqlAppointmentRepository appointments(database, clock_);
    booking::Appointment appointment;
    appointment.starts_at = clock_.Now() + std::chrono::hours(24);
    appointment.ends_at = appointment.starts_at + std::chrono::minutes(30);
    appointment.status = "booked";
    appointment.notes = std::string(kNote) + " (Termin)";
    auto stored_appointment = appointments.Create(company->id, appointment);
    EXPECT_TRUE(stored_appointment.has_value()) << stored_appointment.error().message;
    SqlCallbackRequestRepository callbacks(database, clock_);
    booking::CallbackRequest callback;
    callback.phone = "+4915112345678";
    callback.name = std::string(kCustomerName);
    callback.reason = std::string(kCallbackTopic);
    EXPECT_TRUE(callbacks.Create(company->id, callback).has_value());
    SqlWebhookEventRepository events(database, clock_);
    calls::WebhookEventRecord event;
    event.company_id = company->id;
    event.source = "retell";
    event.event = "call_ended";
    event.dedupe_key = "retell:call_sealed_1:call_ended";
    event.payload_json = R"({"transcript":")" + std::string(kSentence) + R"("})";
    EXPECT_TRUE(events.Record(event).has_value());
    return company->id;
  }

  // Everything a reader of the database files (or the table contents) sees, as bytes.
  std::string RawDatabaseBytes() {
    std::string bytes;
    if (db().dialect() == Dialect::kSqlite) {
      for (const std::string suffix : {"", "-wal", "-journal"}) {
        std::ifstream in(test_database().url().path + suffix, std::ios::binary);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        bytes += text.str();
      }
      EXPECT_FALSE(bytes.empty());
      return bytes;
    }
    for (const std::string table : {"companies", "customers", "calls", "appointments",
                                    "callback_requests", "webhook_events", "jobs"}) {
      auto rows = db().Run([&](Session& s) -> Result<std::string> {
        std::string out;
        s.Query("CAST(t AS TEXT) AS row_text", "FROM " + table + " t", {},
                [&](const Row& r) { out += r.String("row_text") + "\n"; });
        return out;
      });
      EXPECT_TRUE(rows.has_value()) << rows.error().message;
      bytes += rows.value_or("");
    }
    return bytes;
  }

  std::string RawValue(const std::string& table, const std::string& column) {
    auto value = db().Run([&](Session& s) -> Result<std::string> {
      std::string out;
      s.Query(column + " AS v", "FROM " + table + " ORDER BY id", {}, [&](const Row& r) {
        if (out.empty()) out = r.OptionalString("v").value_or("");
      });
      return out;
    });
    EXPECT_TRUE(value.has_value());
    return value.value_or("");
  }

  void ExpectEverythingReads(Database& database, CompanyId company) {
    SqlCompanyRepository companies(database, clock_);
    auto c = companies.FindById(company);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->calcom_api_key.Reveal(), kCalcomKey);
    EXPECT_EQ(c->retell_api_key.Reveal(), kRetellKey);
    EXPECT_EQ(c->vapi_secret.Reveal(), kVapiSecret);
    SqlCallRepository calls(database, clock_);
    auto call = calls.FindByRetellId(company, "call_sealed_1");
    ASSERT_TRUE(call.has_value()) << call.error().message;
    EXPECT_NE(call->transcript.value_or("").find(kSentence), std::string::npos);
    EXPECT_NE(call->transcript_object_json.value_or("").find(kSentence), std::string::npos);
    EXPECT_EQ(call->summary, std::string(kSummary));
    EXPECT_NE(call->analysis_json.value_or("").find(kSummary), std::string::npos);
    EXPECT_EQ(call->recording_url, std::string(kRecording));
    EXPECT_NE(call->metadata_json.value_or("").find(kMetadataName), std::string::npos);
    SqlCustomerRepository customers(database, clock_);
    auto customer = customers.FindByPhone(company, "+4915112345678");
    ASSERT_TRUE(customer.has_value()) << customer.error().message;
    EXPECT_EQ(customer->notes, kNote);
    EXPECT_EQ(customer->name, kCustomerName);
    EXPECT_EQ(customer->email, std::string(kCustomerEmail));
    SqlCallbackRequestRepository callbacks(database, clock_);
    auto open = callbacks.ListOpen(company);
    ASSERT_TRUE(open.has_value()) << open.error().message;
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ(open->front().reason, kCallbackTopic);
    EXPECT_EQ(open->front().name, kCustomerName);
  }
};

TEST_P(SealedColumnsTest, DatabaseFilesHoldNoKeyAndNoTranscriptSentence) {
  const CompanyId company = WriteEverything(db());
  ExpectEverythingReads(db(), company);
  const std::string bytes = RawDatabaseBytes();
  for (std::string_view needle :
       {kCalcomKey, kRetellKey, kVapiSecret, kSentence, kNote, kSummary, kCallbackTopic, kRecording,
        kMetadataName, kCustomerName, kCustomerEmail}) {
    EXPECT_EQ(bytes.find(needle), std::string::npos) << needle << " found in the database";
  }
  EXPECT_NE(bytes.find("Praxis Dr. Weiss"), std::string::npos) << "the scan reads the data";
  EXPECT_TRUE(RawValue("calls", "transcript").starts_with("enc:v1:"));
}

TEST_P(SealedColumnsTest, LegacyClearTextStillReadsAndRotationSealsIt) {
  const CompanyId company = WriteEverything(db());
  ASSERT_TRUE(db().Run([&](Session& s) -> Status {
                    s.Execute("UPDATE calls SET summary = :v", Params().Add("alte Notiz"));
                    s.Execute("UPDATE companies SET retell_api_key = :v", Params().Add("plainkey"));
                    return Ok();
                  })
                  .has_value());
  SqlCallRepository calls(db(), clock_);
  auto call = calls.FindByRetellId(company, "call_sealed_1");
  ASSERT_TRUE(call.has_value()) << call.error().message;
  EXPECT_EQ(call->summary, "alte Notiz");

  auto report = ResealAll(db());
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->resealed, 2);
  EXPECT_EQ(report->unreadable, 0);
  EXPECT_TRUE(RawValue("calls", "summary").starts_with("enc:v1:"));
  EXPECT_TRUE(RawValue("companies", "retell_api_key").starts_with("enc:v1:"));
  auto again = calls.FindByRetellId(company, "call_sealed_1");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->summary, "alte Notiz");
}

TEST_P(SealedColumnsTest, RotationReencryptsEverythingUnderTheNewKeyWithoutLoss) {
  const CompanyId company = WriteEverything(db());
  const crypto::MasterKey new_key = crypto::MasterKey::Generate();
  auto rotating =
      OpenWith(Ring({new_key, *crypto::MasterKey::FromBase64(crypto::kDevelopmentMasterKey)}));
  ASSERT_NE(rotating, nullptr);
  std::vector<std::string> progress;
  ResealOptions options;
  options.batch_size = 1;
  options.progress = [&](const std::string& line) { progress.push_back(line); };
  auto report = ResealAll(*rotating, options);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->unreadable, 0);
  // 3 company secrets, the customer's name, e-mail and notes, the appointment's notes, the
  // callback request's name and reason, 6 call columns, 1 webhook payload.
  EXPECT_EQ(report->resealed, 16);
  EXPECT_FALSE(progress.empty());
  EXPECT_NE(progress.front().find("companies.calcom_api_key: 1 checked, 1 re-encrypted"),
            std::string::npos)
      << progress.front();

  // Only the new key is needed now.
  auto new_only = OpenWith(Ring({new_key}));
  ASSERT_NE(new_only, nullptr);
  ExpectEverythingReads(*new_only, company);
  // Resumable and idempotent: a second run finds nothing to do.
  auto second = ResealAll(*rotating, options);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->resealed, 0);
  EXPECT_EQ(second->checked, report->checked);
}

TEST_P(SealedColumnsTest, WrongKeyIsAClearErrorNeverGarbage) {
  const CompanyId company = WriteEverything(db());
  auto wrong = OpenWith(Ring({crypto::MasterKey::Generate()}));
  ASSERT_NE(wrong, nullptr);
  SqlCompanyRepository companies(*wrong, clock_);
  auto c = companies.FindById(company);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kInternal);
  EXPECT_NE(c.error().message.find("is not configured"), std::string::npos) << c.error().message;
  // Rotation with the wrong key reports the values and leaves them alone.
  auto report = ResealAll(*wrong);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->resealed, 0);
  EXPECT_EQ(report->unreadable, 16);
  EXPECT_FALSE(report->problems.empty());
  ExpectEverythingReads(db(), company);
}

TEST_P(SealedColumnsTest, WithoutAKeyringSealedColumnsAreNotWrittenInClearText) {
  auto keyless = OpenWith(nullptr);
  ASSERT_NE(keyless, nullptr);
  SqlCompanyRepository companies(*keyless, clock_);
  Company c;
  c.name = "Ohne Schlüssel";
  c.slug = "ohne";
  c.calcom_api_key = Secret("cal_live_plain");
  auto created = companies.Create(c);
  ASSERT_FALSE(created.has_value());
  EXPECT_NE(created.error().message.find("no master key configured"), std::string::npos);
  EXPECT_EQ(RawDatabaseBytes().find("cal_live_plain"), std::string::npos);
  EXPECT_FALSE(ResealAll(*keyless).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, SealedColumnsTest, testing::AllBackends(), testing::BackendName);

}  // namespace
}  // namespace callgate::storage
