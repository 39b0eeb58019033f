#include "app/application.hpp"

#include <mutex>
#include <nlohmann/json.hpp>

#include "admin/admin_api.hpp"
#include "admin/admin_store.hpp"
#include "admin/diagnostics.hpp"
#include "agent/speech.hpp"
#include "app/calcom_webhook.hpp"
#include "app/dashboard_api.hpp"
#include "app/observability_wiring.hpp"
#include "app/pending_booking_job.hpp"
#include "app/privacy_commands.hpp"
#include "app/queue_commands.hpp"
#include "app/version.hpp"
#include "auth/admin_token_guard.hpp"
#include "auth/agent_token_guard.hpp"
#include "auth/auth_service.hpp"
#include "auth/sql_repositories.hpp"
#include "booking/availability.hpp"
#include "booking/booking_service.hpp"
#include "booking/calendar_sync.hpp"
#include "booking/call_context.hpp"
#include "booking/callback_queue.hpp"
#include "calcom/calcom_client.hpp"
#include "calcom/redis_slot_cache_store.hpp"
#include "calcom/slot_cache.hpp"
#include "calls/call_analysis.hpp"
#include "calls/call_event_service.hpp"
#include "calls/inbound_call_service.hpp"
#include "http/server.hpp"
#include "http/trusted_proxies.hpp"
#include "mcp/agent_tools.hpp"
#include "mcp/mcp_server.hpp"
#include "mcp/origin_guard.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/personal_data.hpp"
#include "queue/queue_runtime.hpp"
#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/client_pool.hpp"
#include "resilience/breaker_state_store.hpp"
#include "resilience/calendar_decorators.hpp"
#include "resilience/circuit_breaker.hpp"
#include "resilience/redis_breaker_store.hpp"
#include "retell/function_handlers.hpp"
#include "retell/signature_guard.hpp"
#include "retell/webhook_handlers.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "tenancy/tenant_directory.hpp"
#include "vapi/agent_tools.hpp"
#include "vapi/auth_guard.hpp"
#include "vapi/server_messages.hpp"

namespace callgate::app {
namespace {

using http::Method;
using http::Request;
using http::Response;
namespace obs = observability;

// Makes log lines written while handling a request carry its request id.
class LogContextMiddleware final : public http::Middleware {
 public:
  std::string_view Name() const noexcept override { return "log_context"; }
  Response Handle(Request& request, const http::Next& next) const override {
    obs::ScopedRequestId scope(request.request_id);
    return next(request);
  }
};

// What initialize tells an MCP client's model about these tools.
constexpr std::string_view kMcpInstructions =
    "Werkzeuge des Telefonassistenten dieser Firma: Leistungen und Filialen nennen, freie Termine "
    "prüfen und buchen. Antworten enthalten einen deutschen Satz (message) für den Anrufer.";

Result<std::vector<storage::Migration>> MigrationsFor(const Config& config,
                                                      storage::Dialect dialect) {
  if (config.migrations_dir.empty()) return storage::EmbeddedMigrations(dialect);
  return storage::LoadMigrations(config.migrations_dir, dialect);
}

}  // namespace

struct Application::Impl {
  Config config;
  const Clock& clock;
  observability::Metrics metrics;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::Migrator> migrator;
  http::Router router;
  std::mutex server_mutex;  // guards `server` for metric scrapes against Start/Stop
  std::unique_ptr<http::Server> server;

  // Adapters, then domain services, then the HTTP edge — in dependency order.
  std::unique_ptr<storage::SqlCompanyRepository> sql_companies;
  std::unique_ptr<storage::SqlBranchRepository> sql_branches;
  std::unique_ptr<storage::SqlServiceRepository> sql_services;
  std::unique_ptr<storage::SqlPhoneNumberRepository> sql_numbers;
  // The tenant configuration from memory (tenancy/cached_repositories.hpp).
  std::unique_ptr<storage::SqlConfigVersion> config_version;
  std::unique_ptr<tenancy::TenancyCache> tenancy_cache;
  std::unique_ptr<tenancy::CachedCompanyRepository> companies;
  std::unique_ptr<tenancy::CachedBranchRepository> branches;
  std::unique_ptr<tenancy::CachedServiceRepository> services;
  std::unique_ptr<tenancy::CachedPhoneNumberRepository> numbers;
  std::unique_ptr<storage::SqlCustomerRepository> customers;
  std::unique_ptr<storage::SqlCallRepository> calls;
  std::unique_ptr<storage::SqlWebhookEventRepository> webhook_events;
  std::unique_ptr<storage::SqlCallEventStore> call_event_store;
  std::unique_ptr<storage::DatabaseTransactionRunner> transactions;
  std::unique_ptr<storage::DatabaseTransactionRunner> webhook_transactions;
  std::unique_ptr<queue::QueueRuntime> queue_runtime;
  queue::JobQueue* jobs = nullptr;
  std::unique_ptr<QueuedPendingBookings> pending_bookings;
  std::unique_ptr<tenancy::TenantDirectory> tenants;
  std::unique_ptr<calls::CallEventService> call_events;
  std::unique_ptr<calls::InboundCallService> inbound_calls;
  std::unique_ptr<retell::WebhookHandlers> retell_webhooks;
  // Shared state across instances when Redis is configured; in-process otherwise.
  std::unique_ptr<redis::ClientPool> redis_pool;
  std::unique_ptr<ratelimit::LocalRateLimiter> local_limits;
  std::unique_ptr<ratelimit::RedisRateLimiter> redis_limits;
  std::unique_ptr<ratelimit::FallbackRateLimiter> shared_limits;
  ratelimit::RateLimiter* limits = nullptr;
  std::unique_ptr<resilience::BreakerStateStore> breaker_store;
  std::unique_ptr<resilience::CircuitBreaker> breaker;
  std::unique_ptr<resilience::CircuitBreakerCalendarProvider> guarded_calendar;
  std::unique_ptr<resilience::OutboundBudgetCalendarProvider> budgeted_calendar;
  std::unique_ptr<storage::SqlAppointmentRepository> appointments;
  std::unique_ptr<storage::SqlCallbackRequestRepository> callbacks;
  // Staff's side of callback requests: the queue, the SLA, the overdue report.
  std::unique_ptr<booking::CallbackQueue> callback_queue;
  std::unique_ptr<calcom::CalcomClient> calcom_client;
  std::unique_ptr<calcom::SlotCacheStore> slot_store;  // Redis-backed when Redis is configured
  std::unique_ptr<calcom::CachingCalendarProvider> calendar;
  std::unique_ptr<booking::CallContextResolver> call_contexts;
  std::unique_ptr<booking::BookingService> booking;
  std::unique_ptr<calls::CallAnalysis> call_analysis;
  std::unique_ptr<agent::ToolRunner> tool_runner;  // the agent's tools, for every platform
  std::unique_ptr<retell::FunctionHandlers> retell_functions;
  std::unique_ptr<vapi::AgentTools> vapi_tools;
  std::unique_ptr<vapi::ServerMessageHandler> vapi_messages;
  std::unique_ptr<booking::CalendarSyncService> calendar_sync;

