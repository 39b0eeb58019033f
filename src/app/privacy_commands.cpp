#include "app/privacy_commands.hpp"

#include <ostream>

#include "app/command_database.hpp"
#include "crypto/keyring.hpp"
#include "observability/log.hpp"
#include "queue/queue_runtime.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/retention.hpp"
#include "storage/sealed_columns.hpp"

namespace callgate::app {
namespace {

int Die(std::ostream& err, std::string_view what, const Error& error) {
  err << "callgate: " << what << ": " << error.message << "\n";
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

Status RegisterPrivacyPurgeJob(queue::QueueRuntime& queue, storage::Database& db,
                               const Clock& clock) {
  queue::JobOptions options;
  options.queue = std::string(queue::kLow);
  options.tries = 1;
  auto registered = queue.registry().Register(
      std::string(kPrivacyPurgeJob),
      [&db, &clock](const queue::Job&) -> Status {
        auto report = storage::PurgeExpired(db, clock.Now());
        if (!report) return tl::unexpected(report.error());
        observability::LogInfo("privacy_purged",
                               {{"calls_cleared", report->calls_cleared},
                                {"customers_deleted", report->customers_deleted}});
        return Ok();
      },
      options);
  if (!registered) return registered;
  return queue.scheduler().Add(
      queue::PeriodicTask{std::string(kPrivacyPurgeJob), std::chrono::hours(24),
                          queue.registry().MakeJob(kPrivacyPurgeJob, "{}")});
}

int RunPrivacyPurge(const Config& config, const Clock& clock, std::ostream& out,
                    std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  auto report = storage::PurgeExpired(**db, clock.Now());
  if (!report) return Die(err, "privacy purge", report.error());
  out << "call content cleared: " << report->calls_cleared
      << " calls; customers deleted: " << report->customers_deleted << "\n";
  return 0;
}

int RunKeysGenerate(const std::string& file, bool add, std::ostream& out, std::ostream& err) {
  auto id = add ? crypto::AddKeyToFile(file) : crypto::WriteNewKeyFile(file);
  if (!id) return Die(err, "keys generate", id.error());
  if (add) {
    out << "added key " << *id << " to " << file
        << " as the current key; older keys stay for reading.\n"
        << "Restart callgate, then run `callgate keys rotate` to re-encrypt everything under it.\n";
  } else {
    out << "wrote key " << *id << " to " << file << " (mode 0600)\n"
        << "Set CALLGATE_MASTER_KEY_FILE=" << file
        << " and keep a copy somewhere safe: without it the encrypted data is lost.\n";
  }
  return 0;
}

int RunKeysRotate(const Config& config, const Clock& clock, int batch_size, std::ostream& out,
                  std::ostream& err) {
  auto db = OpenMigratedDatabase(config, clock);
  if (!db) return Die(err, "cannot open the database", db.error());
  out << "re-encrypting under key " << (*db)->keyring()->current_key_id() << std::endl;
  storage::ResealOptions options;
  options.batch_size = batch_size;
  options.progress = [&out](const std::string& line) { out << "  " << line << std::endl; };
  auto report = storage::ResealAll(**db, options);
  if (!report) return Die(err, "keys rotate", report.error());
  out << "checked " << report->checked << " values, re-encrypted " << report->resealed << "\n";
  if (report->unreadable > 0) {
    err << "callgate: keys rotate: " << report->unreadable
        << " values did not decrypt and were left as they are:\n";
    for (const auto& problem : report->problems) err << "  " << problem << "\n";
    return 1;
  }
  return 0;
}

}  // namespace callgate::app
