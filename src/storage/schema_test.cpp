// Constraints of the schema itself (migrations/*/0001_initial_schema.sql), checked on both
// backends with plain SQL: the guarantees other modules rely on even when their code races.

#include <gtest/gtest.h>

#include "storage/session.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

class Schema : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    company_a_ = Insert(
        "INSERT INTO companies (name, slug, created_at, updated_at) "
        "VALUES ('A', 'a', 0, 0) RETURNING id");
    company_b_ = Insert(
        "INSERT INTO companies (name, slug, created_at, updated_at) "
        "VALUES ('B', 'b', 0, 0) RETURNING id");
    branch_a_ = Insert(
        "INSERT INTO branches (company_id, name, created_at, updated_at) "
        "VALUES (:c, 'Mitte', 0, 0) RETURNING id",
        Params().Add(company_a_));
    branch_a2_ = Insert(
        "INSERT INTO branches (company_id, name, created_at, updated_at) "
        "VALUES (:c, 'West', 0, 0) RETURNING id",
        Params().Add(company_a_));
    service_a_ = Insert(
        "INSERT INTO services (company_id, name, duration_minutes, created_at, updated_at) "
        "VALUES (:c, 'Cut', 30, 0, 0) RETURNING id",
        Params().Add(company_a_));
  }

  std::int64_t Insert(const std::string& sql, const Params& params = {}) {
    auto id = db().Run(
        [&](Session& s) -> Result<std::int64_t> { return s.InsertReturningId(sql, params); });
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return id.value_or(-1);
  }

  Status Exec(const std::string& sql, const Params& params = {}) {
    return db().Run([&](Session& s) -> Status {
      s.Execute(sql, params);
      return Ok();
    });
  }

  Status Book(std::int64_t company, std::optional<std::int64_t> branch, std::int64_t service,
              std::int64_t starts_at, const std::string& status,
              std::optional<std::string> idempotency_key = std::nullopt) {
    return Exec(
        "INSERT INTO appointments (company_id, branch_id, service_id, starts_at, ends_at, "
        "timezone, status, source, idempotency_key, created_at, updated_at) VALUES "
        "(:company_id, :branch_id, :service_id, :starts_at, :ends_at, 'Europe/Berlin', :status, "
        "'phone_agent', :idempotency_key, 0, 0)",
        Params()
            .Add(company)
            .Add(branch)
            .Add(service)
            .Add(starts_at)
            .Add(starts_at + 1800000)
            .Add(status)
            .Add(idempotency_key));
  }

  static ErrorCode CodeOf(const Status& status) {
    return status ? ErrorCode::kInternal : status.error().code;
  }

  std::int64_t company_a_ = 0, company_b_ = 0, branch_a_ = 0, branch_a2_ = 0, service_a_ = 0;
};

constexpr std::int64_t kNine = 1795683600000;  // 2026-11-26T09:00Z

TEST_P(Schema, NoTwoActiveAppointmentsForOneSlot) {
  ASSERT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "booked"));
  EXPECT_EQ(CodeOf(Book(company_a_, branch_a_, service_a_, kNine, "booked")),
            ErrorCode::kAlreadyExists);
  // A pending booking holds the slot too.
  EXPECT_EQ(CodeOf(Book(company_a_, branch_a_, service_a_, kNine, "pending_sync")),
            ErrorCode::kAlreadyExists);
  // Inactive rows never collide.
  EXPECT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "cancelled"));
  EXPECT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "rescheduled"));
  // Another branch, another time: different slots.
  EXPECT_TRUE(Book(company_a_, branch_a2_, service_a_, kNine, "booked"));
  EXPECT_TRUE(Book(company_a_, branch_a_, service_a_, kNine + 1800000, "booked"));
  // Without a branch the slot still collides with itself.
  ASSERT_TRUE(Book(company_a_, std::nullopt, service_a_, kNine, "booked"));
  EXPECT_EQ(CodeOf(Book(company_a_, std::nullopt, service_a_, kNine, "booked")),
            ErrorCode::kAlreadyExists);
}

TEST_P(Schema, ARequestAwaitingThePracticeHoldsItsSlotAndARejectedOneFreesIt) {
  ASSERT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "requested"));
  EXPECT_EQ(CodeOf(Book(company_a_, branch_a_, service_a_, kNine, "booked")),
            ErrorCode::kAlreadyExists);
  ASSERT_TRUE(Exec("UPDATE appointments SET status = 'rejected'"));
  EXPECT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "booked"));
}

TEST_P(Schema, CancellingFreesTheSlot) {
  ASSERT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "booked"));
  ASSERT_TRUE(Exec("UPDATE appointments SET status = 'cancelled'"));
  EXPECT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "booked"));
}

