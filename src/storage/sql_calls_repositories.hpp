#pragma once
// SOCI implementations of the call ports (calls/repositories.hpp) and of TransactionRunner.

#include "calls/repositories.hpp"
#include "core/clock.hpp"
#include "core/transaction.hpp"
#include "storage/database.hpp"
#include "storage/group_commit.hpp"

namespace callgate::storage {

class SqlCallRepository final : public calls::CallRepository {
 public:
  SqlCallRepository(Database& database, const Clock& clock) : database_(database), clock_(clock) {}

  Result<calls::Call> Upsert(tenancy::CompanyId company_id,
                             const calls::CallUpdate& update) override;
  Result<calls::Call> FindById(tenancy::CompanyId company_id, calls::CallId id) override;
  Result<calls::Call> FindByRetellId(tenancy::CompanyId company_id,
                                     std::string_view retell_call_id) override;
  Result<calls::Call> ResolveByRetellId(std::string_view retell_call_id) override;
  Status SetAnalysis(tenancy::CompanyId company_id, calls::CallId id,
                     std::optional<tenancy::CustomerId> customer_id,
                     const calls::CallCosts& costs) override;
  Result<std::int64_t> MinutesUsed(tenancy::CompanyId company_id, SystemTimePoint from,
                                   SystemTimePoint to, calls::CallId except) override;

 private:
  Database& database_;
  const Clock& clock_;
};

class SqlWebhookEventRepository final : public calls::WebhookEventRepository {
 public:
  SqlWebhookEventRepository(Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}
  Result<std::int64_t> Record(const calls::WebhookEventRecord& event) override;
  Status AttributeTo(std::int64_t event_id, tenancy::CompanyId company_id) override;
  Status Empty(std::int64_t event_id) override;

 private:
  Database& database_;
  const Clock& clock_;
};

// Keep one per Database: on PostgreSQL, events recorded while another group is being written
// wait and are written together by one call of callgate_record_call_events (migration 0016):
// one round trip, statement and commit for the group. Each caller still gets its own outcome:
// when one event's data fails the group's statement (a foreign key, say), every event of the
// group is written again alone; when the connection or the server fails (kUnavailable, also a
// deadlock with another instance) or the statement times out, every caller gets that error.
// Inside a transaction of the Database the event is written at once, in it. On SQLite the two
// statements run in Database::WithGroupedTransaction.
class SqlCallEventStore final : public calls::CallEventStore {
 public:
  SqlCallEventStore(Database& database, const Clock& clock) : database_(database), clock_(clock) {}
  Result<calls::RecordedCallEvent> RecordWithCall(const calls::WebhookEventRecord& event,
                                                  tenancy::CompanyId company_id,
                                                  const calls::CallUpdate& update) override;
  // Queued for the PostgreSQL group (GroupCommit::SubmitLater) or the SQLite group commit
  // (Database::WithGroupedTransactionLater); written at once inside a transaction.
  void RecordWithCallLater(const calls::WebhookEventRecord& event, tenancy::CompanyId company_id,
                           const calls::CallUpdate& update, RecordedDone done) override;

  // Events in the PostgreSQL groups: waiting for the group being written, groups written, the
  // events they held, and the groups written as follow-ons (for tests and measurements).
  std::size_t waiting() const { return group_.waiting(); }
  std::uint64_t groups_written() const { return group_.batches(); }
  std::uint64_t events_grouped() const { return group_.items(); }
  std::uint64_t follow_on_groups() const { return group_.follow_ons(); }

  // Events per group at most.
  static constexpr std::size_t kMaxGroup = 64;
  // Groups a caller whose event is written goes on to write while others wait (GroupCommit's
  // follow-on batches): the next group is sent without waking another thread first, so the
  // server waits less between groups; the caller's own answer waits for at most that many
  // groups more (docs/performance.md, tenth round).
  static constexpr std::size_t kFollowOnGroups = 4;

 private:
  struct Pending;
  struct SqliteEvent;
  // Builds a PostgreSQL group item (its values, sealed texts included).
  Status Prepare(const calls::WebhookEventRecord& event, tenancy::CompanyId company_id,
                 const calls::CallUpdate& u, Pending& item) const;
  Status Prepare(const calls::WebhookEventRecord& event, tenancy::CompanyId company_id,
                 const calls::CallUpdate& u, SqliteEvent& item) const;
  bool WriteGroup(const std::vector<GroupCommit::Waiter*>& waiters);  // GroupCommit::Write
  Status WriteTogether(const std::vector<Pending*>& items);

  Database& database_;
  const Clock& clock_;
  const GroupCommit::Write write_group_ = [this](const std::vector<GroupCommit::Waiter*>& w) {
    return WriteGroup(w);
  };
  GroupCommit group_{kMaxGroup, kFollowOnGroups};
};

// Runs functions in Database::WithTransaction, or with kGrouped in
// Database::WithGroupedTransaction (group commit on SQLite: for short transactions that many
// threads run at once, whose functions do not rely on thread-local state).
class DatabaseTransactionRunner final : public TransactionRunner {
 public:
  enum class Commit { kAlone, kGrouped };
  explicit DatabaseTransactionRunner(Database& database, Commit commit = Commit::kAlone)
      : database_(database), commit_(commit) {}
  Status Run(const std::function<Status()>& fn) override;

 private:
  Database& database_;
  Commit commit_;
};

}  // namespace callgate::storage
