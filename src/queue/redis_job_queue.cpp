#include "queue/redis_job_queue.hpp"

#include "observability/log.hpp"
#include "queue/common.hpp"
#include "redis/client_pool.hpp"
#include "storage/database.hpp"
#include "storage/session.hpp"

namespace callgate::queue {
namespace {

namespace obs = observability;
using redis::Argv;
using redis::Reply;
using redis::Script;
using storage::Params;
using storage::Row;
using storage::Session;

// ARGV: prefix, marker ttl ms, now ms, then per job: id, queue, type, payload, request_id,
// available_at, created_at. Returns how many jobs were new.
const Script kPushScript(R"lua(
local p = ARGV[1]
local ttl = ARGV[2]
local now = tonumber(ARGV[3])
local pushed = 0
for i = 4, #ARGV, 7 do
  local id = ARGV[i]
  if redis.call('SET', p .. 'relayed:' .. id, '1', 'NX', 'PX', ttl) then
    local queue = ARGV[i + 1]
    redis.call('HSET', p .. 'job:' .. id, 'queue', queue, 'type', ARGV[i + 2],
               'payload', ARGV[i + 3], 'request_id', ARGV[i + 4], 'attempts', '0',
               'created_at', ARGV[i + 6])
    if tonumber(ARGV[i + 5]) > now then
      redis.call('ZADD', p .. 'delayed:' .. queue, ARGV[i + 5], id)
    else
      redis.call('LPUSH', p .. 'q:' .. queue, id)
    end
    pushed = pushed + 1
  end
end
return pushed
)lua");

// ARGV: prefix, now ms, default lease ms, token, n, queue_1..queue_n, then type/lease pairs.
// Promotes due delayed jobs, reclaims expired leases, then reserves the oldest ready job of the
// first non-empty queue. Returns {id, HGETALL of the job} or nil.
const Script kReserveScript(R"lua(
local p = ARGV[1]
local now = tonumber(ARGV[2])
local default_lease = tonumber(ARGV[3])
local token = ARGV[4]
local nq = tonumber(ARGV[5])
for i = 1, nq do
  local q = ARGV[5 + i]
  local due = redis.call('ZRANGEBYSCORE', p .. 'delayed:' .. q, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(due) do
    redis.call('ZREM', p .. 'delayed:' .. q, id)
    redis.call('LPUSH', p .. 'q:' .. q, id)
  end
  local expired = redis.call('ZRANGEBYSCORE', p .. 'reserved:' .. q, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(expired) do
    redis.call('ZREM', p .. 'reserved:' .. q, id)
    redis.call('HDEL', p .. 'job:' .. id, 'token', 'reserved_until')
    redis.call('RPUSH', p .. 'q:' .. q, id)
  end
end
for i = 1, nq do
  local q = ARGV[5 + i]
  local id = redis.call('RPOP', p .. 'q:' .. q)
  while id do
    local key = p .. 'job:' .. id
    local job_type = redis.call('HGET', key, 'type')
    if job_type then
      local lease = default_lease
      for j = 6 + nq, #ARGV - 1, 2 do
        if ARGV[j] == job_type then lease = tonumber(ARGV[j + 1]) end
      end
      local until_ms = string.format('%d', now + lease)
      redis.call('HSET', key, 'token', token, 'reserved_until', until_ms)
      redis.call('HINCRBY', key, 'attempts', 1)
      redis.call('ZADD', p .. 'reserved:' .. q, until_ms, id)
      return {id, redis.call('HGETALL', key)}
    end
    id = redis.call('RPOP', p .. 'q:' .. q)
  end
end
return false
)lua");

// ARGV: prefix, id, token, queue. Deletes the job if the reservation is still this one.
const Script kCompleteScript(R"lua(
local key = ARGV[1] .. 'job:' .. ARGV[2]
if redis.call('HGET', key, 'token') ~= ARGV[3] then return 0 end
redis.call('ZREM', ARGV[1] .. 'reserved:' .. ARGV[4], ARGV[2])
redis.call('DEL', key)
return 1
)lua");

// ARGV: prefix, id, token, queue, due ms, error.
const Script kRetryScript(R"lua(
local key = ARGV[1] .. 'job:' .. ARGV[2]
if redis.call('HGET', key, 'token') ~= ARGV[3] then return 0 end
redis.call('ZREM', ARGV[1] .. 'reserved:' .. ARGV[4], ARGV[2])
redis.call('HDEL', key, 'token', 'reserved_until')
redis.call('HSET', key, 'last_error', ARGV[6])
redis.call('ZADD', ARGV[1] .. 'delayed:' .. ARGV[4], ARGV[5], ARGV[2])
return 1
)lua");

// ARGV: prefix, id, token, queue. Back to the front of its queue, attempt not counted.
const Script kReleaseScript(R"lua(
local key = ARGV[1] .. 'job:' .. ARGV[2]
if redis.call('HGET', key, 'token') ~= ARGV[3] then return 0 end
redis.call('ZREM', ARGV[1] .. 'reserved:' .. ARGV[4], ARGV[2])
redis.call('HDEL', key, 'token', 'reserved_until')
if tonumber(redis.call('HGET', key, 'attempts') or '0') > 0 then
  redis.call('HINCRBY', key, 'attempts', -1)
end
redis.call('RPUSH', ARGV[1] .. 'q:' .. ARGV[4], ARGV[2])
return 1
)lua");

struct OutboxRow {
  std::int64_t id;
  std::string queue, type, payload, request_id;
  std::int64_t available_at, created_at;
};

// Decodes the reserve script's {id, {field, value, ...}}.
Result<Job> DecodeReserved(const Reply& reply) {
  if (!reply.IsArray() || reply.array().size() != 2 || !reply.array()[1].IsArray()) {
    return Fail(ErrorCode::kInternal,
                "redis queue: unexpected reserve reply " + reply.DebugString());
  }
  Job job;
  auto id = reply.array()[0].ToInteger();
  if (!id) return tl::unexpected(id.error());
  job.id = *id;
  const auto& fields = reply.array()[1].array();
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    auto name = fields[i].ToString();
    auto value = fields[i + 1].ToString();
    if (!name || !value) continue;
    if (*name == "queue") job.queue = *value;
    if (*name == "type") job.type = *value;
    if (*name == "payload") job.payload_json = *value;
    if (*name == "request_id") job.request_id = *value;
    if (*name == "last_error") job.last_error = *value;
    if (*name == "token") job.reservation = *value;
    if (*name == "attempts") job.attempts = static_cast<int>(fields[i + 1].ToInteger().value_or(0));
    if (*name == "created_at")
      job.created_at = FromUnixMillis(fields[i + 1].ToInteger().value_or(0));
    if (*name == "reserved_until") {
      job.reserved_until = FromUnixMillis(fields[i + 1].ToInteger().value_or(0));
    }
  }
  return job;
}

// 1 → Ok, 0 → lease lost.
Status CheckApplied(const Result<Reply>& reply, const Job& job) {
  if (!reply) return tl::unexpected(reply.error());
  auto applied = reply->ToInteger();
  if (!applied) return tl::unexpected(applied.error());
  return *applied == 1 ? Ok() : internal::LeaseLost(job);
}

}  // namespace

RedisJobQueue::RedisJobQueue(storage::Database& db, redis::ClientPool& redis, const Clock& clock,
                             RedisQueueOptions options)
    : db_(db), redis_(redis), clock_(clock), options_(std::move(options)) {}

RedisJobQueue::~RedisJobQueue() { Stop(); }

std::string RedisJobQueue::Key(std::string_view suffix) const {
  return options_.key_prefix + std::string(suffix);
}

void RedisJobQueue::SetWakeCallback(std::function<void()> wake) { wake_.Set(std::move(wake)); }

void RedisJobQueue::WakeWorkers() { wake_.Fire(); }

Result<std::int64_t> RedisJobQueue::Enqueue(const NewJob& job) {
  if (auto valid = internal::ValidateNewJob(job); !valid) return tl::unexpected(valid.error());
  const SystemTimePoint now = clock_.Now();
  const std::string request_id = internal::RequestIdFor(job);
  auto id = db_.Run([&](Session& s) -> Result<std::int64_t> {
    return s.InsertReturningId(
        "INSERT INTO job_outbox (queue, type, payload, available_at, request_id, created_at) "
        "VALUES (:queue, :type, :payload, :available_at, :request_id, :created_at) RETURNING id",
        Params()
            .Add(job.queue)
            .Add(job.type)
            .Add(internal::PayloadOrEmptyObject(job.payload_json))
            .Add(now + job.delay)
            .Add(request_id.empty() ? std::optional<std::string>() : request_id)
            .Add(now));
  });
  if (id) {
    {
      std::lock_guard lock(relay_mutex_);
      relay_pending_ = true;
    }
    relay_wake_.notify_one();
  }
  return id;
}

Result<std::size_t> RedisJobQueue::RelayOnce() {
  auto rows = db_.Run([&](Session& s) -> Result<std::vector<OutboxRow>> {
    std::vector<OutboxRow> out;
    s.Query("id, queue, type, payload, request_id, available_at, created_at",
            "FROM job_outbox ORDER BY id LIMIT " + std::to_string(options_.relay_batch), {},
            [&](const Row& row) {
              out.push_back(OutboxRow{row.Int64("id"), row.String("queue"), row.String("type"),
                                      row.String("payload"),
                                      row.OptionalString("request_id").value_or(""),
                                      row.Int64("available_at"), row.Int64("created_at")});
            });
    return out;
  });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::size_t{0};

  Argv args = {options_.key_prefix, std::to_string(options_.relay_marker_ttl.count()),
               std::to_string(ToUnixMillis(clock_.Now()))};
  for (const OutboxRow& row : *rows) {
    args.insert(args.end(),
                {std::to_string(row.id), row.queue, row.type, row.payload, row.request_id,
                 std::to_string(row.available_at), std::to_string(row.created_at)});
  }
  auto pushed = redis_.Eval(kPushScript, {}, args);
  if (!pushed) return tl::unexpected(pushed.error());

  // Delete exactly the rows copied: ids are not committed in order, so no ranges.
  // Distinct placeholder names: SQLite binds equal names to one parameter.
  std::string in;
  Params ids;
  for (const OutboxRow& row : *rows) {
    in += (in.empty() ? ":id" : ", :id") + std::to_string(ids.size());
    ids.Add(row.id);
  }
  auto deleted = db_.Run([&](Session& s) -> Status {
    s.Execute("DELETE FROM job_outbox WHERE id IN (" + in + ")", ids);
    return Ok();
  });
  // A failed delete only means the rows are copied again later, which the markers absorb.
  if (!deleted) return tl::unexpected(deleted.error());
  if (pushed->ToInteger().value_or(0) > 0) WakeWorkers();
  return rows->size();
}

Status RedisJobQueue::Start() {
  std::lock_guard lock(relay_mutex_);
  if (relay_thread_.joinable()) return Ok();
  relay_stopping_ = false;
  relay_thread_ = std::thread([this] { RelayLoop(); });
  return Ok();
}

void RedisJobQueue::Stop() {
  {
    std::lock_guard lock(relay_mutex_);
    if (!relay_thread_.joinable()) return;
    relay_stopping_ = true;
  }
  relay_wake_.notify_all();
  relay_thread_.join();
}

void RedisJobQueue::RelayLoop() {
  using std::chrono::milliseconds;
  // After an enqueue the row may not be committed yet (the caller's transaction is still
  // open), so an empty round right after a wake is retried quickly: 1, 2, 4, … 64 ms.
  milliseconds fast_retry{0};
  bool failing = false;
  while (true) {
    bool pending = false;
    {
      std::lock_guard lock(relay_mutex_);
      if (relay_stopping_) break;
      pending = relay_pending_;
      relay_pending_ = false;
    }
    auto relayed = RelayOnce();
    milliseconds wait = options_.relay_interval;
    if (!relayed) {
      if (!failing) {
        obs::LogWarn("job_relay_failed", {{"error", relayed.error().message}});
        failing = true;
      }
    } else {
      if (failing) obs::LogInfo("job_relay_recovered");
      failing = false;
      if (*relayed == options_.relay_batch) continue;  // more rows are waiting
      if (*relayed == 0 && (pending || fast_retry.count() > 0)) {
        fast_retry = fast_retry.count() == 0 ? milliseconds(1) : fast_retry * 2;
        if (fast_retry <= milliseconds(64)) {
          wait = fast_retry;
        } else {
          fast_retry = milliseconds(0);  // done: back to polling (doubling on would overflow)
        }
      } else {
        fast_retry = milliseconds(0);
      }
    }
    std::unique_lock lock(relay_mutex_);
    relay_wake_.wait_for(lock, wait, [&] { return relay_stopping_ || relay_pending_; });
  }
  (void)RelayOnce();  // best effort: hand over what was committed before shutdown
}

Result<std::optional<Job>> RedisJobQueue::Reserve(const ReserveOptions& options) {
  const std::string token = internal::NewReservationToken(options.worker_id);
  Argv args = {options_.key_prefix, std::to_string(ToUnixMillis(clock_.Now())),
               std::to_string(options.lease.count()), token, std::to_string(options.queues.size())};
  args.insert(args.end(), options.queues.begin(), options.queues.end());
  for (const auto& [type, lease] : options.lease_by_type) {
    args.push_back(type);
    args.push_back(std::to_string(lease.count()));
  }
  auto reply = redis_.Eval(kReserveScript, {}, args);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->IsNil()) return std::optional<Job>();
  auto job = DecodeReserved(*reply);
  if (!job) return tl::unexpected(job.error());
  return std::optional<Job>(std::move(*job));
}

Status RedisJobQueue::Complete(const Job& job) {
  return CheckApplied(
      redis_.Eval(kCompleteScript, {},
                  {options_.key_prefix, std::to_string(job.id), job.reservation, job.queue}),
      job);
}

Status RedisJobQueue::Retry(const Job& job, std::chrono::milliseconds delay,
                            std::string_view error) {
  const std::string due = std::to_string(ToUnixMillis(clock_.Now() + delay));
  return CheckApplied(redis_.Eval(kRetryScript, {},
                                  {options_.key_prefix, std::to_string(job.id), job.reservation,
                                   job.queue, due, internal::StoredError(error)}),
                      job);
}

Status RedisJobQueue::MoveToFailed(const Job& job, std::string_view error) {
  const SystemTimePoint now = clock_.Now();
  auto failed_id = db_.Run([&](Session& s) -> Result<std::int64_t> {
    return internal::InsertFailedJob(s, job, error, now);
  });
  if (!failed_id) return tl::unexpected(failed_id.error());
  Status removed = CheckApplied(
      redis_.Eval(kCompleteScript, {},
                  {options_.key_prefix, std::to_string(job.id), job.reservation, job.queue}),
      job);
  if (!removed && removed.error().code == ErrorCode::kConflict) {
    // Redis answered that this reservation is gone: another worker has the job now, and its
    // run will record the outcome. Any other error leaves open whether the script ran, so the
    // record stays: at worst the job is listed twice, never lost.
    (void)db_.Run([&](Session& s) -> Status {
      s.Execute("DELETE FROM failed_jobs WHERE id = :id", Params().Add(*failed_id));
      return Ok();
    });
  }
  return removed;
}

Status RedisJobQueue::Release(const Job& job) {
  Status released = CheckApplied(
      redis_.Eval(kReleaseScript, {},
                  {options_.key_prefix, std::to_string(job.id), job.reservation, job.queue}),
      job);
  if (released) WakeWorkers();
  return released;
}

Result<QueueStats> RedisJobQueue::Stats() {
  QueueStats stats;
  redis::Pipeline pipeline;
  for (std::string_view name : {kHigh, kDefault, kLow}) {
    stats.queues.push_back(QueueDepth{std::string(name), 0, 0, 0});
    pipeline.Add({"LLEN", Key("q:" + std::string(name))})
        .Add({"ZCARD", Key("delayed:" + std::string(name))})
        .Add({"ZCARD", Key("reserved:" + std::string(name))});
  }
  auto replies = redis_.RunPipeline(pipeline);
  if (!replies) return tl::unexpected(replies.error());
  for (std::size_t i = 0; i < stats.queues.size(); ++i) {
    stats.queues[i].ready = (*replies)[3 * i].ToInteger().value_or(0);
    stats.queues[i].delayed = (*replies)[3 * i + 1].ToInteger().value_or(0);
    stats.queues[i].reserved = (*replies)[3 * i + 2].ToInteger().value_or(0);
  }
  auto counted = db_.Run([&](Session& s) -> Status {
    stats.failed = internal::CountFailedJobs(s);
    s.Query("COUNT(*) AS n", "FROM job_outbox", {},
            [&](const Row& row) { stats.outbox = row.Int64("n"); });
    return Ok();
  });
  if (!counted) return tl::unexpected(counted.error());
  return stats;
}

}  // namespace callgate::queue
