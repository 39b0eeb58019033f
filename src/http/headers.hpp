#pragma once
// Headers: an ordered list of HTTP header fields with case-insensitive names, shared by
// Request and Response. Free of any HTTP library so every module can include it cheaply.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callgate::http {

// ASCII case-insensitive equality, as HTTP field names require.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;

// Ordered header fields; lookups ignore ASCII case. Repeated names are kept in order.
// Not thread-safe for concurrent mutation (a Request/Response belongs to one thread at a time).
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Appends a field, keeping any existing fields of the same name.
  void Add(std::string name, std::string value);
  // Replaces every field of this name with a single one.
  void Set(std::string name, std::string value);
  // Removes every field of this name; returns how many were removed.
  std::size_t Remove(std::string_view name);

  // Value of the first field with this name, or nullopt. The view is valid until the next
  // mutation of this object.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  // Every field in insertion order.
  const std::vector<Field>& All() const noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace callgate::http
