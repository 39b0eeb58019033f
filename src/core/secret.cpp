#include "core/secret.hpp"

#include <openssl/crypto.h>

namespace callgate {

bool Secret::Equals(std::string_view candidate) const noexcept {
  if (candidate.size() != value_.size()) return false;
  return CRYPTO_memcmp(candidate.data(), value_.data(), value_.size()) == 0;
}

}  // namespace callgate
