#pragma once
// Reply: one Redis reply as a value (RESP2 types). Replies own their data, so they outlive the
// connection that produced them.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace callgate::redis {

// The nil bulk string / nil array (GET of a missing key, a Lua `false`).
struct Nil {
  friend bool operator==(Nil, Nil) { return true; }
};
// A simple-string status such as "OK" or "QUEUED".
struct StatusReply {
  std::string text;
  friend bool operator==(const StatusReply&, const StatusReply&) = default;
};
// An error reply ("WRONGTYPE ...", "NOSCRIPT ...", a Lua error). The message keeps the prefix.
struct ErrorReply {
  std::string message;
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

class Reply {
 public:
  using Array = std::vector<Reply>;
  using Value = std::variant<Nil, std::int64_t, std::string, StatusReply, Array, ErrorReply>;

  Reply() = default;
  Reply(Value value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  const Value& value() const noexcept { return value_; }

  bool IsNil() const noexcept { return std::holds_alternative<Nil>(value_); }
  bool IsInteger() const noexcept { return std::holds_alternative<std::int64_t>(value_); }
  bool IsString() const noexcept { return std::holds_alternative<std::string>(value_); }
  bool IsStatus() const noexcept { return std::holds_alternative<StatusReply>(value_); }
  bool IsArray() const noexcept { return std::holds_alternative<Array>(value_); }
  bool IsError() const noexcept { return std::holds_alternative<ErrorReply>(value_); }

  // Accessors for a known type; calling one on another type throws std::bad_variant_access
  // (a programming error, not a runtime failure).
  std::int64_t integer() const { return std::get<std::int64_t>(value_); }
  const std::string& string() const { return std::get<std::string>(value_); }
  const Array& array() const { return std::get<Array>(value_); }
  const std::string& error() const { return std::get<ErrorReply>(value_).message; }

  // Lenient conversions for script results and counters: an integer, or a bulk/status string
  // holding a decimal integer. kInternal otherwise (the message names the actual type).
  Result<std::int64_t> ToInteger() const;
  // A bulk or status string, or an integer in decimal. kInternal otherwise.
  Result<std::string> ToString() const;

  // A short human-readable rendering for logs and test failures, e.g. `["a", 1, nil]`.
  std::string DebugString() const;

  friend bool operator==(const Reply&, const Reply&) = default;

 private:
  Value value_;
};

}  // namespace callgate::redis
