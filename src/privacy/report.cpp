#include "privacy/report.hpp"

#include <nlohmann/json.hpp>

namespace callgate::privacy {

nlohmann::json ReportJson(const ReportLines& lines) {
  nlohmann::json out = nlohmann::json::object();
  for (const ReportLine& line : lines) {
    out[std::string(line.key)] =
        line.yes_no ? nlohmann::json(line.count != 0) : nlohmann::json(line.count);
  }
  return out;
}

std::string ReportText(const ReportLines& lines) {
  std::string out;
  for (const ReportLine& line : lines) {
    if (line.count == 0 && !line.said_when_zero) continue;
    out += line.label;
    out += ": ";
    out += line.yes_no ? (line.count != 0 ? "yes" : "no") : std::to_string(line.count);
    if (!line.note.empty()) {
      out += " (";
      out += line.note;
      out += ")";
    }
    out += "\n";
  }
  return out;
}

std::vector<observability::LogField> ReportLogFields(const ReportLines& lines) {
  std::vector<observability::LogField> out;
  out.reserve(lines.size());
  for (const ReportLine& line : lines) {
    if (line.yes_no) {
      out.emplace_back(line.key, line.count != 0);
    } else {
      out.emplace_back(line.key, line.count);
    }
  }
  return out;
}

}  // namespace callgate::privacy
