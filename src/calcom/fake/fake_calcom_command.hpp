#pragma once
// `callgate fake-calcom`: serves FakeCalcom in the foreground until SIGTERM or SIGINT.

#include <string>

namespace callgate::calcom::fake {

struct FakeCalcomCommandOptions {
  std::string address = "127.0.0.1";
  int latency_ms = 0;  // added to every API request (≥ 0)
};

// Starts the fake on `port` (0 = any free port), prints its base URL on stdout, blocks until
// SIGTERM/SIGINT, then stops it. Returns the process exit code: 0 after a clean stop, 1 when the
// port cannot be bound, 2 for bad options. Call from the main thread before other threads exist
// (it installs the signal handlers).
int RunFakeCalcom(int port, const FakeCalcomCommandOptions& options = {});

}  // namespace callgate::calcom::fake