  // Admin API (docs/admin-api.md).
  std::unique_ptr<auth::SqlUserRepository> users;
  std::unique_ptr<auth::SqlTokenRepository> api_tokens;
  std::unique_ptr<auth::AuthService> auth_service;
  std::unique_ptr<admin::SqlAdminStore> admin_store;
  std::unique_ptr<admin::AdminApi> admin_api;
  std::unique_ptr<admin::Diagnostics> diagnostics;
  // Data protection (docs/privacy.md): the audit log, access and erasure requests.
  std::unique_ptr<privacy::SqlAuditLog> audit_log;
  std::unique_ptr<privacy::PersonalData> personal_data;
  // observability: /metrics, HTTP/queue/breaker/process metrics, slow queries, alerts.
  std::unique_ptr<ObservabilityWiring> observability;
  // Operations dashboard: GET /dashboard and /api/admin/dashboard/... (docs/operations.md).
  std::unique_ptr<DashboardApi> dashboard;
  // MCP endpoint /mcp for agent tokens (docs/agents.md "MCP").
  std::unique_ptr<mcp::SessionStore> mcp_sessions;
  std::unique_ptr<mcp::ToolGateway> mcp_tools;
  std::unique_ptr<mcp::McpServer> mcp_server;

  Mode mode = Mode::kServe;
  bool queue_started = false;

  Impl(Config c, const Clock& k) : config(std::move(c)), clock(k) {}

  Status BuildShared() {
    local_limits = std::make_unique<ratelimit::LocalRateLimiter>(clock);
    limits = local_limits.get();
    if (config.redis_url.empty()) {
      breaker_store = std::make_unique<resilience::InProcessBreakerStore>();
      return Ok();
    }
    auto url = redis::ParseRedisUrl(config.redis_url);
    if (!url) return tl::unexpected(url.error());
    redis_pool = std::make_unique<redis::ClientPool>(*url, redis::ClientPoolOptions{}, clock);
    redis_limits = std::make_unique<ratelimit::RedisRateLimiter>(*redis_pool, clock);
    // Redis down: limits degrade to this instance's own, requests are never failed for it.
    shared_limits = std::make_unique<ratelimit::FallbackRateLimiter>(*redis_limits, *local_limits,
                                                                     clock, metrics);
    limits = shared_limits.get();
    breaker_store = std::make_unique<resilience::RedisBreakerStore>(*redis_pool, clock, metrics);
    return Ok();
  }

  Status BuildQueue(Mode mode) {
    queue::QueueRuntimeSettings settings = QueueSettingsFromConfig(config);
    if (!config.worker_queues.empty()) settings.workers.queues = config.worker_queues;
    settings.workers.poll_interval = std::chrono::milliseconds(config.worker_poll_interval_ms);
    settings.run_scheduler = config.run_scheduler && mode != Mode::kDescribeOnly;
    if (mode == Mode::kDescribeOnly) settings.workers.concurrency = 0;
    auto runtime =
        queue::QueueRuntime::Create(settings, *database, redis_pool.get(), clock, &metrics);
    if (!runtime) return tl::unexpected(runtime.error());
    queue_runtime = std::move(*runtime);
    jobs = &queue_runtime->jobs();
    return Ok();
  }

  // Follow-up work of requests: what each job type runs, how often it is tried.
  Status RegisterJobs() {
    auto& registry = queue_runtime->registry();
    // Data protection: the daily retention purge (docs/privacy.md).
    if (auto purge = RegisterPrivacyPurgeJob(
            *queue_runtime, *database, *audit_log, clock,
            {config.audit_retention_days, config.failed_job_retention_days}, metrics);
        !purge) {
      return purge;
    }
    auto analysis = registry.Register(
        std::string(calls::kCallAnalysisJob),
        [this](const queue::Job& job) { return call_analysis->Run(job.payload_json); }, {},
        [this](const queue::Job& job, const Error& e) -> Status {
          call_analysis->Failed(job.payload_json, e);
          return Ok();
        });
    if (!analysis) return analysis;
    // A pending booking waits for Cal.com to come back, then the caller gets a callback.
    return RegisterPendingBookingJob(registry, *booking);
  }

