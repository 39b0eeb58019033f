#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/digest.hpp"
#include "observability/log.hpp"
#include "storage/postgres_text_array.hpp"
#include "storage/query_helpers.hpp"
#include "storage/session.hpp"
#include "storage/sql_calls_repositories.hpp"

namespace callgate::storage {
namespace {

using calls::Call;
using calls::CallId;
using tenancy::CompanyId;

constexpr std::string_view kCallColumns =
    "id, company_id, branch_id, phone_number_id, customer_id, retell_call_id, agent_id, "
    "direction, from_number, to_number, status, started_at, ended_at, duration_ms, "
    "disconnection_reason, transcript, transcript_object, recording_url, summary, sentiment, "
    "call_successful, analysis, metadata, retell_cost_cents, base_cost_cents, "
    "reseller_cost_cents, customer_cost_cents, platform_profit_cents, reseller_profit_cents, "
    "total_profit_cents, platform, created_at, updated_at";

Call DecodeCall(const Row& r) {
  Call c;
  c.id = CallId(r.Int64("id"));
  c.company_id = CompanyId(r.Int64("company_id"));
  if (auto v = r.OptionalInt64("branch_id")) c.branch_id = tenancy::BranchId(*v);
  if (auto v = r.OptionalInt64("phone_number_id")) c.phone_number_id = tenancy::PhoneNumberId(*v);
  if (auto v = r.OptionalInt64("customer_id")) c.customer_id = tenancy::CustomerId(*v);
  c.retell_call_id = r.String("retell_call_id");
  c.platform = r.String("platform");
  c.agent_id = r.OptionalString("agent_id").value_or("");
  c.direction = r.String("direction");
  c.from_number = r.OptionalString("from_number").value_or("");
  c.to_number = r.OptionalString("to_number").value_or("");
  c.status = r.String("status");
  c.started_at = r.OptionalTime("started_at");
  c.ended_at = r.OptionalTime("ended_at");
  c.duration_ms = r.OptionalInt64("duration_ms");
  c.disconnection_reason = r.OptionalString("disconnection_reason");
  c.transcript = r.OptionalOpened("transcript", "calls.transcript");
  c.transcript_object_json = r.OptionalOpened("transcript_object", "calls.transcript_object");
  c.recording_url = r.OptionalOpened("recording_url", "calls.recording_url");
  c.summary = r.OptionalOpened("summary", "calls.summary");
  c.sentiment = r.OptionalString("sentiment");
  if (!r.IsNull("call_successful")) c.call_successful = r.Bool("call_successful");
  c.analysis_json = r.OptionalOpened("analysis", "calls.analysis");
  c.metadata_json = r.OptionalOpened("metadata", "calls.metadata");
  c.retell_cost_cents = r.OptionalInt64("retell_cost_cents");
  if (auto base = r.OptionalInt64("base_cost_cents")) {
    calls::CallCosts costs;
    costs.base_cost_cents = *base;
    costs.reseller_cost_cents = r.OptionalInt64("reseller_cost_cents").value_or(0);
    costs.customer_cost_cents = r.OptionalInt64("customer_cost_cents").value_or(0);
    costs.platform_profit_cents = r.OptionalInt64("platform_profit_cents").value_or(0);
    costs.reseller_profit_cents = r.OptionalInt64("reseller_profit_cents").value_or(0);
    costs.total_profit_cents = r.OptionalInt64("total_profit_cents").value_or(0);
    c.costs = costs;
  }
  c.created_at = r.Time("created_at");
  c.updated_at = r.Time("updated_at");
  return c;
}

std::optional<int> BoolOf(const std::optional<bool>& b) {
  if (!b) return std::nullopt;
  return *b ? 1 : 0;
}

// Status rank in SQL, mirroring calls::CallStatusRank.
constexpr std::string_view kRankOld =
    "(CASE calls.status WHEN 'registered' THEN 0 WHEN 'ongoing' THEN 1 ELSE 2 END)";
constexpr std::string_view kRankNew =
    "(CASE excluded.status WHEN 'registered' THEN 0 WHEN 'ongoing' THEN 1 ELSE 2 END)";

std::string KeepOrReplace(std::string_view column) {
  const std::string c(column);
  return c + " = COALESCE(excluded." + c + ", calls." + c + ")";
}

// The columns an upsert writes, in the order of AddCallParams.
constexpr std::string_view kWrittenCallColumns[] = {
    "company_id",        "branch_id",
    "phone_number_id",   "customer_id",
    "retell_call_id",    "agent_id",
    "direction",         "from_number",
    "to_number",         "status",
    "started_at",        "ended_at",
    "duration_ms",       "disconnection_reason",
    "transcript",        "transcript_object",
    "recording_url",     "summary",
    "sentiment",         "call_successful",
    "analysis",          "metadata",
    "retell_cost_cents", "platform",
    "created_at",        "updated_at",
};

// "INSERT INTO calls (...) VALUES (...) ON CONFLICT ... DO UPDATE ...". Migration 0018's
// function (PostgreSQL) holds the same upsert: change both together. It leaves alone a call of
// another company and an erased call (WhyNotWritten tells them apart).
std::string CallUpsertSql() {
  std::string sql = "INSERT INTO calls (";
  std::string values;
  for (std::string_view column : kWrittenCallColumns) {
    if (!values.empty()) {
      sql += ", ";
      values += ", ";
    }
    sql += column;
    // The customer is the given one, else the company's customer with the caller's number.
    values += column == "customer_id"
                  ? "COALESCE(CAST(:customer_id AS BIGINT), (SELECT id FROM customers WHERE "
                    "company_id = :caller_company AND phone_e164 = :caller))"
                  : ":" + std::string(column);
  }
  sql += ") VALUES (" + values + ") ON CONFLICT (retell_call_id) DO UPDATE SET ";
  for (std::string_view col :
       {"branch_id", "phone_number_id", "customer_id", "agent_id", "from_number", "to_number",
        "started_at", "ended_at", "duration_ms", "disconnection_reason", "transcript_object",
        "recording_url", "summary", "sentiment", "call_successful", "analysis", "metadata",
        "retell_cost_cents"}) {
    sql += KeepOrReplace(col) + ", ";
  }
  sql += "direction = calls.direction, ";
  // A call first seen through a tool call is recorded as "retell" until its platform's own
  // lifecycle message names the platform.
  sql +=
      "platform = CASE WHEN CAST(:platform_given AS INTEGER) = 1 THEN excluded.platform ELSE "
      "calls.platform END, ";
  sql += "status = CASE WHEN " + std::string(kRankNew) + " >= " + std::string(kRankOld) +
         " THEN excluded.status ELSE calls.status END, ";
  // A live transcript never replaces the one of an ended call; the final one always does.
  sql +=
      "transcript = CASE WHEN excluded.transcript IS NULL THEN calls.transcript WHEN "
      "CAST(:final_transcript AS INTEGER) = 1 OR " +
      std::string(kRankOld) + " < 2 THEN excluded.transcript ELSE calls.transcript END, ";
  sql +=
      "updated_at = excluded.updated_at WHERE calls.company_id = excluded.company_id AND "
      "calls.erased_at IS NULL";
  return sql;
}

// Why the upsert of call `retell_call_id` for `company_id` wrote nothing: kConflict when it is
// that company's call and was erased (CallRepository's contract), else kPermissionDenied (the
// call id is another company's). Runs in the upsert's transaction.
Error WhyNotWritten(Session& s, CompanyId company_id, const std::string& retell_call_id) {
  bool erased = false;
  s.Query("erased_at", "FROM calls WHERE retell_call_id = :id AND company_id = :c",
          Params().Add(retell_call_id).Add(company_id.value),
          [&](const Row& row) { erased = !row.IsNull("erased_at"); });
  if (erased) return Error{ErrorCode::kConflict, "the call was erased"};
  return Error{ErrorCode::kPermissionDenied, "the call belongs to another company"};
}

// Parameters for CallUpsertSql, in placeholder order.
// `keyring` seals the call's texts (SealValue).
void AddCallParams(Params& params, const crypto::Keyring* keyring, CompanyId company_id,
                   const calls::CallUpdate& u, SystemTimePoint now) {
  params.Add(company_id.value)
      .Add(internal::IdOf(u.branch_id))
      .Add(internal::IdOf(u.phone_number_id))
      .Add(internal::IdOf(u.customer_id))
      .Add(company_id.value)
      .Add(u.caller_e164)
      .Add(u.retell_call_id)
      .Add(u.agent_id)
      .Add(u.direction.value_or("inbound"))
      .Add(u.from_number)
      .Add(u.to_number)
      .Add(u.status.value_or("registered"))
      .Add(u.started_at)
      .Add(u.ended_at)
      .Add(u.duration_ms)
      .Add(u.disconnection_reason)
      .Add(SealNullableValue(keyring, u.transcript, "calls.transcript"))
      .Add(SealNullableValue(keyring, u.transcript_object_json, "calls.transcript_object"))
      .Add(SealNullableValue(keyring, u.recording_url, "calls.recording_url"))
      .Add(SealNullableValue(keyring, u.summary, "calls.summary"))
      .Add(u.sentiment)
      .Add(BoolOf(u.call_successful))
      .Add(SealNullableValue(keyring, u.analysis_json, "calls.analysis"))
      .Add(SealNullableValue(keyring, u.metadata_json, "calls.metadata"))
      .Add(u.retell_cost_cents)
      .Add(u.platform.value_or("retell"))
      .Add(now)
      .Add(now)
      .Add(u.platform ? 1 : 0)
      .Add(u.final_transcript ? 1 : 0);
}

Status ValidCallUpdate(const calls::CallUpdate& u) {
  if (u.retell_call_id.empty() || u.retell_call_id.size() > calls::kMaxCallIdLength) {
    return Fail(ErrorCode::kInvalidArgument, "retell call id is required");
  }
  return Ok();
}

std::string SealedPayload(const crypto::Keyring* keyring, const calls::WebhookEventRecord& e) {
  return SealValue(keyring, e.payload_json.empty() ? std::string("{}") : e.payload_json,
                   "webhook_events.payload");
}

// The dedupe key as stored: a platform's fields make it up (a Vapi status, a Cal.com uid), and
// PostgreSQL's B-tree refuses an entry above ~2.7 kB, so a long key — and one that could be
// taken for a digest — is stored as the SHA-256 of the key: still unique per key, and short.
std::string StoredDedupeKey(const std::string& key) {
  constexpr std::size_t kLongest = 256;
  if (key.size() <= kLongest && !key.starts_with('#')) return key;
  return "#sha256:" + Sha256Hex(key);
}

constexpr std::string_view kEventColumns =
    "company_id, source, event, dedupe_key, payload, received_at, status, processed_at, "
    "created_at, updated_at";

// Parameters for the ten kEventColumns, in order.
void AddEventParams(Params& params, const crypto::Keyring* keyring,
                    const calls::WebhookEventRecord& e, SystemTimePoint now) {
  params.Add(internal::IdOf(e.company_id))
      .Add(e.source)
      .Add(e.event)
      .Add(StoredDedupeKey(e.dedupe_key))
      .Add(SealedPayload(keyring, e))
      .Add(now)
      .Add(e.status)
      .Add(now)
      .Add(now)
      .Add(now);
}

constexpr std::string_view kEventValues =
    ":company_id, :source, :event, :dedupe_key, :payload, :received_at, :status, :processed_at, "
    ":created_at, :updated_at";

// A call of another company is reported exactly like a missing one.
Result<Call> OfCompany(Result<Call> call, CompanyId company_id) {
  if (call && call->company_id != company_id) {
    return Fail(ErrorCode::kNotFound, "call not found");
  }
  return call;
}

}  // namespace

Result<Call> SqlCallRepository::Upsert(CompanyId company_id, const calls::CallUpdate& u) {
  if (auto valid = ValidCallUpdate(u); !valid) return tl::unexpected(valid.error());
  static const std::string sql = CallUpsertSql();
  // One statement: the upsert returns the stored row (no read-back). Every caller gives up on a
  // failure, so inside a transaction it needs no savepoint.
  return database_.RunWithoutSavepoint([&](Session& s) -> Result<Call> {
    Params params;
    AddCallParams(params, s.keyring(), company_id, u, clock_.Now());
    std::optional<Call> stored;
    s.Returning(sql, kCallColumns, params, [&](const Row& row) { stored = DecodeCall(row); });
    if (!stored) {
      // No row: the DO UPDATE's WHERE left the call alone. Nothing was written.
      return tl::unexpected(WhyNotWritten(s, company_id, u.retell_call_id));
    }
    return OfCompany(std::move(*stored), company_id);
  });
}

Result<Call> SqlCallRepository::FindById(CompanyId company_id, CallId id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kCallColumns, "FROM calls WHERE company_id = :c AND id = :id",
                              Params().Add(company_id.value).Add(id.value), DecodeCall,
                              "call not found");
  });
}

