#include "crypto/keyring.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/testing/test_keyring.hpp"

namespace callgate::crypto {
namespace {

constexpr std::string_view kContext = "calls.transcript";

std::shared_ptr<const Keyring> Ring(std::vector<MasterKey> keys) {
  auto ring = Keyring::Create(std::move(keys));
  EXPECT_TRUE(ring.has_value());
  return *ring;
}

KeySource FromFile(const std::string& path) {
  KeySource source;
  source.key_file = path;
  return source;
}

KeySource FromText(const std::string& text) {
  KeySource source;
  source.key_text = text;
  return source;
}

std::string TempPath(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("callgate-keys-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "master.key").string();
}

TEST(Keyring, SealThenOpenGivesThePlaintextBack) {
  const auto ring = Ring({MasterKey::Generate()});
  const std::string plain = "Ich habe seit Montag Zahnschmerzen.";
  const std::string sealed = ring->Seal(plain, kContext);
  EXPECT_TRUE(sealed.starts_with("enc:v1:" + ring->current_key_id() + ":")) << sealed;
  EXPECT_EQ(sealed.find("Zahnschmerzen"), std::string::npos);
  auto opened = ring->Open(sealed, kContext);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, plain);
}

TEST(Keyring, EmptyAndBinaryValuesRoundTrip) {
  const auto ring = Ring({MasterKey::Generate()});
  for (const std::string& plain : {std::string(), std::string("\0\xff\n", 3)}) {
    auto opened = ring->Open(ring->Seal(plain, kContext), kContext);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, plain);
  }
}

TEST(Keyring, EverySizeSealsToStrictPaddedBase64ThatOpens) {
  // The sealed text's base64 is written from a table: every remainder of the box's length
  // (nonce + text + tag) must come out as standard, padded base64 that the strict decoder
  // behind Open reads back. (The empty string is not sealed: see TheEmptyStringIs...)
  const auto ring = Ring({MasterKey::Generate()});
  for (std::size_t size = 1; size <= 64; ++size) {
    std::string plain(size, '\0');
    for (std::size_t i = 0; i < size; ++i) plain[i] = static_cast<char>(i * 37 + size);
    const std::string sealed = ring->Seal(plain, kContext);
    const std::string text = sealed.substr(sealed.rfind(':') + 1);
    // 24-byte nonce + size + 16-byte tag, padded to whole groups of four characters.
    EXPECT_EQ(text.size(), (24 + size + 16 + 2) / 3 * 4) << size;
    EXPECT_EQ(
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
        std::string::npos);
    auto opened = ring->Open(sealed, kContext);
    ASSERT_TRUE(opened.has_value()) << size << ": " << opened.error().message;
    EXPECT_EQ(*opened, plain);
    // Byte for byte what libsodium's encoder writes for the same box.
    std::string box(text.size(), '\0');
    std::size_t box_size = 0;
    ASSERT_EQ(
        sodium_base642bin(reinterpret_cast<unsigned char*>(box.data()), box.size(), text.data(),
                          text.size(), nullptr, &box_size, nullptr, sodium_base64_VARIANT_ORIGINAL),
        0);
    std::string expected(sodium_base64_encoded_len(box_size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(expected.data(), expected.size(),
                      reinterpret_cast<const unsigned char*>(box.data()), box_size,
                      sodium_base64_VARIANT_ORIGINAL);
    expected.resize(expected.size() - 1);  // its terminating NUL
    EXPECT_EQ(text, expected) << size;
  }
}

TEST(Keyring, SealingTwiceGivesDifferentCiphertexts) {
  const auto ring = Ring({MasterKey::Generate()});
  EXPECT_NE(ring->Seal("same", kContext), ring->Seal("same", kContext));
}

TEST(Keyring, LegacyClearTextIsReturnedUnchangedAndNeedsSealing) {
  const auto ring = Ring({MasterKey::Generate()});
  auto opened = ring->Open("plain old transcript", kContext);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, "plain old transcript");
  EXPECT_TRUE(ring->NeedsSealing("plain old transcript"));
  EXPECT_FALSE(ring->NeedsSealing(ring->Seal("x", kContext)));
}

TEST(Keyring, TheEmptyStringIsStoredAsItIsAndNeedsNoSealing) {
  const auto ring = Ring({MasterKey::Generate()});
  EXPECT_EQ(ring->Seal("", kContext), "");
  auto opened = ring->Open("", kContext);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, "");
  EXPECT_FALSE(ring->NeedsSealing(""));
  // One character is sealed like any other text.
  EXPECT_TRUE(IsSealed(ring->Seal(" ", kContext)));
  EXPECT_TRUE(ring->NeedsSealing(" "));
}

TEST(Keyring, WrongKeyWithTheSameIdIsAnErrorNotGarbage) {
  const auto ring = Ring({MasterKey::Generate()});
  const auto other = Ring({MasterKey::Generate()});
  // Forge the id so the other keyring tries its key on this ciphertext.
  std::string sealed = ring->Seal("secret", kContext);
  sealed.replace(7, 8, other->current_key_id());
  auto opened = other->Open(sealed, kContext);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
  EXPECT_NE(opened.error().message.find("does not authenticate"), std::string::npos);
}

TEST(Keyring, UnknownKeyIdNamesTheMissingKey) {
  const auto ring = Ring({MasterKey::Generate()});
  const auto other = Ring({MasterKey::Generate()});
  auto opened = other->Open(ring->Seal("secret", kContext), kContext);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find("key " + ring->current_key_id() + " is not configured"),
            std::string::npos)
      << opened.error().message;
}

