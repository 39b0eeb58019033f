#pragma once
// What a privacy operation did, as one list of counts. The erase, the company purge and the
// retention purge each name their counts once, in a ReportLines; the JSON (API answer, audit
// detail), the CLI text, the log line and the metrics are derived from that list, so a count
// added to an operation shows up everywhere at once.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "observability/log.hpp"

namespace callgate::privacy {

// One count: {"calls_anonymised", "calls anonymised", 3}, with what the CLI or the metrics
// need besides added by name: .Note("content removed"), .Kind("call_content").
struct ReportLine {
  ReportLine(std::string_view key_, std::string_view label_, std::int64_t count_)
      : key(key_), label(label_), count(count_) {}
  // A yes/no fact: JSON false/true, CLI "no"/"yes".
  static ReportLine YesNo(std::string_view key, std::string_view label, bool yes) {
    ReportLine line(key, label, yes ? 1 : 0);
    line.yes_no = true;
    return line;
  }
  ReportLine Note(std::string_view text) const {
    ReportLine line = *this;
    line.note = text;
    return line;
  }
  ReportLine Kind(std::string_view kind) const {
    ReportLine line = *this;
    line.metric_kind = kind;
    return line;
  }
  ReportLine OnlyWhenAny() const {
    ReportLine line = *this;
    line.said_when_zero = false;
    return line;
  }

  std::string_view key;    // JSON key and log field: "calls_anonymised"
  std::string_view label;  // the CLI's words: "calls anonymised"
  std::int64_t count = 0;
  bool yes_no = false;           // see YesNo
  bool said_when_zero = true;    // false: left out of the CLI text while the count is 0
  std::string_view note;         // the CLI adds it after the count, in parentheses
  std::string_view metric_kind;  // the `kind` label of a metric counting it (empty: none)
};

using ReportLines = std::vector<ReportLine>;

// {"key": count (or true/false), ...}.
nlohmann::json ReportJson(const ReportLines& lines);
// "label: count (note)\n" per line, for the CLI.
std::string ReportText(const ReportLines& lines);
// One log field per line (key: count or true/false); valid while `lines` lives.
std::vector<observability::LogField> ReportLogFields(const ReportLines& lines);

}  // namespace callgate::privacy
