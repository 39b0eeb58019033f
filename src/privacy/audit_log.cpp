#include "privacy/audit_log.hpp"

#include "observability/log.hpp"
#include "storage/session.hpp"

namespace callgate::privacy {
namespace {

using storage::Params;
using storage::Row;
using storage::Session;

constexpr std::string_view kColumns =
    "id, company_id, actor, action, target, detail, request_id, created_at";

AuditEvent Decode(const Row& r) {
  AuditEvent e;
  e.id = r.Int64("id");
  e.company_id = r.OptionalInt64("company_id");
  e.actor = r.String("actor");
  e.action = r.String("action");
  e.target = r.String("target");
  e.detail = r.String("detail");
  e.request_id = r.OptionalString("request_id");
  e.created_at = r.Time("created_at");
  return e;
}

}  // namespace

std::string UserActor(std::int64_t user_id) { return "user:" + std::to_string(user_id); }

Result<AuditEvent> SqlAuditLog::Append(AuditEvent event) {
  if (event.actor.empty() || event.action.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "an audit event needs an actor and an action");
  }
  event.created_at = clock_.Now();
  return database_.Run([&](Session& s) -> Result<AuditEvent> {
    event.id = s.InsertReturningId(
        "INSERT INTO audit_events (company_id, actor, action, target, detail, request_id, "
        "created_at) VALUES (:company_id, :actor, :action, :target, :detail, :request_id, "
        ":created_at) RETURNING id",
        Params()
            .Add(event.company_id)
            .Add(event.actor)
            .Add(event.action)
            .Add(event.target)
            .Add(event.detail)
            .Add(event.request_id)
            .Add(event.created_at));
    return event;
  });
}

Result<std::vector<AuditEvent>> SqlAuditLog::List(const AuditQuery& query) {
  std::string where = "WHERE 1 = 1";
  Params params;
  if (query.company_id) {
    where += " AND company_id = :company_id";
    params.Add(*query.company_id);
  }
  if (query.action) {
    where += " AND action = :action";
    params.Add(*query.action);
  }
  if (query.target) {
    where += " AND target = :target";
    params.Add(*query.target);
  }
  if (query.since) {
    where += " AND created_at >= :since";
    params.Add(*query.since);
  }
  if (query.until) {
    where += " AND created_at < :until";
    params.Add(*query.until);
  }
  if (query.before_id) {
    where += " AND id < :before_id";
    params.Add(*query.before_id);
  }
  const int limit = query.limit < 1 ? 1 : (query.limit > 1000 ? 1000 : query.limit);
  return database_.Run([&](Session& s) -> Result<std::vector<AuditEvent>> {
    std::vector<AuditEvent> out;
    s.Query(kColumns,
            "FROM audit_events " + where + " ORDER BY id DESC LIMIT " + std::to_string(limit),
            params, [&](const Row& r) { out.push_back(Decode(r)); });
    return out;
  });
}

Result<std::int64_t> SqlAuditLog::PurgeBefore(SystemTimePoint cutoff) {
  return database_.Run([&](Session& s) -> Result<std::int64_t> {
    return s.Execute("DELETE FROM audit_events WHERE created_at < :cutoff", Params().Add(cutoff));
  });
}

bool AppendOrLog(AuditLog& log, AuditEvent event) {
  const std::string action = event.action;
  if (auto appended = log.Append(std::move(event)); !appended) {
    observability::LogError("audit_write_failed",
                            {{"action", action}, {"error", appended.error().message}});
    return false;
  }
  return true;
}

}  // namespace callgate::privacy