TEST(Keyring, AlteredCiphertextDoesNotAuthenticate) {
  const auto ring = Ring({MasterKey::Generate()});
  std::string sealed = ring->Seal("Termin am Dienstag", kContext);
  // Flip one base64 character in the middle of the payload (still valid base64).
  char& c = sealed[sealed.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  auto opened = ring->Open(sealed, kContext);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find("does not authenticate"), std::string::npos);
}

TEST(Keyring, ValueMovedToAnotherColumnDoesNotAuthenticate) {
  const auto ring = Ring({MasterKey::Generate()});
  auto opened = ring->Open(ring->Seal("secret", "companies.calcom_api_key"), kContext);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find("does not authenticate"), std::string::npos);
}

TEST(Keyring, MalformedValuesAreErrors) {
  const auto ring = Ring({MasterKey::Generate()});
  const std::string id = ring->current_key_id();
  for (const std::string& bad :
       {std::string("enc:"), std::string("enc:v1"), std::string("enc:v1:") + id,
        std::string("enc:v1::AAAA"), "enc:v1:" + id + ":not base64!", "enc:v1:" + id + ":AAAA",
        "enc:v1:" + id + ":"}) {
    auto opened = ring->Open(bad, kContext);
    ASSERT_FALSE(opened.has_value()) << bad;
    EXPECT_NE(opened.error().message.find("malformed"), std::string::npos) << bad;
  }
  auto v2 = ring->Open("enc:v2:" + id + ":AAAA", kContext);
  ASSERT_FALSE(v2.has_value());
  EXPECT_NE(v2.error().message.find("unknown version v2"), std::string::npos);
}

TEST(Keyring, OlderKeysStillOpenAndNewValuesUseTheCurrentKey) {
  const MasterKey old_key = MasterKey::Generate();
  const auto old_ring = Ring({old_key});
  const std::string old_value = old_ring->Seal("alt", kContext);
  const auto ring = Ring({MasterKey::Generate(), old_key});
  EXPECT_NE(ring->current_key_id(), old_key.id());
  auto opened = ring->Open(old_value, kContext);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, "alt");
  EXPECT_TRUE(ring->NeedsSealing(old_value));
  EXPECT_EQ(SealedKeyId(ring->Seal("neu", kContext)), ring->current_key_id());
}

TEST(Keyring, WithOlderKeyReadsTheOldKeysValuesButSealsUnderTheCurrentOne) {
  const MasterKey old_key = MasterKey::Generate();
  const std::string old_value = Ring({old_key})->Seal("alt", kContext);
  const auto ring = Ring({MasterKey::Generate()});
  const auto extended = ring->WithOlderKey(old_key);
  EXPECT_EQ(extended->current_key_id(), ring->current_key_id());
  EXPECT_EQ(extended->Open(old_value, kContext).value_or(""), "alt");
  EXPECT_EQ(extended->WithOlderKey(old_key)->key_ids().size(), 2u);
}

