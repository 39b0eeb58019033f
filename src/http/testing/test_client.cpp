#include "http/testing/test_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace callgate::http::testing {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseSize(std::string_view text, std::size_t& out, int base = 10) {
  text = Trim(text);
  const auto* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, out, base);
  return result.ec == std::errc() && result.ptr == end && !text.empty();
}

}  // namespace

std::string SerializeRequest(const ClientRequest& request, std::uint16_t port) {
  std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
  if (!request.headers.Has("Host")) out += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  const bool wants_length = !request.body.empty() || request.method == "POST" ||
                            request.method == "PUT" || request.method == "PATCH";
  if (wants_length && !request.headers.Has("Content-Length") &&
      !request.headers.Has("Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  for (const auto& [name, value] : request.headers.All()) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += request.body;
  return out;
}

Result<RawConnection> RawConnection::Connect(std::uint16_t port,
                                             std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(ErrorCode::kInternal, std::string("socket: ") + std::strerror(errno));
  RawConnection connection(fd, port);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) {
      return Fail(ErrorCode::kUnavailable, std::string("connect: ") + std::strerror(errno));
    }
    pollfd pfd{fd, POLLOUT, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return Fail(ErrorCode::kTimeout, "connect timed out");
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (ready < 0 || error != 0) {
      return Fail(ErrorCode::kUnavailable, std::string("connect: ") + std::strerror(error));
    }
  }
  return connection;
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_), port_(other.port_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    port_ = other.port_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

Status RawConnection::Send(std::string_view bytes) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!bytes.empty()) {
    const auto sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd_, POLLOUT, 0};
      if (poll(&pfd, 1, MillisLeft(deadline)) <= 0) return Fail(ErrorCode::kTimeout, "send");
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    return Fail(ErrorCode::kUnavailable, std::string("send: ") + std::strerror(errno));
  }
  return Ok();
}

int RawConnection::ReadSome(Clock::time_point deadline) {
  char chunk[16 * 1024];
  while (true) {
    const auto got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(got));
      return 1;
    }
    if (got == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return 0;  // reset counts as closed
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisLeft(deadline));
    if (ready == 0) return -1;
    if (ready < 0 && errno != EINTR) return 0;
  }
}

bool RawConnection::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const int r = ReadSome(deadline);
    if (r == 0) return true;
    if (r < 0) return false;
  }
}

Result<ClientResponse> RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto need_more = [&]() -> Status {
    const int r = ReadSome(deadline);
    if (r > 0) return Ok();
    if (r < 0) return Fail(ErrorCode::kTimeout, "no complete response in time");
    return Fail(ErrorCode::kUnavailable, "connection closed before a complete response");
  };

  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (auto s = need_more(); !s) return tl::unexpected(s.error());
  }

  ClientResponse response;
  std::string_view head(buffer_.data(), header_end);
  const auto first_eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, first_eol);
  // "HTTP/1.1 200 OK"
  const auto sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.substr(0, 5) != "HTTP/") {
    return Fail(ErrorCode::kInternal, "bad status line");
  }
  std::string_view rest = status_line.substr(sp1 + 1);
  const auto sp2 = rest.find(' ');
  std::size_t status = 0;
  if (!ParseSize(rest.substr(0, sp2), status)) return Fail(ErrorCode::kInternal, "bad status");
  response.status = static_cast<int>(status);
  response.reason = sp2 == std::string_view::npos ? "" : std::string(rest.substr(sp2 + 1));

  std::string_view fields =
      first_eol == std::string_view::npos ? std::string_view{} : head.substr(first_eol + 2);
  while (!fields.empty()) {
    const auto eol = fields.find("\r\n");
    const std::string_view line = fields.substr(0, eol);
    fields = eol == std::string_view::npos ? std::string_view{} : fields.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(ErrorCode::kInternal, "bad header line");
    response.headers.Add(std::string(Trim(line.substr(0, colon))),
                         std::string(Trim(line.substr(colon + 1))));
  }
  buffer_.erase(0, header_end + 4);

  const bool no_body =
      response.status / 100 == 1 || response.status == 204 || response.status == 304;
  const auto content_length = response.headers.Get("Content-Length");
  const auto transfer_encoding = response.headers.Get("Transfer-Encoding");
  if (no_body) return response;

  if (transfer_encoding && transfer_encoding->find("chunked") != std::string_view::npos) {
    while (true) {
      std::size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (auto s = need_more(); !s) return tl::unexpected(s.error());
      }
      std::string_view size_text(buffer_.data(), eol);
      size_text = size_text.substr(0, size_text.find(';'));
      std::size_t chunk_size = 0;
      if (!ParseSize(size_text, chunk_size, 16)) return Fail(ErrorCode::kInternal, "bad chunk");
      if (chunk_size == 0) {
        // Skip trailers up to the blank line.
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n", eol)) == std::string::npos) {
          if (auto s = need_more(); !s) return tl::unexpected(s.error());
        }
        buffer_.erase(0, end + 4);
        return response;
      }
      while (buffer_.size() < eol + 2 + chunk_size + 2) {
        if (auto s = need_more(); !s) return tl::unexpected(s.error());
      }
      response.body.append(buffer_, eol + 2, chunk_size);
      buffer_.erase(0, eol + 2 + chunk_size + 2);
    }
  }

  if (content_length) {
    std::size_t length = 0;
    if (!ParseSize(*content_length, length)) return Fail(ErrorCode::kInternal, "bad length");
    while (buffer_.size() < length) {
      if (auto s = need_more(); !s) return tl::unexpected(s.error());
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // No length: the body runs until the server closes the connection.
  while (true) {
    const int r = ReadSome(deadline);
    if (r == 0) break;
    if (r < 0) return Fail(ErrorCode::kTimeout, "body not terminated in time");
  }
  response.body = std::move(buffer_);
  buffer_.clear();
  return response;
}

Result<ClientResponse> TestClient::Send(ClientRequest request) const {
  auto connection = RawConnection::Connect(port_, timeout_);
  if (!connection) return tl::unexpected(connection.error());
  if (!request.headers.Has("Connection")) request.headers.Add("Connection", "close");
  if (auto sent = connection->Send(SerializeRequest(request, port_)); !sent) {
    return tl::unexpected(sent.error());
  }
  return connection->ReadResponse(timeout_);
}

Result<ClientResponse> TestClient::Get(std::string target, Headers headers) const {
  return Send(ClientRequest{"GET", std::move(target), std::move(headers), {}});
}

Result<ClientResponse> TestClient::Post(std::string target, std::string body,
                                        Headers headers) const {
  return Send(ClientRequest{"POST", std::move(target), std::move(headers), std::move(body)});
}

}  // namespace callgate::http::testing
