// callgate: one binary, subcommands (CLI11). Each subcommand loads and validates the
// configuration first; a bad value stops it with a message naming the variable.

#include <CLI/CLI.hpp>
#include <cstdio>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <iostream>

#include "agent/tools.hpp"
#include "app/admin_commands.hpp"
#include "app/application.hpp"
#include "app/backup_commands.hpp"
#include "app/command_database.hpp"
#include "app/config.hpp"
#include "app/doctor.hpp"
#include "app/privacy_commands.hpp"
#include "app/queue_commands.hpp"
#include "app/version.hpp"
#include "calcom/fake/fake_calcom_command.hpp"
#include "http/signals.hpp"
#include "observability/log.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "tools/migrate_data.hpp"
#include "tools/seed_import.hpp"
#include "tools/simulate_call.hpp"
#include "tools/tenant_file.hpp"

namespace {

using namespace callgate;
namespace obs = observability;

int Die(std::string_view what, const Error& error) {
  return app::CommandFailed("callgate", what, error);
}

Result<app::Config> Configure() {
  auto env = app::ReadEnvironment(".");
  if (!env) return tl::unexpected(env.error());
  auto config = app::LoadConfig(*env);
  if (!config) return config;
  obs::LogLevel level = obs::LogLevel::kInfo;
  obs::ParseLogLevel(config->log_level, level);
  obs::ConfigureLogging(level, config->log_format == "json");
  return config;
}

Result<std::unique_ptr<storage::Database>> OpenDatabase(const app::Config& config) {
  auto url = storage::ParseDatabaseUrl(config.database_url);
  if (!url) return tl::unexpected(url.error());
  storage::DatabaseOptions options;
  auto keyring = app::ResolveKeyring(config);
  if (!keyring) return tl::unexpected(keyring.error());
  options.keyring = std::move(*keyring);
  return storage::Database::Open(*url, options);
}

Result<storage::Migrator> MakeMigrator(const app::Config& config, storage::Database& db,
                                       const Clock& clock) {
  auto migrations = config.migrations_dir.empty()
                        ? storage::EmbeddedMigrations(db.dialect())
                        : storage::LoadMigrations(config.migrations_dir, db.dialect());
  if (!migrations) return tl::unexpected(migrations.error());
  return storage::Migrator(db, std::move(*migrations), clock);
}

int Serve(const app::Config& config, const Clock& clock) {
  http::TerminationSignalWaiter signals;  // installed before the server starts
  auto application = app::Application::Create(config, clock);
  if (!application) return Die("cannot start", application.error());
  if (auto started = (*application)->Start(); !started) {
    return Die("cannot serve", started.error());
  }
  std::cout << "callgate serving on http://" << config.listen_host << ":" << (*application)->port()
            << "  (Ctrl-C to stop)" << std::endl;
  const int sig = signals.Wait();
  obs::LogInfo("shutdown_requested", {{"signal", sig}});
  (*application)->Stop();
  return 0;
}

int Migrate(const app::Config& config, const Clock& clock, bool status_only) {
  auto db = OpenDatabase(config);
  if (!db) return Die("cannot open the database", db.error());
  auto migrator = MakeMigrator(config, **db, clock);
  if (!migrator) return Die("cannot load migrations", migrator.error());
  if (!status_only) {
    auto applied = migrator->Migrate();
    if (!applied) return Die("migration failed", applied.error());
    std::cout << (applied->empty() ? "schema is current" : "applied")
              << (applied->empty() ? "" : " " + std::to_string(applied->size()) + " migration(s)")
              << "\n";
  }
  auto states = migrator->Status();
  if (!states) return Die("cannot read migration status", states.error());
  for (const auto& s : *states) {
    std::printf("%04d  %-32s %s\n", s.version, s.name.c_str(),
                !s.known      ? "applied (unknown to this build)"
                : s.applied() ? "applied"
                              : "pending");
  }
  return 0;
}

int Seed(const app::Config& config, const Clock& clock, const std::string& file, bool demo,
         bool if_empty) {
  if (file.empty() == !demo) {
    std::cerr << "callgate seed: give exactly one of --file or --demo\n";
    return 2;
  }
  auto tenants = demo ? tools::ParseTenantJson(tools::DemoTenantJson(), config.phone_region)
                      : tools::LoadTenantFile(file, config.phone_region);
  if (!tenants) return Die(demo ? "demo tenant" : file, tenants.error());
  auto db = OpenDatabase(config);
  if (!db) return Die("cannot open the database", db.error());
  auto migrator = MakeMigrator(config, **db, clock);
  if (!migrator) return Die("cannot load migrations", migrator.error());
  auto current = migrator->IsCurrent();
  if (!current) return Die("cannot read migration status", current.error());
  if (!*current) {
    std::cerr << "callgate seed: the schema is not current; run `callgate migrate` first\n";
    return 1;
  }
  if (if_empty) {
    auto count = tools::CountCompanies(**db, clock);
    if (!count) return Die("cannot count companies", count.error());
    if (*count > 0) {
      std::cout << "seed: database already has " << *count << " compan"
                << (*count == 1 ? "y" : "ies") << "; nothing imported\n";
      return 0;
    }
  }
  auto report = tools::ImportTenants(*tenants, **db, clock);
  if (!report) return Die("import failed", report.error());
  std::cout << "seed: " << report->Summary() << "\n";
  return 0;
}

int Routes(const app::Config& config, const Clock& clock) {
  auto application = app::Application::Create(config, clock, app::Application::Mode::kDescribeOnly);
  if (!application) return Die("cannot build routes", application.error());
  for (const auto& route : (*application)->router().Describe()) {
    std::string guards;
    for (const auto& g : route.guards) guards += (guards.empty() ? "" : ", ") + g;
    std::printf("%-7s %-40s %s%s\n", std::string(http::MethodName(route.method)).c_str(),
                route.pattern.c_str(), guards.empty() ? "public" : guards.c_str(),
                route.answer_inline ? " (answered on the I/O thread)" : "");
  }
  return 0;
}

int MigrateDataCommand(const app::Config& config, const Clock& clock, const std::string& from,
                       const std::string& to, bool verify_only, int batch) {
  auto open = [](const std::string& text) -> Result<std::unique_ptr<storage::Database>> {
    auto url = storage::ParseDatabaseUrl(text);
    if (!url) return tl::unexpected(url.error());
    return storage::Database::Open(*url);
  };
  auto source = open(from);
  if (!source) return Die("cannot open --from", source.error());
  // Rows are copied as they are: a source that an older version left (before a migration that
  // rewrites stored values, such as 0017's dedupe keys) would bring them in unconverted.
  auto source_migrator = MakeMigrator(config, **source, clock);
  if (!source_migrator) return Die("cannot load migrations", source_migrator.error());
  auto source_current = source_migrator->IsCurrent();
  if (!source_current) return Die("cannot read the migrations of --from", source_current.error());
  if (!*source_current) {
    return Die("migrate-data",
               Error{ErrorCode::kConflict,
                     "--from has migrations pending: run `callgate migrate` on it first "
                     "(CALLGATE_DATABASE_URL set to it), then copy"});
  }
  auto target = open(to);
  if (!target) return Die("cannot open --to", target.error());
  if (!verify_only) {
    auto migrator = MakeMigrator(config, **target, clock);
    if (!migrator) return Die("cannot load migrations", migrator.error());
    if (auto applied = migrator->Migrate(); !applied) {
      return Die("cannot migrate the target", applied.error());
    }
  }
  tools::MigrateDataOptions options;
  options.verify_only = verify_only;
  options.batch_size = batch;
  options.progress = [](const std::string& line) { std::cout << "  " << line << std::endl; };
  auto reports = tools::MigrateData(**source, **target, options);
  if (!reports) return Die("migrate-data", reports.error());
  bool ok = true;
  for (const auto& r : *reports) {
    std::printf("%-18s %8lld → %8lld rows  %s\n", r.table.c_str(), r.source_rows, r.target_rows,
                r.Matches() ? "ok" : "MISMATCH");
    for (const auto& d : r.differences) std::printf("    %s\n", d.c_str());
    ok = ok && r.Matches();
  }
  std::cout << (ok ? "verified: source and target match\n" : "verification FAILED\n");
  return ok ? 0 : 1;
}

int SimulateCall(const app::Config& config, tools::SimulateCallOptions options) {
  if (options.retell_key.empty()) options.retell_key = config.retell_api_key;
  if (options.retell_key.empty()) {
    std::cerr << "callgate simulate-call: give --key or set RETELL_API_KEY\n";
    return 2;
  }
  auto steps = tools::SimulateCall(options, [](const tools::SimulatedStep& step) {
    std::cout << tools::DescribeStep(step) << std::endl;
  });
  if (!steps) return Die("simulate-call", steps.error());
  for (const auto& step : *steps) {
    if (step.refused) {
      std::cerr << "callgate simulate-call: " << step.name << " was refused: " << step.agent_says
                << "\n";
      return 1;
    }
    if (step.status < 200 || step.status >= 300) return 1;
  }
  std::cout << "call simulated: " << steps->size() << " requests answered 2xx\n";
  return 0;
}

}  // namespace

