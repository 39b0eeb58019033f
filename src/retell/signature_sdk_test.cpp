// Wire compatibility: requests signed by Retell's official SDK (npm retell-sdk, Retell.sign)
// must verify. scripts/test installs the SDK into tests/sdk.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/clock.hpp"
#include "retell/signature.hpp"

namespace callgate::retell {
namespace {

const std::filesystem::path kSdkDir = std::filesystem::path(CALLGATE_SOURCE_DIR) / "tests/sdk";

std::string SignWithSdk(const std::string& key, const std::string& body) {
  const auto body_file = std::filesystem::temp_directory_path() /
                         ("cg-retell-body-" + std::to_string(::getpid()) + ".json");
  std::ofstream(body_file, std::ios::binary) << body;
  const std::string cmd = "node '" + (kSdkDir / "retell-sign.cjs").string() + "' '" + key + "' '" +
                          body_file.string() + "'";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 256> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    ::pclose(p);
  }
  std::filesystem::remove(body_file);
  return out;
}

class RetellSdkCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSdkDir / "node_modules/retell-sdk")) {
      if (std::getenv("CI") != nullptr) FAIL() << "retell-sdk not installed in tests/sdk";
      GTEST_SKIP() << "retell-sdk not installed (run: npm ci --prefix tests/sdk)";
    }
  }
};

TEST_F(RetellSdkCompat, AcceptsBodiesSignedByTheOfficialSdk) {
  const Secret key("key_3f9a2b7c1d");
  for (const std::string& body : {
           std::string(R"({"event":"call_started","call":{"call_id":"abc"}})"),
           std::string(R"({"name":"book-appointment","args":{"name":"Jürgen Weiß","ort":"Köln"}})"),
           std::string(""),
       }) {
    const std::string header = SignWithSdk(key.Reveal(), body);
    ASSERT_FALSE(header.empty()) << "the SDK printed nothing";
    auto ok = VerifyRetellSignature(header, body, key, SystemClock().Now());
    EXPECT_TRUE(ok.has_value()) << header << " for " << body << ": "
                                << (ok ? "" : ok.error().message);
    // And our own signer produces the same digest for the same timestamp.
    auto parsed = ParseSignatureHeader(header);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(SignRetellPayload(body, key, parsed->timestamp_ms), header);
  }
}

TEST_F(RetellSdkCompat, SdkSignatureFailsForAnotherKey) {
  const std::string body = R"({"event":"call_ended","call":{"call_id":"x"}})";
  const std::string header = SignWithSdk("key_a", body);
  EXPECT_FALSE(VerifyRetellSignature(header, body, Secret("key_b"), SystemClock().Now()));
}

}  // namespace
}  // namespace callgate::retell