Result<Call> SqlCallRepository::FindByRetellId(CompanyId company_id,
                                               std::string_view retell_call_id) {
  return database_.Run([&](Session& s) {
    // By the unique key alone (see Upsert), then the company.
    return OfCompany(internal::QueryOne(s, kCallColumns, "FROM calls WHERE retell_call_id = :id",
                                        Params().Add(retell_call_id), DecodeCall, "call not found"),
                     company_id);
  });
}

Result<Call> SqlCallRepository::ResolveByRetellId(std::string_view retell_call_id) {
  return database_.Run([&](Session& s) {
    return internal::QueryOne(s, kCallColumns, "FROM calls WHERE retell_call_id = :id",
                              Params().Add(retell_call_id), DecodeCall, "call not found");
  });
}

Status SqlCallRepository::SetAnalysis(CompanyId company_id, CallId id,
                                      std::optional<tenancy::CustomerId> customer_id,
                                      const calls::CallCosts& costs) {
  return database_.Run([&](Session& s) -> Status {
    const auto changed = s.Execute(
        // An erased call is linked to nobody, whatever the analysis found before the erasure.
        "UPDATE calls SET customer_id = CASE WHEN erased_at IS NULL THEN "
        "COALESCE(CAST(:customer_id AS BIGINT), customer_id) END, "
        "base_cost_cents = :base, reseller_cost_cents = :reseller, customer_cost_cents = :cust, "
        "platform_profit_cents = :pp, reseller_profit_cents = :rp, total_profit_cents = :tp, "
        "updated_at = :now WHERE company_id = :company_id AND id = :id",
        Params()
            .Add(internal::IdOf(customer_id))
            .Add(costs.base_cost_cents)
            .Add(costs.reseller_cost_cents)
            .Add(costs.customer_cost_cents)
            .Add(costs.platform_profit_cents)
            .Add(costs.reseller_profit_cents)
            .Add(costs.total_profit_cents)
            .Add(clock_.Now())
            .Add(company_id.value)
            .Add(id.value));
    if (changed == 0) return Fail(ErrorCode::kNotFound, "call not found");
    return Ok();
  });
}

