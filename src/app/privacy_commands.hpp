#pragma once
// Operator commands for data protection (docs/privacy.md):
//   callgate keys generate <file> [--add]   new master key file (or a new current key in it)
//   callgate keys rotate [--batch N]        re-encrypt every sealed column under the current key
//   callgate privacy purge                  delete what each company's retention makes due now
// and the daily privacy_purge job on the scheduler (same work as `privacy purge`).

#include <iosfwd>
#include <string>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate::queue {
class QueueRuntime;
}
namespace callgate::storage {
class Database;
}

namespace callgate::app {

inline constexpr std::string_view kPrivacyPurgeJob = "privacy_purge";

// Registers the privacy_purge job (queue low, one try: the next day runs again) and its daily
// periodic task: storage::PurgeExpired, then a `privacy_purged` log line with the counts.
// `db` and `clock` must outlive the queue runtime.
Status RegisterPrivacyPurgeJob(queue::QueueRuntime& queue, storage::Database& db,
                               const Clock& clock);

// Runs the purge now and prints what it deleted.
int RunPrivacyPurge(const Config& config, const Clock& clock, std::ostream& out, std::ostream& err);

// Writes a new key file (base64 of 32 random bytes, mode 0600) and prints its key id and the
// variable to set; with `add`, prepends a new current key to an existing file instead. Needs no
// configuration. Exit code: 0, 1 when the file exists (without --add) or cannot be written.
int RunKeysGenerate(const std::string& file, bool add, std::ostream& out, std::ostream& err);

// Re-encrypts everything under the configured current key (storage::ResealAll), printing one
// progress line per batch. Safe to interrupt and run again. Exit code 1 when some values did
// not decrypt (they are listed and left alone) or the database fails.
int RunKeysRotate(const Config& config, const Clock& clock, int batch_size, std::ostream& out,
                  std::ostream& err);

}  // namespace callgate::app
