// A worker process killed with SIGKILL in the middle of a job: after the lease, another worker
// runs the job again (at-least-once with crash recovery), on both drivers and both databases.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "queue/testing/queue_test_fixture.hpp"
#include "queue/worker_pool.hpp"
#include "storage/database.hpp"

extern char** environ;

namespace callgate::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::QueueTest;

// A child process with its stdout on a pipe; SIGKILLed and reaped on destruction.
class Child {
 public:
  static std::unique_ptr<Child> Spawn(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe(fds) != 0) return nullptr;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      return nullptr;
    }
    return std::unique_ptr<Child>(new Child(pid, fds[0]));
  }

  ~Child() {
    Kill();
    ::close(out_);
  }

  // The next stdout line, waiting at most `timeout` (bounded polling of a real process).
  std::optional<std::string> ReadLine(milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd fd{out_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[256];
      const ssize_t n = ::read(out_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;  // the child exited
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // SIGKILL and reap; returns the wait status.
  int Kill() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = 0;
    return status_;
  }

 private:
  Child(pid_t pid, int out) : pid_(pid), out_(out) {}
  pid_t pid_;
  int out_;
  int status_ = 0;
  std::string buffer_;
};

class QueueCrashTest : public QueueTest {};

TEST_P(QueueCrashTest, JobOfAKilledWorkerRunsAgainAfterTheLease) {
  const auto& url = test_database().url();
  if (!url.password.empty()) GTEST_SKIP() << "helper needs a password-free test database URL";
  constexpr auto kLease = seconds(60);
  // The helper uses the real clock; start the test's clock at real time too.
  clock_.SetNow(std::chrono::time_point_cast<milliseconds>(system_clock_.Now()));
  const auto id = Enqueue("crash_probe", "high");

  std::vector<std::string> argv = {QUEUE_CRASH_HELPER,
                                   "--driver",
                                   std::get<0>(GetParam()),
                                   "--database",
                                   url.Redacted(),
                                   "--lease-ms",
                                   std::to_string(std::chrono::milliseconds(kLease).count())};
  if (IsRedis()) {
    argv.insert(argv.end(),
                {"--redis", redis_url_.Redacted(), "--prefix", redis_options_.key_prefix});
  }
  auto child = Child::Spawn(argv);
  ASSERT_NE(child, nullptr);
  auto line = child->ReadLine(seconds(60));
  ASSERT_TRUE(line.has_value()) << "the helper did not start the job";
  EXPECT_EQ(*line, "running " + std::to_string(id) + " attempt 1");

  JobRegistry registry;
  std::vector<int> attempts;
  JobOptions options;
  options.lease = kLease;
  ASSERT_TRUE(registry
                  .Register(
                      "crash_probe",
                      [&](const Job& job) -> Status {
                        attempts.push_back(job.attempts);
                        return Ok();
                      },
                      options)
                  .has_value());
  WorkerPool survivor(backend(), registry, clock_);
  // While the helper holds the lease, nobody else gets the job.
  EXPECT_EQ(survivor.RunOnce().value(), std::nullopt);

  const int status = child->Kill();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(survivor.RunOnce().value(), std::nullopt);  // the lease still runs

  clock_.SetNow(std::chrono::time_point_cast<milliseconds>(system_clock_.Now()) + kLease +
                seconds(1));
  EXPECT_EQ(survivor.RunOnce().value(), JobOutcome::kCompleted);
  EXPECT_EQ(attempts, std::vector<int>{2});
  EXPECT_EQ(survivor.RunOnce().value(), std::nullopt);
  EXPECT_EQ(backend().Stats()->failed, 0);
}

INSTANTIATE_TEST_SUITE_P(Drivers, QueueCrashTest, testing::AllDrivers(), testing::DriverName);

}  // namespace
}  // namespace callgate::queue
