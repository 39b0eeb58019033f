#include "redis/reply.hpp"

#include <charconv>

namespace callgate::redis {
namespace {

const char* TypeName(const Reply& reply) {
  if (reply.IsNil()) return "nil";
  if (reply.IsInteger()) return "integer";
  if (reply.IsString()) return "string";
  if (reply.IsStatus()) return "status";
  if (reply.IsArray()) return "array";
  return "error";
}

}  // namespace

Result<std::int64_t> Reply::ToInteger() const {
  if (IsInteger()) return integer();
  const std::string* text = nullptr;
  if (IsString()) text = &string();
  if (IsStatus()) text = &std::get<StatusReply>(value_).text;
  if (text != nullptr) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (!text->empty() && ec == std::errc() && end == text->data() + text->size()) return value;
  }
  return Fail(ErrorCode::kInternal,
              std::string("redis: expected an integer reply, got ") + TypeName(*this));
}

Result<std::string> Reply::ToString() const {
  if (IsString()) return string();
  if (IsStatus()) return std::get<StatusReply>(value_).text;
  if (IsInteger()) return std::to_string(integer());
  return Fail(ErrorCode::kInternal,
              std::string("redis: expected a string reply, got ") + TypeName(*this));
}

std::string Reply::DebugString() const {
  if (IsNil()) return "nil";
  if (IsInteger()) return std::to_string(integer());
  if (IsString()) return "\"" + string() + "\"";
  if (IsStatus()) return std::get<StatusReply>(value_).text;
  if (IsError()) return "(error) " + error();
  std::string out = "[";
  for (const Reply& element : array()) {
    if (out.size() > 1) out += ", ";
    out += element.DebugString();
  }
  return out + "]";
}

}  // namespace callgate::redis