  void BuildServices() {
    storage::Database& db = *database;
    sql_companies = std::make_unique<storage::SqlCompanyRepository>(db, clock);
    sql_branches = std::make_unique<storage::SqlBranchRepository>(db, clock);
    sql_services = std::make_unique<storage::SqlServiceRepository>(db, clock);
    sql_numbers = std::make_unique<storage::SqlPhoneNumberRepository>(db, clock);
    config_version = std::make_unique<storage::SqlConfigVersion>(db);
    tenancy::TenancyCacheSettings cache_settings;
    cache_settings.refresh = std::chrono::milliseconds(config.tenancy_cache_refresh_ms);
    tenancy_cache = std::make_unique<tenancy::TenancyCache>(cache_settings, *config_version, clock);
    companies = std::make_unique<tenancy::CachedCompanyRepository>(*sql_companies, *tenancy_cache);
    branches = std::make_unique<tenancy::CachedBranchRepository>(*sql_branches, *tenancy_cache);
    services = std::make_unique<tenancy::CachedServiceRepository>(*sql_services, *tenancy_cache);
    numbers = std::make_unique<tenancy::CachedPhoneNumberRepository>(*sql_numbers, *tenancy_cache);
    customers = std::make_unique<storage::SqlCustomerRepository>(db, clock);
    calls = std::make_unique<storage::SqlCallRepository>(db, clock);
    webhook_events = std::make_unique<storage::SqlWebhookEventRepository>(db, clock);
    call_event_store = std::make_unique<storage::SqlCallEventStore>(db, clock);
    transactions = std::make_unique<storage::DatabaseTransactionRunner>(db);
    // Webhooks arrive many at once and write two short rows each: committed in groups.
    webhook_transactions = std::make_unique<storage::DatabaseTransactionRunner>(
        db, storage::DatabaseTransactionRunner::Commit::kGrouped);
    tenants = std::make_unique<tenancy::TenantDirectory>(*companies, *branches, *numbers,
                                                         config.phone_region);
    call_events = std::make_unique<calls::CallEventService>(
        calls::CallEventSettings{config.phone_region}, *tenants, *calls, *webhook_events,
        *call_event_store, *jobs, *webhook_transactions, metrics);
    inbound_calls = std::make_unique<calls::InboundCallService>(*tenants, *customers, clock,
                                                                metrics, config.phone_region);
    retell_webhooks = std::make_unique<retell::WebhookHandlers>(*call_events, *inbound_calls);

    // Calendar: Cal.com v2 client, wrapped by the slot cache.
    appointments = std::make_unique<storage::SqlAppointmentRepository>(db, clock);
    callbacks = std::make_unique<storage::SqlCallbackRequestRepository>(db, clock);
    booking::CallbackQueueSettings callback_queue_settings;
    callback_queue_settings.sla = {std::chrono::minutes(config.callback_sla_minutes),
                                   config.callback_sla_business_hours};
    callback_queue = std::make_unique<booking::CallbackQueue>(callback_queue_settings, *callbacks,
                                                              *companies, *branches, clock);
    calcom::CalcomSettings calcom_settings;
    calcom_settings.connect_timeout = std::chrono::milliseconds(config.calcom_connect_timeout_ms);
    calcom_settings.slots_timeout = std::chrono::milliseconds(config.calcom_slots_timeout_ms);
    calcom_settings.bookings_timeout = std::chrono::milliseconds(config.calcom_bookings_timeout_ms);
    calcom_client = std::make_unique<calcom::CalcomClient>(calcom_settings, metrics);
    if (redis_pool) {
      slot_store = std::make_unique<calcom::RedisSlotCacheStore>(*redis_pool, metrics);
    } else {
      slot_store = std::make_unique<calcom::InProcessSlotCacheStore>();
    }
    // Cache(Budget(Breaker(Cal.com))): a cache hit spends no budget and still answers while
    // the breaker is open; budget refusals are not Cal.com failures; the breaker sees exactly
    // Cal.com's answers (docs/adr/0005-booking-flow.md).
    breaker = std::make_unique<resilience::CircuitBreaker>(resilience::CircuitBreakerSettings{},
                                                           *breaker_store, clock, metrics);
    guarded_calendar = std::make_unique<resilience::CircuitBreakerCalendarProvider>(
        *calcom_client, *breaker, clock, metrics);
    resilience::OutboundBudgetSettings budget;
    budget.max_calls = config.calcom_budget_per_minute;
    budget.burst = config.calcom_budget_burst;
    budgeted_calendar = std::make_unique<resilience::OutboundBudgetCalendarProvider>(
        *guarded_calendar, *limits, clock, metrics, budget);
    calendar = std::make_unique<calcom::CachingCalendarProvider>(*budgeted_calendar, *slot_store,
                                                                 clock, metrics);
    booking::BookingSettings booking_settings;
    booking_settings.platform_calcom_key = config.calcom_api_key;
    booking_settings.calcom_base_url = config.calcom_base_url;
    booking_settings.phone_region = config.phone_region;
    booking_settings.records = agent::RecordWording();
    // The job of a held booking waits out the call's own create and its search after a timeout
    // (each a connect plus a bookings request) with room to spare.
    booking_settings.pending_job_after = std::max<std::chrono::milliseconds>(
        booking_settings.pending_job_after,
        2 * (calcom_settings.connect_timeout + calcom_settings.bookings_timeout) +
            std::chrono::seconds(10));
    call_contexts = std::make_unique<booking::CallContextResolver>(
        *tenants, *branches, *customers, *calls, clock, config.phone_region);
    call_contexts->FollowConfiguration(tenancy_cache.get());
    pending_bookings = std::make_unique<QueuedPendingBookings>(*jobs);
    booking = std::make_unique<booking::BookingService>(
        booking_settings, *calendar, *companies, *services, *branches, *customers, *appointments,
        *callbacks, *pending_bookings, *transactions, clock, metrics);
    call_analysis = std::make_unique<calls::CallAnalysis>(*companies, *customers, *calls, metrics,
                                                          config.phone_region);
    agent::ToolLimits tool_limits;
    tool_limits.per_tool = {config.function_limit_per_minute, std::chrono::minutes(1)};
    tool_runner =
        std::make_unique<agent::ToolRunner>(*call_contexts, *booking, metrics, limits, tool_limits);
    retell_functions =
        std::make_unique<retell::FunctionHandlers>(*call_contexts, *tool_runner, metrics);
    // Vapi: server messages on the same tool table and call pipeline (docs/agents.md).
    vapi_tools = std::make_unique<vapi::AgentTools>(*call_contexts, *tool_runner);
    vapi_messages = std::make_unique<vapi::ServerMessageHandler>(
        vapi::ServerMessageSettings{config.vapi_assistant_id, redis_pool == nullptr}, *call_events,
        *inbound_calls, *vapi_tools, metrics);
    calendar_sync = std::make_unique<booking::CalendarSyncService>(
        *appointments, *services, *webhook_events, *calendar, *transactions, clock, metrics);
    // No transfer to a person on a public holiday of the branch's state or a closing day.
    inbound_calls->SetHolidayCheck([](const tenancy::Company& company,
                                      const tenancy::Branch& branch, const LocalDateTime& day) {
      return booking::HolidayCalendar::For(company, branch)
          .Closed(booking::CalendarDay{day.year, day.month, day.day});
    });
    // The greeting names the next free slots when the calendar answers within its budget.
    inbound_calls->SetNextSlotsProvider(
        [this](const tenancy::Tenant& tenant) -> std::optional<std::string> {
          auto quick = booking->QuickSlots(tenant.company, tenant.branch, std::nullopt);
          if (!quick) return std::nullopt;
          const std::string zone = tenant.branch && !tenant.branch->timezone.empty()
                                       ? tenant.branch->timezone
                                       : tenant.company.timezone;
          return agent::SpeakQuickSlots(*quick, zone);
        });

    // Admin API: users and API tokens, the admin handlers and the diagnostic endpoint
    // (docs/admin-api.md, docs/security.md).
    users = std::make_unique<auth::SqlUserRepository>(db, clock);
    api_tokens = std::make_unique<auth::SqlTokenRepository>(db, clock);
    auth_service =
        std::make_unique<auth::AuthService>(auth::AuthSettings{}, *users, *api_tokens, clock);
    admin_store = std::make_unique<admin::SqlAdminStore>(db, clock);
    admin::AdminApiSettings admin_settings{config.phone_region, {}};
    // A service may name only an event type of its company's own Cal.com account, and not a
    // recurring one. Asked like every other Cal.com request: within the account's outbound
    // budget and behind its circuit breaker.
    admin_settings.account_event_types =
        [this](const tenancy::Company& company) -> Result<std::vector<admin::AccountEventType>> {
      return calendar->ListAccountEventTypes(booking->AccountFor(company));
    };
    audit_log = std::make_unique<privacy::SqlAuditLog>(db, clock);
    personal_data = std::make_unique<privacy::PersonalData>(
        privacy::PersonalDataSettings{config.phone_region}, db, *audit_log,
        [this](const tenancy::Company& company, const std::string& uid,
               const std::string& seat_uid) -> Status {
          auto cancelled =
              calendar->CancelBooking(booking->AccountFor(company), uid,
                                      "Erasure requested by the customer", {seat_uid, ""});
          if (!cancelled) return tl::unexpected(cancelled.error());
          calendar->InvalidateEventType(cancelled->event_type_id);
          return Ok();
        },
        clock);
    admin_api = std::make_unique<admin::AdminApi>(
        std::move(admin_settings), *companies, *branches, *services, *numbers, *customers,
        *admin_store, *booking, *callback_queue, metrics, *audit_log, *personal_data);
    admin::DiagnosticsSources diagnostic_sources;
    diagnostic_sources.database = database.get();
    diagnostic_sources.migrations = [this]() -> Result<std::vector<storage::MigrationState>> {
      if (!migrator) return Fail(ErrorCode::kUnavailable, "no migrator in this mode");
      return migrator->Status();
    };
    diagnostic_sources.queues = [this]() -> Result<nlohmann::json> {
      auto stats = queue_runtime->backend().Stats();
      if (!stats) return tl::unexpected(stats.error());
      nlohmann::json out = nlohmann::json::object();
      for (const auto& q : stats->queues) {
        out[q.queue] = {{"ready", q.ready}, {"delayed", q.delayed}, {"reserved", q.reserved}};
      }
      out["failed"] = stats->failed;
      out["outbox"] = stats->outbox;
      return out;
    };
    diagnostic_sources.metrics = &metrics;
    diagnostic_sources.sections.emplace_back("circuit_breakers", [this]() {
      nlohmann::json out = nlohmann::json::array();
      if (!breaker) return out;
      for (const auto& k : breaker->Snapshot()) {
        // Keys are "calcom:<hash of the API key>", never the key itself.
        out.push_back({{"key", k.key},
                       {"state", std::string(resilience::BreakerStateName(k.state))},
                       {"consecutive_failures", k.consecutive_failures}});
      }
      return out;
    });
    // MCP: the agent's tools for MCP clients, sessions in this process.
    mcp_sessions = std::make_unique<mcp::SessionStore>(mcp::SessionSettings{}, clock);
    mcp_tools = std::make_unique<mcp::AgentToolGateway>(*tool_runner, *call_contexts, *companies,
                                                        *branches, clock);
    mcp_server = std::make_unique<mcp::McpServer>(
        mcp::McpSettings{"callgate", kVersion, std::string(kMcpInstructions)}, *mcp_sessions,
        *mcp_tools, metrics);
    diagnostics = std::make_unique<admin::Diagnostics>(
        admin::DiagnosticsSettings{kVersion, std::string(AppEnvName(config.app_env)),
                                   config.diagnostics_enabled},
        std::move(diagnostic_sources));
  }