Result<std::int64_t> SqlCallRepository::MinutesUsed(CompanyId company_id, SystemTimePoint from,
                                                    SystemTimePoint to, CallId except) {
  return database_.Run([&](Session& s) -> Result<std::int64_t> {
    std::int64_t minutes = 0;
    s.Query("duration_ms",
            "FROM calls WHERE company_id = :c AND started_at >= :from AND started_at < :to "
            "AND id <> :except AND base_cost_cents IS NOT NULL AND duration_ms IS NOT NULL",
            Params().Add(company_id.value).Add(from).Add(to).Add(except.value), [&](const Row& r) {
              const auto ms = r.Int64("duration_ms");
              // Started minutes, without overflow for any stored duration.
              if (ms > 0) minutes += ms / 60'000 + (ms % 60'000 != 0 ? 1 : 0);
            });
    return minutes;
  });
}

Result<std::int64_t> SqlWebhookEventRepository::Record(const calls::WebhookEventRecord& e) {
  static const std::string sql = "INSERT INTO webhook_events (" + std::string(kEventColumns) +
                                 ") VALUES (" + std::string(kEventValues) + ") RETURNING id";
  // A duplicate (kAlreadyExists) or any failure ends the caller's transaction: no savepoint.
  return database_.RunWithoutSavepoint([&](Session& s) -> Result<std::int64_t> {
    Params params;
    AddEventParams(params, s.keyring(), e, clock_.Now());
    return s.InsertReturningId(sql, params);
  });
}