TEST(Keyring, RejectsNoKeysAndDuplicateKeys) {
  EXPECT_FALSE(Keyring::Create({}).has_value());
  const MasterKey key = MasterKey::Generate();
  EXPECT_FALSE(Keyring::Create({key, key}).has_value());
}

TEST(MasterKey, Base64RoundTripKeepsTheId) {
  const MasterKey key = MasterKey::Generate();
  auto parsed = MasterKey::FromBase64("  " + key.ToBase64() + "\n");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id(), key.id());
  EXPECT_EQ(key.id().size(), 8u);
}

TEST(MasterKey, RejectsWrongLengthAndNonBase64WithoutEchoingIt) {
  auto short_key = MasterKey::FromBase64("c2hvcnQ=");
  ASSERT_FALSE(short_key.has_value());
  EXPECT_NE(short_key.error().message.find("32 bytes, got 5"), std::string::npos);
  auto garbage = MasterKey::FromBase64("this is *not* base64");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().message.find("*not*"), std::string::npos);
}

TEST(KeyringFromText, FirstLineIsCurrentOthersAreOlderCommentsIgnored) {
  const MasterKey a = MasterKey::Generate(), b = MasterKey::Generate();
  auto ring = KeyringFromText("# callgate master keys\n" + a.ToBase64() + "\n\n" + b.ToBase64());
  ASSERT_TRUE(ring.has_value()) << ring.error().message;
  EXPECT_EQ((*ring)->current_key_id(), a.id());
  EXPECT_EQ((*ring)->key_ids(), (std::vector<std::string>{a.id(), b.id()}));
  auto bad = KeyringFromText(a.ToBase64() + "\nnope\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(KeyringFromText("# only a comment\n").has_value());
}

TEST(LoadKeyring, MissingConfigurationNamesTheVariables) {
  auto ring = LoadKeyring({});
  ASSERT_FALSE(ring.has_value());
  EXPECT_NE(ring.error().message.find("CALLGATE_MASTER_KEY_FILE"), std::string::npos);
}

TEST(LoadKeyring, ReadsTheFileOrTheText) {
  const std::string path = TempPath("load");
  auto id = WriteNewKeyFile(path);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto from_file = LoadKeyring(FromFile(path));
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  EXPECT_EQ((*from_file)->current_key_id(), *id);

  const MasterKey key = MasterKey::Generate();
  auto from_text = LoadKeyring(FromText(key.ToBase64()));
  ASSERT_TRUE(from_text.has_value());
  EXPECT_EQ((*from_text)->current_key_id(), key.id());

  auto missing = LoadKeyring(FromFile(path + ".missing"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);
  auto bad_text = LoadKeyring(FromText("AAAA"));
  ASSERT_FALSE(bad_text.has_value());
  EXPECT_NE(bad_text.error().message.find("CALLGATE_MASTER_KEY:"), std::string::npos);
}

TEST(WriteNewKeyFile, CreatesAPrivateFileAndNeverOverwrites) {
  const std::string path = TempPath("write");
  ASSERT_TRUE(WriteNewKeyFile(path).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().size(), 45u);  // 44 base64 characters and a newline
  EXPECT_TRUE(MasterKey::FromBase64(text.str()).has_value());
  auto again = WriteNewKeyFile(path);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST(AddKeyToFile, PrependsANewCurrentKeyAndKeepsTheOldOne) {
  const std::string path = TempPath("add");
  auto old_id = WriteNewKeyFile(path);
  ASSERT_TRUE(old_id.has_value());
  auto new_id = AddKeyToFile(path);
  ASSERT_TRUE(new_id.has_value()) << new_id.error().message;
  auto ring = LoadKeyring(FromFile(path));
  ASSERT_TRUE(ring.has_value());
  EXPECT_EQ((*ring)->key_ids(), (std::vector<std::string>{*new_id, *old_id}));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(TestKeyring, IsStableAcrossCalls) {
  EXPECT_EQ(testing::TestKeyring()->current_key_id(), testing::TestKeyring()->current_key_id());
}

}  // namespace
}  // namespace callgate::crypto