  // The same body every time: written out once, not built and serialised per request.
  Response Health(Request&) const { return Response::RawJson(200, R"({"status":"ok"})"); }

  // /ready for balancers and probes: ready or not, nothing else (queue depths and failed jobs
  // are operators' business: GET /api/admin/ready, platform admins).
  Response Ready(Request&) const {
    const bool ready = ReadyState().first;
    return Response::Json(ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}});
  }

  Response ReadyDetails(Request&) const {
    auto [ready, body] = ReadyState();
    return Response::Json(ready ? 200 : 503, body);
  }

  std::pair<bool, nlohmann::json> ReadyState() const {
    nlohmann::json checks;
    bool ready = true;
    if (auto ping = database->Ping(); ping) {
      checks["database"] = "ok";
    } else {
      checks["database"] = "unavailable";
      ready = false;
    }
    auto current = migrator->IsCurrent();
    if (current && *current) {
      checks["migrations"] = "current";
    } else {
      checks["migrations"] = current ? "pending" : "unknown";
      ready = false;
    }
    // Queue depths are details for operators; a deep queue does not make the instance unready.
    nlohmann::json details = nlohmann::json::object();
    if (auto stats = queue_runtime->backend().Stats()) {
      for (const auto& q : stats->queues) {
        details["queues"][q.queue] = {
            {"ready", q.ready}, {"delayed", q.delayed}, {"reserved", q.reserved}};
      }
      details["failed_jobs"] = stats->failed;
    } else {
      details["queues"] = "unavailable";
    }
    return {ready, nlohmann::json{{"status", ready ? "ready" : "not_ready"},
                                  {"checks", checks},
                                  {"details", details}}};
  }

  // Storage's own counters, read at scrape time: how many writes each group commit put in one
  // commit, and how the SQLite log's checkpoints fare (a failing one shows here before the log
  // grows to the bound a commit enforces).
  void RegisterStorageMetrics() {
    using observability::GaugeSample;
    storage::Database* db = database.get();
    const bool sqlite = db->dialect() == storage::Dialect::kSqlite;
    const std::string writes = sqlite ? "transactions" : "call_events";
    std::function<std::pair<std::uint64_t, std::uint64_t>()> group;
    if (sqlite) {
      group = [db] { return std::pair{db->grouped_batches(), db->grouped_transactions()}; };
    } else {
      storage::SqlCallEventStore* store = call_event_store.get();
      group = [store] { return std::pair{store->groups_written(), store->events_grouped()}; };
    }
    // The commits, or (held) the writes they held.
    const auto counter = [&](std::string_view name, std::string_view help, bool held) {
      metrics.SetCounterCallback(name, help, [group, writes, held] {
        const auto [commits, writes_held] = group();
        return std::vector<GaugeSample>{
            {{{"writes", writes}}, static_cast<double>(held ? writes_held : commits)}};
      });
    };
    counter("callgate_storage_group_commits_total",
            "Commits of the group commit (concurrent short writes committed together): SQLite "
            "transactions, or platform events on PostgreSQL",
            false);
    counter("callgate_storage_group_commit_writes_total",
            "Writes those commits held (divided by callgate_storage_group_commits_total: writes "
            "per commit)",
            true);
    if (!sqlite) return;
    metrics.SetCounterCallback(
        "callgate_sqlite_checkpoints_total",
        "Checkpoints of the SQLite write-ahead log: done and failed on the checkpoint thread, "
        "by_commit when a commit ran one because the thread fell behind",
        [db] {
          return std::vector<GaugeSample>{
              {{{"outcome", "done"}}, static_cast<double>(db->checkpoints())},
              {{{"outcome", "failed"}}, static_cast<double>(db->failed_checkpoints())},
              {{{"outcome", "by_commit"}}, static_cast<double>(db->commit_checkpoints())}};
        });
  }

  // The route table. Every route that is not in PublicRoutes() must carry a guard.
  void BuildRoutes() {
    router.Use(http::MakeTrustedProxyMiddleware(config.trusted_proxies));
    router.Use(std::make_shared<LogContextMiddleware>());
    // /health touches nothing and costs less than a limit check; /ready asks the database, so
    // it is limited per client address (generously: balancers poll it).
    const http::RouteOptions probe{{ratelimit::MakeRateLimitGuard(
        "public_ip", ratelimit::ByClientAddress({1200, std::chrono::minutes(1)}), *limits,
        metrics)}};
    // Liveness only reads memory: answered on the I/O thread, also while handlers are all busy.
    router.Add(Method::kGet, "/health", [this](Request& r) { return Health(r); },
               {.guards = {}, .answer_inline = true});
    router.Add(
        Method::kGet, "/ready", [this](Request& r) { return Ready(r); }, probe);

    // Retell: every route is signed; /c/{slug} routes verify with the company's own key.
    // Failed signatures are limited per client address (only failures count, so Retell's few
    // shared addresses are never limited for legitimate traffic).
    auto failed_auth =
        ratelimit::MakeFailedAuthGuard({20, std::chrono::minutes(1)}, *limits, metrics);
    // RETELL_IP_ALLOWLIST adds a client-address check before the signature, never instead of it.
    http::RouteOptions retell_signed{{failed_auth}};
    if (!config.retell_ip_allowlist.empty()) {
      metrics.Describe("callgate_retell_ip_allowlist_rejected_total",
                       "Retell route requests refused because the client address is not allowed.");
      retell_signed.guards.push_back(
          http::MakeIpAllowlistGuard(config.retell_ip_allowlist, [this](const Request& r) {
            metrics.Increment("callgate_retell_ip_allowlist_rejected_total");
            observability::LogWarn("retell_ip_not_allowed",
                                   {{"client", std::string(r.ClientAddress())}});
          }));
    }
    retell_signed.guards.push_back(std::make_shared<retell::RetellSignatureGuard>(
        config.retell_api_key, *companies, clock, metrics));
    auto lifecycle = [this](Request& r) { return retell_webhooks->LifecycleEvent(r); };
    auto inbound = [this](Request& r) { return retell_webhooks->InboundCall(r); };
    // A lifecycle event is verified, parsed and sealed on the I/O thread that read it, and a
    // call_started is queued for the group commit from there and answered once committed
    // (http::PendingAnswer): no handler thread takes part. What would wait (a tenancy cache
    // miss, an event written in a transaction, a failed signature's limit in Redis) goes to a
    // handler thread.
    http::RouteOptions retell_lifecycle = retell_signed;
    retell_lifecycle.try_inline = true;
    router.Add(Method::kPost, "/webhooks/retell", lifecycle, retell_lifecycle);
    router.Add(Method::kPost, "/webhooks/retell/c/{slug}", lifecycle, retell_lifecycle);
    router.Add(Method::kPost, "/webhooks/retell/inbound", inbound, retell_signed);
    router.Add(Method::kPost, "/webhooks/retell/inbound/c/{slug}", inbound, retell_signed);
    // A function usually answers from memory (cached slots, the call's context): it is tried
    // on the I/O thread first and goes to a handler thread when it would wait (a cache miss, a
    // tool that writes). Not with Redis: its limits would make every attempt wait.
    http::RouteOptions retell_function = retell_signed;
    retell_function.try_inline = redis_pool == nullptr;
    auto function = [this](Request& r) { return retell_functions->Handle(r); };
    router.Add(Method::kPost, "/api/retell/{function}", function, retell_function);
    router.Add(Method::kPost, "/api/retell/c/{slug}/{function}", function, retell_function);

    // Vapi: the platform secret, or on /c/{slug} the company's own (X-Vapi-Secret, Bearer or an
    // HMAC signature); failures count toward the same per-address limit.
    // Like Retell's lifecycle routes, tried on the I/O thread: a call's start is queued for the
    // group commit and answered once committed; what would wait (a cache miss, an event written
    // in a transaction, a tool call with its limits in Redis) goes to a handler thread.
    http::RouteOptions vapi_authenticated{
        {failed_auth, std::make_shared<vapi::VapiAuthGuard>(config.vapi_secret, config.vapi_hmac,
                                                            *companies, clock, metrics)}};
    vapi_authenticated.try_inline = true;
    auto vapi_message = [this](Request& r) { return vapi_messages->Handle(r); };
    router.Add(Method::kPost, "/webhooks/vapi", vapi_message, vapi_authenticated);
    router.Add(Method::kPost, "/webhooks/vapi/c/{slug}", vapi_message, vapi_authenticated);

    // Cal.com: bookings changed on Cal.com's side (signed with CALCOM_WEBHOOK_SECRET).
    // A company with its own Cal.com account: its own secret and URL, its own appointments only.
    const http::RouteOptions calcom_signed{
        {failed_auth, MakeCalcomSignatureGuard(config.calcom_webhook_secret, *companies, metrics)}};
    auto calcom_webhook = [this](Request& r) {
      return HandleCalcomWebhook(*calendar_sync, *companies, r);
    };
    router.Add(Method::kPost, "/webhooks/calcom", calcom_webhook, calcom_signed);
    router.Add(Method::kPost, "/webhooks/calcom/c/{slug}", calcom_webhook, calcom_signed);

    // Admin API (docs/admin-api.md). Every route carries the failed-authentication limit and
    // admin_token (bearer API token); company routes add company_scope (another company's id →
    // 404, viewer writes → 403) and platform-only routes role_platform_admin.
    const auto admin_token = std::make_shared<auth::AdminTokenGuard>(
        *auth_service, metrics, auth::FailedAuthHook{}, companies.get());
    const auto platform_only = auth::RequireRole({auth::Role::kPlatformAdmin});
    const auto company_scope = admin::CompanyScopeGuard();
    const http::RouteOptions admin_any{{failed_auth, admin_token}};
    const http::RouteOptions admin_platform{{failed_auth, admin_token, platform_only}};
    const http::RouteOptions admin_company{{failed_auth, admin_token, company_scope}};
    const http::RouteOptions admin_company_platform{
        {failed_auth, admin_token, platform_only, company_scope}};
    using AdminHandler = Response (admin::AdminApi::*)(Request&);
    // A change made through the admin API is seen by this instance's next request at once
    // (other instances see it within TENANCY_CACHE_REFRESH_MS, through the database's version).
    auto changed = [this](Method method, Response response) {
      if (method != Method::kGet && response.status < 300) tenancy_cache->Invalidate();
      return response;
    };
    auto admin_route = [this, changed](Method method, std::string_view pattern,
                                       AdminHandler handler, const http::RouteOptions& guards) {
      router.Add(
          method, pattern,
          [this, changed, method, handler](Request& r) {
            return changed(method, (admin_api.get()->*handler)(r));
          },
          guards);
    };
    auto admin_toggle = [this, changed](std::string_view pattern, bool active,
                                        Response (admin::AdminApi::*handler)(Request&, bool),
                                        const http::RouteOptions& guards) {
      const Method method = active ? Method::kPost : Method::kDelete;
      router.Add(
          method, pattern,
          [this, changed, method, handler, active](Request& r) {
            return changed(method, (admin_api.get()->*handler)(r, active));
          },
          guards);
    };
    using A = admin::AdminApi;
    const std::string company = "/api/admin/companies/{company_id}";
    router.Add(
        Method::kGet, "/api/admin/ready", [this](Request& r) { return ReadyDetails(r); },
        admin_platform);
    admin_route(Method::kGet, "/api/admin/me", &A::Me, admin_any);
    admin_route(Method::kGet, "/api/admin/companies", &A::ListCompanies, admin_any);
    admin_route(Method::kPost, "/api/admin/companies", &A::CreateCompany, admin_platform);
    admin_route(Method::kGet, company, &A::GetCompany, admin_company);
    admin_route(Method::kPatch, company, &A::UpdateCompany, admin_company);
    admin_toggle(company, false, &A::SetCompanyActive, admin_company_platform);
    admin_toggle(company + "/activate", true, &A::SetCompanyActive, admin_company_platform);
    admin_route(Method::kPut, company + "/secrets", &A::SetCompanySecrets, admin_company_platform);
    admin_route(Method::kGet, company + "/branches", &A::ListBranches, admin_company);
    admin_route(Method::kPost, company + "/branches", &A::CreateBranch, admin_company);
    admin_route(Method::kGet, company + "/branches/{branch_id}", &A::GetBranch, admin_company);
    admin_route(Method::kPatch, company + "/branches/{branch_id}", &A::UpdateBranch, admin_company);
    admin_toggle(company + "/branches/{branch_id}", false, &A::SetBranchActive, admin_company);
    admin_toggle(company + "/branches/{branch_id}/activate", true, &A::SetBranchActive,
                 admin_company);
    admin_route(Method::kGet, company + "/services", &A::ListServices, admin_company);
    admin_route(Method::kPost, company + "/services", &A::CreateService, admin_company);
    admin_route(Method::kGet, company + "/services/{service_id}", &A::GetService, admin_company);
    admin_route(Method::kPatch, company + "/services/{service_id}", &A::UpdateService,
                admin_company);
    admin_toggle(company + "/services/{service_id}", false, &A::SetServiceActive, admin_company);
    admin_toggle(company + "/services/{service_id}/activate", true, &A::SetServiceActive,
                 admin_company);
    admin_route(Method::kGet, company + "/phone-numbers", &A::ListPhoneNumbers, admin_company);
    admin_route(Method::kPost, company + "/phone-numbers", &A::CreatePhoneNumber,
                admin_company_platform);
    admin_route(Method::kGet, company + "/phone-numbers/{phone_number_id}", &A::GetPhoneNumber,
                admin_company);
    admin_route(Method::kPatch, company + "/phone-numbers/{phone_number_id}", &A::UpdatePhoneNumber,
                admin_company);
    admin_route(Method::kDelete, company + "/phone-numbers/{phone_number_id}",
                &A::DeletePhoneNumber, admin_company_platform);
    admin_route(Method::kGet, company + "/customers", &A::ListCustomers, admin_company);
    admin_route(Method::kPost, company + "/customers", &A::CreateCustomer, admin_company);
    admin_route(Method::kGet, company + "/customers/{customer_id}", &A::GetCustomer, admin_company);
    admin_route(Method::kPatch, company + "/customers/{customer_id}", &A::UpdateCustomer,
                admin_company);
    admin_route(Method::kGet, company + "/calls", &A::ListCalls, admin_company);
    admin_route(Method::kGet, company + "/appointments", &A::ListAppointments, admin_company);
    admin_route(Method::kGet, company + "/callbacks", &A::ListCallbacks, admin_company);
    admin_route(Method::kPatch, company + "/callbacks/{callback_id}", &A::UpdateCallback,
                admin_company);
    admin_route(Method::kGet, "/api/availability/quick", &A::QuickAvailability, admin_any);
    // Data protection (docs/privacy.md): access and erasure requests, the audit log.
    admin_route(Method::kPost, company + "/privacy/export", &A::ExportPerson, admin_company);
    admin_route(Method::kPost, company + "/privacy/erase", &A::ErasePerson, admin_company);
    admin_route(Method::kGet, "/api/admin/audit-events", &A::ListAuditEvents, admin_any);
    // Off in production unless DIAGNOSTICS_ENABLED=true: then the route does not exist at all.
    // observability: Prometheus metrics, platform admins only (docs/operations.md).
    router.Add(
        Method::kGet, "/metrics", [this](Request& r) { return observability->MetricsEndpoint(r); },
        admin_platform);
    // Operations dashboard: the page is public (it holds no data and asks for a token); its data
    // comes from admin routes. Traffic, queues, failed jobs, breakers and alerts are platform-wide,
    // so platform admins only; the overview is scoped to the caller's company.
    router.Add(Method::kGet, "/dashboard", [this](Request& r) { return dashboard->Page(r); });
    router.Add(
        Method::kGet, "/api/admin/dashboard/overview",
        [this](Request& r) { return dashboard->Overview(r); }, admin_any);
    router.Add(
        Method::kGet, "/api/admin/dashboard/system",
        [this](Request& r) { return dashboard->System(r); }, admin_platform);
    router.Add(
        Method::kGet, "/api/admin/dashboard/failed-jobs",
        [this](Request& r) { return dashboard->FailedJobs(r); }, admin_platform);
    router.Add(
        Method::kPost, "/api/admin/dashboard/failed-jobs/{id}/retry",
        [this](Request& r) { return dashboard->RetryFailedJob(r); }, admin_platform);
    // MCP (docs/agents.md "MCP"): the Origin check, then an agent's token, which decides the
    // company. No GET route: GET answers 405 (no server-initiated stream).
    const http::RouteOptions mcp_agent{
        {mcp::MakeOriginGuard(config.mcp_allowed_origins), failed_auth,
         std::make_shared<auth::AgentTokenGuard>(*auth_service, metrics, *companies)}};
    router.Add(
        Method::kPost, "/mcp", [this](Request& r) { return mcp_server->Post(r); }, mcp_agent);
    router.Add(
        Method::kDelete, "/mcp", [this](Request& r) { return mcp_server->Delete(r); }, mcp_agent);
    if (diagnostics->Enabled()) {
      router.Add(
          Method::kGet, "/api/admin/diagnostic-info",
          [this](Request& r) { return diagnostics->Handle(r); }, admin_platform);
    }
  }
};