Status SqlWebhookEventRepository::AttributeTo(std::int64_t event_id, CompanyId company_id) {
  return database_.Run([&](Session& s) -> Status {
    s.Execute(
        "UPDATE webhook_events SET company_id = :c, updated_at = :now "
        "WHERE id = :id AND company_id IS NULL",
        Params().Add(company_id.value).Add(clock_.Now()).Add(event_id));
    return Ok();
  });
}

Status SqlWebhookEventRepository::Empty(std::int64_t event_id) {
  return database_.Run([&](Session& s) -> Status {
    s.Execute(
        "UPDATE webhook_events SET payload = '', error = NULL, updated_at = :now WHERE id = :id",
        Params().Add(clock_.Now()).Add(event_id));
    return Ok();
  });
}

// One event of a PostgreSQL group: its values as array elements (built on the caller's
// thread, sealing included) and, once its group is written, its outcome — handed to `done`
// when it was queued with RecordWithCallLater.
struct SqlCallEventStore::Pending : GroupCommit::Waiter {
  void Written() override {
    try {
      done(std::move(result));
    } catch (...) {
      // RecordedDone must not throw; nothing to hand on.
    }
  }
  std::string elements;
  std::string call_id;  // the platform's: the order in which a group locks its calls
  CompanyId company_id;
  Result<calls::RecordedCallEvent> result =
      tl::unexpected(Error{ErrorCode::kInternal, "database: the event was not written"});
  RecordedDone done;
};