TEST_P(Schema, IdempotencyKeyIsUniquePerCompany) {
  ASSERT_TRUE(Book(company_a_, branch_a_, service_a_, kNine, "booked", "call_1:book"));
  EXPECT_EQ(
      CodeOf(Book(company_a_, branch_a_, service_a_, kNine + 3600000, "booked", "call_1:book")),
      ErrorCode::kAlreadyExists);
  const std::int64_t service_b = Insert(
      "INSERT INTO services (company_id, name, duration_minutes, created_at, updated_at) "
      "VALUES (:c, 'Cut', 30, 0, 0) RETURNING id",
      Params().Add(company_b_));
  EXPECT_TRUE(Book(company_b_, std::nullopt, service_b, kNine, "booked", "call_1:book"));
}

TEST_P(Schema, AppointmentCannotUseAnotherCompanysService) {
  EXPECT_EQ(CodeOf(Book(company_b_, std::nullopt, service_a_, kNine, "booked")),
            ErrorCode::kNotFound);
}

TEST_P(Schema, AppointmentStatusIsChecked) {
  EXPECT_EQ(CodeOf(Book(company_a_, branch_a_, service_a_, kNine, "maybe")),
            ErrorCode::kInvalidArgument);
}

TEST_P(Schema, GlobalUniqueKeysHold) {
  const std::string call =
      "INSERT INTO calls (company_id, retell_call_id, created_at, updated_at) "
      "VALUES (:c, 'call_123', 0, 0)";
  ASSERT_TRUE(Exec(call, Params().Add(company_a_)));
  EXPECT_EQ(CodeOf(Exec(call, Params().Add(company_b_))), ErrorCode::kAlreadyExists);

  const std::string event =
      "INSERT INTO webhook_events (source, event, dedupe_key, payload, received_at, created_at, "
      "updated_at) VALUES ('retell', 'call_ended', 'retell:call_ended:call_123', '{}', 0, 0, 0)";
  ASSERT_TRUE(Exec(event));
  EXPECT_EQ(CodeOf(Exec(event)), ErrorCode::kAlreadyExists);

  const std::int64_t user = Insert(
      "INSERT INTO users (company_id, email, password_hash, role, created_at, updated_at) "
      "VALUES (:c, 'admin@a.example', 'x', 'company_admin', 0, 0) RETURNING id",
      Params().Add(company_a_));
  const std::string token =
      "INSERT INTO api_tokens (user_id, token_hash, created_at, updated_at) "
      "VALUES (:u, 'deadbeef', 0, 0)";
  ASSERT_TRUE(Exec(token, Params().Add(user)));
  EXPECT_EQ(CodeOf(Exec(token, Params().Add(user))), ErrorCode::kAlreadyExists);
}

TEST_P(Schema, PlatformAdminsHaveNoCompanyAndOthersHaveOne) {
  EXPECT_TRUE(
      Exec("INSERT INTO users (email, password_hash, role, created_at, updated_at) "
           "VALUES ('root@example.com', 'x', 'platform_admin', 0, 0)"));
  EXPECT_EQ(CodeOf(Exec("INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                        "VALUES ('v@example.com', 'x', 'viewer', 0, 0)")),
            ErrorCode::kInvalidArgument);
}

TEST_P(Schema, AgentsBelongToOneCompany) {
  EXPECT_TRUE(
      Exec("INSERT INTO users (company_id, email, password_hash, role, created_at, updated_at) "
           "VALUES (:c, 'agent@a.example', 'x', 'agent', 0, 0)",
           Params().Add(company_a_)));
  EXPECT_EQ(CodeOf(Exec("INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                        "VALUES ('agent@nowhere.example', 'x', 'agent', 0, 0)")),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Exec("INSERT INTO users (company_id, email, password_hash, role, created_at, "
                        "updated_at) VALUES (:c, 'robot@a.example', 'x', 'robot', 0, 0)",
                        Params().Add(company_a_))),
            ErrorCode::kInvalidArgument);
}

TEST_P(Schema, JobsPollByQueueAndAvailability) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Exec("INSERT INTO jobs (queue, type, payload, available_at, created_at, updated_at) "
             "VALUES (:q, 'call_analysis', '{\"call_id\": 1}', :at, 0, 0)",
             Params().Add(i == 2 ? "low" : "high").Add(kNine + i)));
  }
  auto next = db().Run([&](Session& s) -> Result<std::int64_t> {
    std::int64_t at = -1;
    s.Query("available_at",
            "FROM jobs WHERE queue = :q AND available_at <= :now AND "
            "(reserved_until IS NULL OR reserved_until < :now2) ORDER BY available_at LIMIT 1",
            Params().Add("high").Add(kNine + 10).Add(kNine + 10),
            [&](const Row& r) { at = r.Int64("available_at"); });
    return at;
  });
  EXPECT_EQ(next.value(), kNine);
}

INSTANTIATE_TEST_SUITE_P(Backends, Schema, testing::AllBackends(), testing::BackendName);

}  // namespace
}  // namespace callgate::storage
