#pragma once
// A tiny blocking HTTP/1.1 client for tests: talks only to 127.0.0.1, one request at a time,
// with a timeout on every wait. Not for production (no TLS, no redirects, no pooling).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/headers.hpp"

namespace callgate::http::testing {

// What to send. Host and Content-Length are added when absent (Content-Length whenever there
// is a body or the method is POST/PUT/PATCH).
struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string body;
};

// What came back.
struct ClientResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
};

// Serialises a request as sent on the wire (for raw tests that tweak it).
std::string SerializeRequest(const ClientRequest& request, std::uint16_t port);

// One TCP connection to 127.0.0.1:port. Move-only; closes on destruction. Not thread-safe.
class RawConnection {
 public:
  // Connects with a timeout. kUnavailable when refused, kTimeout when it takes too long.
  static Result<RawConnection> Connect(std::uint16_t port,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  // Writes all bytes (no SIGPIPE). kUnavailable when the peer has closed the connection.
  Status Send(std::string_view bytes);

  // Reads one complete response (Content-Length, chunked, or until close). kTimeout when it
  // does not arrive in time; kUnavailable when the peer closes first.
  Result<ClientResponse> ReadResponse(std::chrono::milliseconds timeout);

  // Waits until the peer closes (EOF or reset): true if it did within `timeout`. Any bytes
  // received meanwhile are appended to received().
  bool WaitForClose(std::chrono::milliseconds timeout);

  // Bytes read but not consumed by ReadResponse.
  const std::string& received() const noexcept { return buffer_; }
  std::uint16_t port() const noexcept { return port_; }

 private:
  RawConnection(int fd, std::uint16_t port) : fd_(fd), port_(port) {}
  // Reads more into buffer_. 1 = got data, 0 = closed by peer, -1 = timeout.
  int ReadSome(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string buffer_;
};

// Convenience: one request per fresh connection ("Connection: close" unless the request sets
// a Connection header).
class TestClient {
 public:
  explicit TestClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : port_(port), timeout_(timeout) {}

  Result<ClientResponse> Send(ClientRequest request) const;
  Result<ClientResponse> Get(std::string target, Headers headers = {}) const;
  Result<ClientResponse> Post(std::string target, std::string body, Headers headers = {}) const;

 private:
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace callgate::http::testing
