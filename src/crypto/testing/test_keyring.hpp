#pragma once
// The keyring of tests: the development keyring (crypto/keyring.hpp), the same one an
// Application built in a test without a configured key uses, so a test can read through its own
// Database handle what the application wrote. Never use outside tests.

#include <memory>

#include "crypto/keyring.hpp"

namespace callgate::crypto::testing {

inline std::shared_ptr<const Keyring> TestKeyring() { return DevelopmentKeyring(); }

}  // namespace callgate::crypto::testing