// One event on SQLite: the parameters of its two statements, built on the caller's thread
// (sealed texts included): the transaction may run on the thread that writes the group.
struct SqlCallEventStore::SqliteEvent {
  Params event_params;
  Params call_params;
  std::string call_id;  // the platform's
  CompanyId company_id;
  std::string dedupe_key;  // as stored

  // SQLite has no stored functions: the statements run in one transaction, committed in a
  // group. Without RETURNING: SQLite gathers a RETURNING statement's rows in a temporary
  // B-tree it opens, begins, clears and closes on every run; the change counts tell the
  // outcomes, and the call's id is one lookup by its unique key.
  Result<calls::RecordedCallEvent> Write(Session& s) const {
    static const std::string event_sql =
        "INSERT INTO webhook_events (" + std::string(kEventColumns) + ") VALUES (" +
        std::string(kEventValues) + ") ON CONFLICT (dedupe_key) DO NOTHING";
    static const std::string call_sql = CallUpsertSql();
    calls::RecordedCallEvent out;
    if (s.Execute(event_sql, event_params) == 0) {
      out.duplicate = true;
      return out;
    }
    if (s.Execute(call_sql, call_params) == 0) {
      // The DO UPDATE's WHERE left the call alone: another company's call id (rolls back the
      // event too), or an erased call (the event is removed again: nothing is kept).
      Error why = WhyNotWritten(s, company_id, call_id);
      if (why.code != ErrorCode::kConflict) return tl::unexpected(std::move(why));
      s.Execute("DELETE FROM webhook_events WHERE dedupe_key = :key", Params().Add(dedupe_key));
      out.erased = true;
      return out;
    }
    std::optional<std::int64_t> id;
    s.Query("id", "FROM calls WHERE retell_call_id = :id", Params().Add(call_id),
            [&](const Row& row) { id = row.Int64("id"); });
    if (!id) return Fail(ErrorCode::kInternal, "database: the call was not found after its upsert");
    out.call_id = CallId(*id);
    return out;
  }
};

