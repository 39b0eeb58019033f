#include "admin/diagnostics.hpp"

#include <cstdlib>
#include <string>

namespace callgate::admin {

nlohmann::json CountersFromPrometheus(std::string_view text) {
  nlohmann::json out = nlohmann::json::object();
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    const std::string value(line.substr(space + 1));
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    out[std::string(line.substr(0, space))] = number;
  }
  return out;
}

nlohmann::json Diagnostics::Collect() const {
  nlohmann::json doc = {{"version", settings_.version},
                        {"app_env", settings_.app_env},
                        {"diagnostics_enabled_in_production", settings_.enabled_in_production}};
  if (sources_.database != nullptr) {
    // Dialect and pool size only: the URL carries host, user and password.
    nlohmann::json db = {
        {"dialect",
         sources_.database->dialect() == storage::Dialect::kSqlite ? "sqlite" : "postgresql"},
        {"pool_size", sources_.database->pool_size()}};
    db["reachable"] = sources_.database->Ping().has_value();
    doc["database"] = db;
  }
  if (sources_.migrations) {
    auto states = sources_.migrations();
    if (!states) {
      doc["migrations"] = "unavailable";
    } else {
      nlohmann::json list = nlohmann::json::array();
      bool current = true;
      for (const auto& s : *states) {
        list.push_back({{"version", s.version},
                        {"name", s.name},
                        {"applied", s.applied()},
                        {"known", s.known}});
        if (s.known && !s.applied()) current = false;
      }
      doc["migrations"] = {{"current", current}, {"versions", list}};
    }
  }
  if (sources_.queues) {
    auto queues = sources_.queues();
    doc["queues"] = queues ? *queues : nlohmann::json("unavailable");
  }
  for (const auto& [name, probe] : sources_.sections) doc[name] = probe();
  if (sources_.metrics != nullptr) {
    doc["counters"] = CountersFromPrometheus(sources_.metrics->RenderPrometheus());
  }
  return doc;
}

http::Response Diagnostics::Handle(http::Request&) const {
  if (!Enabled()) return http::Response::Error(ErrorCode::kNotFound, "not found");
  return http::Response::Json(200, Collect());
}

}  // namespace callgate::admin
