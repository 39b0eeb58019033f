#include "redis/redis_url.hpp"

#include <charconv>

#include "core/encoding.hpp"

namespace callgate::redis {
namespace {

// The decoded text is never echoed in errors: it may be the password.
Result<std::string> PercentDecode(std::string_view in, std::string_view what) {
  auto decoded = PercentDecodeStrict(in);
  if (!decoded) {
    return Fail(ErrorCode::kInvalidArgument,
                "redis URL: bad percent-escape in " + std::string(what));
  }
  return *decoded;
}

Result<int> ParseNumber(std::string_view text, int min, int max, std::string_view what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return Fail(ErrorCode::kInvalidArgument,
                "redis URL: bad " + std::string(what) + " \"" + std::string(text) + "\"");
  }
  return value;
}

}  // namespace

std::string RedisUrl::Redacted() const {
  std::string out = "redis://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += "@";
  }
  const bool ipv6 = host.find(':') != std::string::npos;
  out += ipv6 ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + std::to_string(database);
  return out;
}

Result<RedisUrl> ParseRedisUrl(std::string_view text) {
  constexpr std::string_view kScheme = "redis://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    return Fail(ErrorCode::kInvalidArgument,
                "redis URL must start with redis:// (e.g. redis://127.0.0.1:6379/0)");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "redis URL: query parameters are not supported");
  }
  RedisUrl url;
  // The userinfo ends at the last '@' before the path, so a password may contain '@'.
  const std::size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start + 1);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon), "user");
    if (!user) return tl::unexpected(user.error());
    url.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(userinfo.substr(colon + 1), "password");
      if (!password) return tl::unexpected(password.error());
      url.password = Secret(std::move(*password));
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "redis URL: unterminated IPv6 address");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(ErrorCode::kInvalidArgument, "redis URL: bad port");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Fail(ErrorCode::kInvalidArgument, "redis URL: empty host");
  url.host = std::string(host);
  if (!port.empty() || authority.ends_with(':')) {
    auto parsed = ParseNumber(port, 1, 65535, "port");
    if (!parsed) return tl::unexpected(parsed.error());
    url.port = *parsed;
  }
  if (!path.empty()) {
    auto parsed = ParseNumber(path, 0, 1 << 20, "database number");
    if (!parsed) return tl::unexpected(parsed.error());
    url.database = *parsed;
  }
  return url;
}

}  // namespace callgate::redis