Status SqlCallEventStore::Prepare(const calls::WebhookEventRecord& event, CompanyId company_id,
                                  const calls::CallUpdate& u, Pending& item) const {
  try {
    Params params;
    params.Add(event.source)
        .Add(event.event)
        .Add(StoredDedupeKey(event.dedupe_key))
        .Add(SealedPayload(database_.keyring(), event))
        .Add(event.status);
    AddCallParams(params, database_.keyring(), company_id, u, clock_.Now());
    AppendArrayElements(params, item.elements);
    item.call_id = u.retell_call_id;
    item.company_id = company_id;
  } catch (...) {
    return tl::unexpected(ErrorFromCurrentException());
  }
  return Ok();
}

Status SqlCallEventStore::Prepare(const calls::WebhookEventRecord& event, CompanyId company_id,
                                  const calls::CallUpdate& u, SqliteEvent& item) const {
  try {
    const auto now = clock_.Now();
    AddEventParams(item.event_params, database_.keyring(), event, now);
    AddCallParams(item.call_params, database_.keyring(), company_id, u, now);
    item.call_id = u.retell_call_id;
    item.company_id = company_id;
    item.dedupe_key = StoredDedupeKey(event.dedupe_key);
  } catch (...) {
    return tl::unexpected(ErrorFromCurrentException());
  }
  return Ok();
}

Result<calls::RecordedCallEvent> SqlCallEventStore::RecordWithCall(
    const calls::WebhookEventRecord& event, CompanyId company_id, const calls::CallUpdate& u) {
  if (auto valid = ValidCallUpdate(u); !valid) return tl::unexpected(valid.error());
  if (database_.dialect() == Dialect::kPostgresql) {
    Pending mine;
    if (auto prepared = Prepare(event, company_id, u, mine); !prepared) {
      return tl::unexpected(prepared.error());
    }
    if (database_.InsideRun()) {  // part of the caller's transaction: written now, in it
      if (auto written = WriteTogether({&mine}); !written) return tl::unexpected(written.error());
    } else {
      group_.Submit(mine, write_group_);
    }
    return std::move(mine.result);
  }
  SqliteEvent mine;
  if (auto prepared = Prepare(event, company_id, u, mine); !prepared) {
    return tl::unexpected(prepared.error());
  }
  return database_.WithGroupedTransaction([&](Session& s) { return mine.Write(s); });
}

void SqlCallEventStore::RecordWithCallLater(const calls::WebhookEventRecord& event,
                                            CompanyId company_id, const calls::CallUpdate& u,
                                            RecordedDone done) {
  if (database_.InsideRun()) return done(RecordWithCall(event, company_id, u));
  if (auto valid = ValidCallUpdate(u); !valid) return done(tl::unexpected(valid.error()));
  if (database_.dialect() == Dialect::kPostgresql) {
    auto mine = std::make_unique<Pending>();
    if (auto prepared = Prepare(event, company_id, u, *mine); !prepared) {
      return done(tl::unexpected(prepared.error()));
    }
    mine->done = std::move(done);
    group_.SubmitLater(std::move(mine), write_group_);
    return;
  }
  auto mine = std::make_shared<SqliteEvent>();
  if (auto prepared = Prepare(event, company_id, u, *mine); !prepared) {
    return done(tl::unexpected(prepared.error()));
  }
  auto out = std::make_shared<Result<calls::RecordedCallEvent>>(
      tl::unexpected(Error{ErrorCode::kInternal, "database: the event was not written"}));
  database_.WithGroupedTransactionLater(
      [mine, out](Session& s) -> Status {
        *out = mine->Write(s);
        if (!*out) return tl::unexpected(out->error());
        return Ok();
      },
      [out, done = std::move(done)](Status committed) {
        if (!committed) return done(tl::unexpected(committed.error()));
        done(std::move(*out));
      });
}