const std::vector<std::string>& PublicRoutes() {
  static const std::vector<std::string> routes = {"GET /health", "GET /ready", "GET /dashboard"};
  return routes;
}

Result<std::unique_ptr<Application>> Application::Create(Config config, const Clock& clock,
                                                         Mode mode) {
  auto impl = std::make_unique<Impl>(std::move(config), clock);
  if (mode == Mode::kDescribeOnly) {
    // Handlers are built but never run: a private in-memory database stands in.
    auto db = storage::Database::Open(*storage::ParseDatabaseUrl("sqlite://:memory:"));
    if (!db) return tl::unexpected(db.error());
    impl->database = std::move(*db);
  } else {
    auto url = storage::ParseDatabaseUrl(impl->config.database_url);
    if (!url) return tl::unexpected(url.error());
    storage::DatabaseOptions options;
    options.pool_size = static_cast<std::size_t>(impl->config.database_pool_size);
    auto keyring = ResolveKeyring(impl->config);  // encryption at rest (docs/privacy.md)
    if (!keyring) return tl::unexpected(keyring.error());
    options.keyring = std::move(*keyring);
    auto db = storage::Database::Open(*url, options);
    if (!db) return tl::unexpected(db.error());
    impl->database = std::move(*db);
    auto migrations = MigrationsFor(impl->config, impl->database->dialect());
    if (!migrations) return tl::unexpected(migrations.error());
    impl->migrator =
        std::make_unique<storage::Migrator>(*impl->database, std::move(*migrations), clock);
    // Embedded mode is one command for everything: bring the SQLite schema up to date. A shared
    // PostgreSQL is migrated explicitly (`callgate migrate`) by whoever deploys.
    if (impl->database->dialect() == storage::Dialect::kSqlite) {
      auto applied = impl->migrator->Migrate();
      if (!applied) return tl::unexpected(applied.error());
      if (!applied->empty()) {
        obs::LogInfo("migrations_applied", {{"count", applied->size()}});
      }
    } else {
      auto current = impl->migrator->IsCurrent();
      if (!current) return tl::unexpected(current.error());
      if (!*current) {
        return Fail(ErrorCode::kUnavailable,
                    "the database schema is not current: run `callgate migrate`");
      }
    }
  }
  if (auto shared = impl->BuildShared(); !shared) return tl::unexpected(shared.error());
  if (auto q = impl->BuildQueue(mode); !q) return tl::unexpected(q.error());
  impl->BuildServices();
  impl->RegisterStorageMetrics();
  if (auto jobs = impl->RegisterJobs(); !jobs) return tl::unexpected(jobs.error());
  // observability: built after the queue and services it observes, before the routes.
  impl->observability = std::make_unique<ObservabilityWiring>(
      ObservabilitySettingsFromConfig(impl->config), impl->metrics, clock,
      impl->queue_runtime.get(), [i = impl.get()] { return i->breaker.get(); },
      // Describing routes has no schema to read callbacks or appointments from.
      mode == Mode::kDescribeOnly ? nullptr : impl->callback_queue.get(),
      mode == Mode::kDescribeOnly ? nullptr : impl->appointments.get());
  if (auto alerts = impl->observability->RegisterAlertCheck(*impl->queue_runtime); !alerts) {
    return tl::unexpected(alerts.error());
  }
  DashboardSources dashboard_sources;
  dashboard_sources.database = impl->database.get();
  dashboard_sources.metrics = &impl->metrics;
  dashboard_sources.jobs = &impl->queue_runtime->admin();
  dashboard_sources.breaker = [i = impl.get()] { return i->breaker.get(); };
  dashboard_sources.alerts = [i = impl.get()] { return &i->observability->alerts(); };
  dashboard_sources.audit = impl->audit_log.get();
  dashboard_sources.callbacks = impl->callback_queue.get();
  impl->dashboard = std::make_unique<DashboardApi>(std::move(dashboard_sources), clock);
  impl->BuildRoutes();
  impl->mode = mode;
  return std::unique_ptr<Application>(new Application(std::move(impl)));
}

