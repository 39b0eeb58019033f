#include "core/signature_uses.hpp"

namespace callgate {

bool SignatureUses::Bind(std::string_view signature, std::string_view binding) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mutex_);
  while (!expiry_.empty() && expiry_.front().first <= now) {
    bindings_.erase(expiry_.front().second);
    expiry_.pop_front();
  }
  const std::string key(signature);
  if (auto it = bindings_.find(key); it != bindings_.end()) return it->second == binding;
  while (!expiry_.empty() && bindings_.size() >= capacity_) {
    bindings_.erase(expiry_.front().second);
    expiry_.pop_front();
  }
  bindings_.emplace(key, binding);
  expiry_.emplace_back(now + lifetime_, key);
  return true;
}

}  // namespace callgate