namespace {
// The connection, the server or its time failed, not one event's data.
bool StorageFailed(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout;
}
}  // namespace

bool SqlCallEventStore::WriteGroup(const std::vector<GroupCommit::Waiter*>& waiters) {
  std::vector<Pending*> group;
  group.reserve(waiters.size());
  for (GroupCommit::Waiter* waiter : waiters) group.push_back(static_cast<Pending*>(waiter));
  // Written in the order of their call ids (events of one call keep their arrival order): the
  // statement locks each call's row until it commits, and groups of two instances that took
  // the same calls in opposite orders would deadlock (PostgreSQL ends one after a second,
  // failing all of its webhooks). In one order, the later group waits for the earlier.
  std::stable_sort(group.begin(), group.end(),
                   [](const Pending* a, const Pending* b) { return a->call_id < b->call_id; });
  if (group.size() > 1) {
    const observability::ScopedRequestId shared(
        observability::ScopedRequestId::Borrowed{""});  // one statement serves them all
    const Status together = WriteTogether(group);
    if (together) return true;
    if (StorageFailed(together.error())) {
      // Written alone, each would most likely fail the same way, one after another. Every
      // caller gets the error (the platform delivers again).
      for (Pending* item : group) item->result = tl::unexpected(together.error());
      return false;
    }
    // One event's data failed the statement, and nothing of the group was written: each event
    // alone gets its own outcome.
  }
  bool storage_ok = true;
  for (Pending* item : group) {
    const observability::ScopedRequestId request(
        observability::ScopedRequestId::Borrowed{item->request_id});
    if (auto alone = WriteTogether({item}); !alone) {
      item->result = tl::unexpected(alone.error());
      if (StorageFailed(alone.error())) storage_ok = false;
    }
  }
  return storage_ok;
}

// One call of callgate_record_call_events for `items`; sets their outcomes when it succeeds.
Status SqlCallEventStore::WriteTogether(const std::vector<Pending*>& items) {
  static const std::string sql = "SELECT item, call_id FROM callgate_record_call_events(:values)";
  return database_.RunWithoutSavepoint([&](Session& s) -> Status {
    std::string values = "{";
    for (const Pending* item : items) {
      if (values.size() > 1) values += ',';
      values += item->elements;
    }
    values += '}';
    std::vector<std::optional<std::int64_t>> call_ids(items.size());
    std::vector<bool> answered(items.size(), false);
    s.Rows(sql, "item, call_id", Params().Add(values), [&](const Row& row) {
      const auto item = row.Int64("item");
      if (item < 1 || item > static_cast<std::int64_t>(items.size())) return;
      call_ids[item - 1] = row.OptionalInt64("call_id");
      answered[item - 1] = true;
    });
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!answered[i]) return Fail(ErrorCode::kInternal, "recording the event gave no answer");
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!call_ids[i]) {
        items[i]->result = calls::RecordedCallEvent{true, {}};  // NULL: a redelivery
      } else if (*call_ids[i] == 0) {  // 0: nothing kept (another company's, or erased)
        Error why = WhyNotWritten(s, items[i]->company_id, items[i]->call_id);
        if (why.code == ErrorCode::kConflict) {
          items[i]->result = calls::RecordedCallEvent{false, {}, true};
        } else {
          items[i]->result = tl::unexpected(std::move(why));
        }
      } else {
        items[i]->result = calls::RecordedCallEvent{false, CallId(*call_ids[i])};
      }
    }
    return Ok();
  });
}

Status DatabaseTransactionRunner::Run(const std::function<Status()>& fn) {
  auto body = [&](Session&) -> Status { return fn(); };
  if (commit_ == Commit::kGrouped) return database_.WithGroupedTransaction(body);
  return database_.WithTransaction(body);
}

}  // namespace callgate::storage
