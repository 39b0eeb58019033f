#pragma once
// Test support: a private redis-server child process that a test may stop and start again
// mid-test (the shared test Redis must never be stopped), and a loopback port nothing listens
// on. Loopback only; every wait is bounded.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "redis/redis_url.hpp"

namespace callgate::redis::testing {

// A loopback port nothing listens on (bound, then closed again).
inline int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool LoopbackPortOpen(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return open;
}

// A redis-server child on a free loopback port. Not thread-safe; one owner.
class PrivateRedis {
 public:
  PrivateRedis() : port_(UnusedLoopbackPort()) {}
  ~PrivateRedis() { Stop(); }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  // Starts the server (again, on the same port); false when redis-server cannot be run or does
  // not accept connections within 5 s.
  bool Start() {
    if (pid_ > 0) return true;
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      (void)::freopen("/dev/null", "w", stdout);
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (LoopbackPortOpen(port_)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Stop();
    return false;
  }

  // Kills the server and waits for it to exit (its connections close). Idempotent.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  redis::RedisUrl url() const {
    redis::RedisUrl url;
    url.host = "127.0.0.1";
    url.port = port_;
    return url;
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

}  // namespace callgate::redis::testing
