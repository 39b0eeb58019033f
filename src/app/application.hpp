#pragma once
// The composition root: builds every object of a running callgate in dependency order, from a
// validated Config, and owns them. The route table lives in application.cpp, read top to bottom.

#include <cstdint>
#include <memory>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

namespace callgate::storage {
class Database;
}
namespace callgate::observability {
class Metrics;
}

namespace callgate::app {

class Application {
 public:
  enum class Mode {
    kServe,         // open the database (migrating an embedded SQLite one) and serve
    kDescribeOnly,  // build the route table only; nothing is opened (for `callgate routes`)
    kWorker,        // open the database and run job workers and the scheduler, no HTTP
  };

  // Fails with the reason (unreachable database, pending migrations on PostgreSQL, …).
  static Result<std::unique_ptr<Application>> Create(Config config, const Clock& clock,
                                                     Mode mode = Mode::kServe);
  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // kServe: starts the job runtime (CALLGATE_WORKERS in-process workers, the scheduler, the
  // Redis outbox relay) and the HTTP server on config.listen_host:listen_port (port 0 = any
  // free port). kWorker: the job runtime only.
  Status Start();
  // Graceful: stops accepting, lets in-flight requests finish, then stops. Idempotent.
  void Stop();
  // The bound port after Start().
  std::uint16_t port() const;

  const http::Router& router() const;
  storage::Database& database();
  observability::Metrics& metrics();
  const Config& config() const;

 private:
  struct Impl;
  explicit Application(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Routes that need no guard. The route-table test fails for any other route without one.
const std::vector<std::string>& PublicRoutes();

}  // namespace callgate::app