Application::Application(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Application::~Application() { Stop(); }

Status Application::Start() {
  if (impl_->mode == Mode::kDescribeOnly) {
    return Fail(ErrorCode::kInternal, "application built to describe routes only");
  }
  if (!impl_->queue_started) {
    if (auto started = impl_->queue_runtime->Start(); !started) return started;
    impl_->queue_started = true;
  }
  if (impl_->mode == Mode::kWorker) return Ok();
  const Config& c = impl_->config;
  http::ServerSettings settings;
  settings.address = c.listen_host == "localhost" ? "127.0.0.1" : c.listen_host;
  settings.port = c.listen_port;
  settings.io_threads = static_cast<std::size_t>(c.http_threads);
  settings.worker_threads = static_cast<std::size_t>(c.handler_threads);
  settings.limits.max_body_bytes = c.max_body_bytes;
  settings.limits.max_connections_per_address = static_cast<std::size_t>(c.max_connections_per_ip);
  settings.access_log = [wiring = impl_->observability.get()](const Request& req,
                                                              const Response& res,
                                                              std::chrono::nanoseconds elapsed) {
    wiring->RecordRequest(req, res, elapsed);  // observability: HTTP request metrics
    obs::LogInfo("http_request",
                 {{"request_id", req.request_id},
                  {"method", http::MethodName(req.method)},
                  {"route", req.route_pattern.empty() ? std::string_view("-")
                                                      : std::string_view(req.route_pattern)},
                  {"status", res.status},
                  {"duration_ms", static_cast<double>(elapsed.count()) / 1e6}});
    if (res.error && !res.error->detail.empty()) {
      obs::LogError(
          "http_error_detail",
          {{"request_id", req.request_id}, {"status", res.status}, {"detail", res.error->detail}});
    }
  };
  settings.on_exception = [](const Request& req, std::string_view what) {
    obs::LogError("handler_exception", {{"request_id", req.request_id}, {"what", what}});
  };
  {
    std::lock_guard lock(impl_->server_mutex);
    impl_->server = std::make_unique<http::Server>(settings, impl_->router);
  }
  auto started = impl_->server->Start();
  if (!started) return started;
  // Counters the server keeps (Server::Stats), read when the metrics are rendered.
  using StatsSamples = std::vector<observability::GaugeSample> (*)(const http::ServerStats&);
  const auto server_counter = [impl = impl_.get()](std::string_view name, std::string_view help,
                                                   StatsSamples samples) {
    impl->metrics.SetCounterCallback(name, help, [impl, samples] {
      std::lock_guard lock(impl->server_mutex);
      return samples(impl->server ? impl->server->Stats() : http::ServerStats{});
    });
  };
  server_counter(
      "callgate_http_inline_requests_total",
      "Requests run on the I/O thread that read them: answered there, or deferred to "
      "a handler thread because they would have waited",
      [](const http::ServerStats& stats) {
        return std::vector<observability::GaugeSample>{
            {{{"outcome", "answered"}}, static_cast<double>(stats.answered_inline)},
            {{{"outcome", "deferred"}}, static_cast<double>(stats.deferred_from_inline)}};
      });
  server_counter("callgate_http_later_answers_total",
                 "Requests answered after their handler returned (a call_started once its write "
                 "was committed): no thread waited for the work",
                 [](const http::ServerStats& stats) {
                   return std::vector<observability::GaugeSample>{
                       {{}, static_cast<double>(stats.answered_later)}};
                 });
  server_counter("callgate_http_bodies_refused_total",
                 "Requests answered 413 from their headers or chunk sizes, their body over "
                 "CALLGATE_MAX_BODY_BYTES; the body was not read",
                 [](const http::ServerStats& stats) {
                   return std::vector<observability::GaugeSample>{
                       {{}, static_cast<double>(stats.refused_too_large)}};
                 });
  server_counter("callgate_http_malformed_requests_total",
                 "Requests refused for their framing before routing (400, 431, 501 or 505): "
                 "input a proxy in front might read differently, or that the parser refuses",
                 [](const http::ServerStats& stats) {
                   return std::vector<observability::GaugeSample>{
                       {{}, static_cast<double>(stats.refused_malformed)}};
                 });
  obs::LogInfo("server_started", {{"address", settings.address},
                                  {"port", impl_->server->port()},
                                  {"database", impl_->database->url().Redacted()},
                                  {"app_env", AppEnvName(c.app_env)}});
  return Ok();
}

void Application::Stop() {
  if (!impl_) return;
  // HTTP first (no new work), then the workers (finish or release what they hold).
  if (impl_->server) {
    impl_->server->Stop();
    {
      std::lock_guard lock(impl_->server_mutex);  // a metrics scrape may be reading its stats
      impl_->server.reset();
    }
    obs::LogInfo("server_stopped");
  }
  if (impl_->queue_started) {
    impl_->queue_runtime->Stop();
    impl_->queue_started = false;
  }
}

observability::Metrics& Application::metrics() { return impl_->metrics; }
std::uint16_t Application::port() const { return impl_->server ? impl_->server->port() : 0; }
const http::Router& Application::router() const { return impl_->router; }
storage::Database& Application::database() { return *impl_->database; }
const Config& Application::config() const { return impl_->config; }

}  // namespace callgate::app
