#pragma once
// RedisUrl: the parsed form of CALLGATE_REDIS_URL.
//   redis://host:port/db              e.g. redis://127.0.0.1:6379/0
//   redis://:password@host:port/db    AUTH <password>
//   redis://user:password@host/db     AUTH <user> <password> (Redis 6 ACL)
// The port defaults to 6379 and the database to 0. Percent-escapes are decoded in the userinfo.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::redis {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string user;  // empty: AUTH with the password only (or no AUTH at all)
  Secret password;

  // The URL with the password replaced by "***"; safe for logs and error messages.
  std::string Redacted() const;
};

// Parses a redis:// URL. kInvalidArgument, with a message that never contains the password,
// for another scheme, an empty host, a bad port or database number, query parameters or a bad
// percent-escape. Pure function; thread-safe.
Result<RedisUrl> ParseRedisUrl(std::string_view url);

}  // namespace callgate::redis
