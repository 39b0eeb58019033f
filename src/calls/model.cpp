#include "calls/model.hpp"

namespace callgate::calls {

int CallStatusRank(std::string_view status) noexcept {
  if (status == "registered" || status.empty()) return 0;
  if (status == "ongoing") return 1;
  return 2;  // ended, not_connected, error
}

}  // namespace callgate::calls