namespace {

// glibc returns the free top of a heap to the kernel once it exceeds 128 KiB (madvise), and every
// thread's arena does so at the end of nearly every database transaction: each return flushes
// the TLB on every CPU (an inter-processor interrupt) and the next request faults the pages back
// in. Keeping up to 16 MiB per arena free, and serving blocks below 1 MiB from the heap, removed
// that from the webhook path (docs/performance.md, "Memory returned to the kernel").
void TuneAllocator() {
#if defined(__GLIBC__)
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  TuneAllocator();
  CLI::App cli{"callgate — backend of an AI phone receptionist (Retell AI + Cal.com)"};
  cli.require_subcommand(1);
  auto* serve = cli.add_subcommand("serve", "serve HTTP (and in-process workers)");
  bool status_only = false;
  auto* migrate = cli.add_subcommand("migrate", "apply pending schema migrations");
  migrate->add_flag("--status", status_only, "only list migrations and their state");
  std::string seed_file;
  bool seed_demo = false;
  bool seed_if_empty = false;
  auto* seed = cli.add_subcommand("seed", "import tenants from a JSON or YAML file");
  seed->add_option("--file", seed_file, "tenant file (.json, .yaml, .yml)");
  seed->add_flag("--demo", seed_demo, "import the built-in demo tenant");
  seed->add_flag("--if-empty", seed_if_empty, "do nothing when any company exists");
  auto* routes = cli.add_subcommand("routes", "list every route with its guards");
  auto* version = cli.add_subcommand("version", "print the version");
  std::string tools_format = "retell";
  std::string tools_base_url = "https://callgate.example.com";
  auto* tools_cmd =
      cli.add_subcommand("tools", "print the agent's tool definitions for a platform");
  tools_cmd->add_option("--format", tools_format, "retell, vapi or mcp")
      ->check(CLI::IsMember({"retell", "vapi", "mcp"}))
      ->capture_default_str();
  tools_cmd->add_option("--base-url", tools_base_url, "callgate's public address")
      ->capture_default_str();
  std::string migrate_from, migrate_to;
  bool migrate_verify_only = false;
  int migrate_batch = 500;
  auto* migrate_data =
      cli.add_subcommand("migrate-data", "copy all data to another database and verify it");
  migrate_data->add_option("--from", migrate_from, "source database URL")->required();
  migrate_data->add_option("--to", migrate_to, "target database URL")->required();
  migrate_data->add_flag("--verify-only", migrate_verify_only, "only compare, copy nothing");
  migrate_data->add_option("--batch", migrate_batch, "rows per batch")->capture_default_str();
  tools::SimulateCallOptions sim;
  std::string sim_key;
  auto* simulate =
      cli.add_subcommand("simulate-call", "play a signed Retell call against callgate");
  simulate->add_option("--url", sim.base_url, "callgate base URL")->capture_default_str();
  simulate->add_option("--key", sim_key, "Retell API key to sign with (default RETELL_API_KEY)");
  simulate->add_option("--to", sim.to_number, "dialled number")->capture_default_str();
  simulate->add_option("--from", sim.from_number, "caller number")->capture_default_str();
  simulate->add_option("--company", sim.company_slug, "use the company's own URLs (/c/<slug>)");
  simulate->add_option("--call-id", sim.call_id, "call id (default: random)");
  bool sim_webhooks_only = false;
  simulate->add_flag("--webhooks-only", sim_webhooks_only, "skip the booking conversation");
  app::WorkerCommandOptions worker_options;
  auto* worker = cli.add_subcommand("worker", "run job workers and the scheduler");
  worker->add_option("--queues", worker_options.queues, "queues, highest priority first")
      ->capture_default_str();
  worker->add_option("--concurrency", worker_options.concurrency, "worker threads")
      ->capture_default_str();
  worker->add_option("--poll-interval-ms", worker_options.poll_interval_ms, "idle poll wait")
      ->capture_default_str();
  worker->add_flag("--no-scheduler", worker_options.no_scheduler, "do not run periodic jobs");
  app::JobsCommandOptions jobs_options;
  auto* jobs = cli.add_subcommand("jobs", "inspect the job queue and repair failed jobs");
  jobs->require_subcommand(1);
  auto* jobs_stats = jobs->add_subcommand("stats", "depth per queue, reserved and failed counts");
  auto* jobs_failed = jobs->add_subcommand("failed", "list failed jobs, newest first");
  jobs_failed->add_option("--limit", jobs_options.limit, "at most this many")
      ->capture_default_str();
  auto* jobs_retry = jobs->add_subcommand("retry", "enqueue failed jobs again");
  jobs_retry->add_option("id", jobs_options.target, "failed job id, or all")->required();
  auto* jobs_forget = jobs->add_subcommand("forget", "delete a failed job");
  jobs_forget->add_option("id", jobs_options.target, "failed job id")->required();
  auto* jobs_resume = jobs->add_subcommand(
      "resume-booking",
      "queue the job of an appointment held for a caller again (its job is gone)");
  jobs_resume->add_option("appointment", jobs_options.target, "appointment id")->required();
  jobs_resume->add_option("--company", jobs_options.company, "the appointment's company id")
      ->required();
  int fake_calcom_port = 8090;
  calcom::fake::FakeCalcomCommandOptions fake_calcom_options;
  auto* fake_calcom =
      cli.add_subcommand("fake-calcom", "serve a local stand-in for the Cal.com v2 API");
  fake_calcom->add_option("--port", fake_calcom_port, "port (0 = any)")->capture_default_str();
  fake_calcom->add_option("--address", fake_calcom_options.address, "address to bind")
      ->capture_default_str();
  fake_calcom->add_option("--latency-ms", fake_calcom_options.latency_ms,
                          "delay added to every API request");
  app::AdminCommandOptions admin_options;
  auto* admin = cli.add_subcommand("admin", "manage admin users and API tokens");
  admin->require_subcommand(1);
  auto* admin_user = admin->add_subcommand("create-user", "create an admin API user");
  admin_user->add_option("--email", admin_options.email, "e-mail address")->required();
  admin_user
      ->add_option("--role", admin_options.role,
                   "platform_admin, company_admin, viewer or agent (an MCP client)")
      ->required();
  admin_user->add_option("--company", admin_options.company_slug,
                         "company slug (not for platform_admin)");
  admin_user->add_option("--name", admin_options.name, "display name");
  admin_user->add_flag("--password-stdin", admin_options.password_stdin,
                       "read a password from the first line of standard input");
  auto* admin_token = admin->add_subcommand("create-token", "issue an API token (shown once)");
  admin_token->add_option("--email", admin_options.email, "the user's e-mail")->required();
  admin_token->add_option("--days", admin_options.days, "lifetime in days (default 90)");
  admin_token->add_option("--ability", admin_options.abilities, "*, read or write (repeatable)");
  admin_token->add_option("--name", admin_options.name, "what the token is for");
  auto* admin_revoke = admin->add_subcommand("revoke-token", "revoke an API token");
  admin_revoke->add_option("--id", admin_options.token_id, "token id")->required();
  bool doctor_json = false;
  auto* doctor = cli.add_subcommand("doctor", "check the configuration before go-live");
  doctor->add_flag("--json", doctor_json, "machine-readable report");
  std::string backup_file;
  auto* backup = cli.add_subcommand("backup", "online copy of the embedded SQLite database");
  backup->add_option("file", backup_file, "where to write the copy")->required();
  auto* restore = cli.add_subcommand("restore", "check a backup and put it in place (stop first)");
  restore->add_option("file", backup_file, "the backup to restore")->required();
  // Data protection (docs/privacy.md): master keys.
  auto* keys = cli.add_subcommand("keys", "master keys for encryption at rest");
  keys->require_subcommand(1);
  std::string key_file;
  bool key_add = false;
  int rotate_batch = 500;
  auto* keys_generate = keys->add_subcommand("generate", "write a new master key file (0600)");
  keys_generate->add_option("file", key_file, "key file to create")->required();
  keys_generate->add_flag("--add", key_add, "prepend a new current key to an existing file");
  auto* keys_rotate =
      keys->add_subcommand("rotate", "re-encrypt everything under the current key (resumable)");
  keys_rotate->add_option("--batch", rotate_batch, "rows per transaction")->capture_default_str();
  auto* privacy = cli.add_subcommand("privacy", "retention, export and erasure of personal data");
  privacy->require_subcommand(1);
  auto* privacy_purge =
      privacy->add_subcommand("purge", "delete what each company's retention makes due now");
  app::PrivacyRequestOptions privacy_request;
  auto* privacy_export =
      privacy->add_subcommand("export", "print everything stored about a phone number (JSON)");
  auto* privacy_erase = privacy->add_subcommand(
      "erase", "erase a phone number's customer, call content and traces; says what it did");
  for (auto* command : {privacy_export, privacy_erase}) {
    command->add_option("--company", privacy_request.company_slug, "company slug")->required();
    command->add_option("--phone", privacy_request.phone, "the person's phone number")->required();
  }
  privacy_erase->add_flag("--cancel-future", privacy_request.cancel_future,
                          "cancel future appointments in Cal.com instead of refusing");
  app::CompanyPurgeOptions company_purge;
  auto* privacy_purge_company = privacy->add_subcommand(
      "purge-company",
      "end of contract: delete a deactivated company's personal data; says what it did");
  privacy_purge_company->add_option("--company", company_purge.company_slug, "company slug")
      ->required();
  privacy_purge_company->add_option("--confirm", company_purge.confirm, "the slug again")
      ->required();
  app::CompanyExportCommand company_export;
  auto* privacy_export_company = privacy->add_subcommand(
      "export-company", "the company's personal data as one JSON document (before its purge)");
  privacy_export_company->add_option("--company", company_export.company_slug, "company slug")
      ->required();
  privacy_export_company->add_option("--out", company_export.file,
                                     "file to write (0600; never overwritten); default stdout");
  privacy_export_company->add_option("--page", company_export.page_size, "rows per read")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  CLI11_PARSE(cli, argc, argv);

  if (version->parsed()) {
    std::cout << "callgate " << app::kVersion << "\n";
    return 0;
  }
  // The tool table needs no configuration either.
  if (tools_cmd->parsed()) {
    std::cout << agent::ToolDefinitions(tools_format, tools_base_url);
    return 0;
  }
  // A standalone developer tool: needs no callgate configuration.
  if (fake_calcom->parsed()) {
    return calcom::fake::RunFakeCalcom(fake_calcom_port, fake_calcom_options);
  }
  // Reports a bad configuration as one of its checks instead of stopping.
  if (doctor->parsed()) return app::RunDoctorCommand(doctor_json);
  // Creating a key must work before there is a configuration that needs one.
  if (keys_generate->parsed()) return app::RunKeysGenerate(key_file, key_add, std::cout, std::cerr);
  auto config = Configure();
  if (!config) return Die("config error", config.error());
  SystemClock clock;
  if (serve->parsed()) return Serve(*config, clock);
  if (migrate->parsed()) return Migrate(*config, clock, status_only);
  if (seed->parsed()) return Seed(*config, clock, seed_file, seed_demo, seed_if_empty);
  if (routes->parsed()) return Routes(*config, clock);
  if (backup->parsed()) return app::RunBackupCommand(*config, backup_file);
  if (restore->parsed()) return app::RunRestoreCommand(*config, backup_file);
  if (migrate_data->parsed()) {
    return MigrateDataCommand(*config, clock, migrate_from, migrate_to, migrate_verify_only,
                              migrate_batch);
  }
  if (simulate->parsed()) {
    sim.retell_key = Secret(sim_key);
    sim.conversation = !sim_webhooks_only;
    return SimulateCall(*config, sim);
  }
  if (privacy_purge->parsed()) return app::RunPrivacyPurge(*config, clock, std::cout, std::cerr);
  if (privacy_export->parsed()) {
    return app::RunPrivacyExport(*config, clock, privacy_request, std::cout, std::cerr);
  }
  if (privacy_erase->parsed()) {
    return app::RunPrivacyErase(*config, clock, privacy_request, std::cout, std::cerr);
  }
  if (privacy_export_company->parsed()) {
    return app::RunPrivacyExportCompany(*config, clock, company_export, std::cout, std::cerr);
  }
  if (privacy_purge_company->parsed()) {
    return app::RunPrivacyPurgeCompany(*config, clock, company_purge, std::cout, std::cerr);
  }
  if (keys_rotate->parsed()) {
    return app::RunKeysRotate(*config, clock, rotate_batch, std::cout, std::cerr);
  }
  if (worker->parsed()) return app::RunWorkerCommand(*config, clock, worker_options);
  if (admin->parsed()) {
    admin_options.action = admin_user->parsed()    ? "create-user"
                           : admin_token->parsed() ? "create-token"
                                                   : "revoke-token";
    return app::RunAdminCommand(*config, clock, admin_options, std::cin);
  }
  if (jobs->parsed()) {
    jobs_options.action = jobs_stats->parsed()    ? "stats"
                          : jobs_failed->parsed() ? "failed"
                          : jobs_retry->parsed()  ? "retry"
                          : jobs_resume->parsed() ? "resume-booking"
                                                  : "forget";
    return app::RunJobsCommand(*config, clock, jobs_options);
  }
  return 2;
}
