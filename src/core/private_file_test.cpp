// PrivateFile: mode 0600 from the start, nothing under the name before it is complete, an
// existing file never replaced unless asked, nothing left behind by a failed or abandoned write.
#include "core/private_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace callgate {
namespace {

namespace fs = std::filesystem;

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("callgate-private-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static fs::perms Mode(const std::string& path) {
    return fs::status(path).permissions() & fs::perms::all;
  }

  fs::path dir_;
};

constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

TEST_F(PrivateFileTest, IsOwnerOnlyFromTheStartAndNamedOnlyWhenPublished) {
  const std::string path = Path("export.json");
  const mode_t old_umask = ::umask(0);  // even a umask that would allow everything
  PrivateFile file(path, PrivateFile::Existing::kRefuse);
  ASSERT_TRUE(file.Create().has_value());
  ::umask(old_umask);
  EXPECT_EQ(Mode(file.partial_path()), kOwnerOnly);
  EXPECT_FALSE(fs::exists(path));
  // More than the internal buffer holds, in pieces of both kinds.
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    if (i % 2 == 0) {
      file.stream() << line;
    } else {
      file.Write(line);
    }
    expected += line;
  }
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(file.Publish().has_value());
  EXPECT_EQ(Read(path), expected);
  EXPECT_EQ(Mode(path), kOwnerOnly);
  EXPECT_FALSE(fs::exists(file.partial_path()));
}

TEST_F(PrivateFileTest, AnExistingFileIsNeverReplacedWhenRefused) {
  const std::string path = Path("export.json");
  std::ofstream(path) << "earlier";
  {
    PrivateFile file(path, PrivateFile::Existing::kRefuse);
    auto made = file.Create();
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, ErrorCode::kAlreadyExists);
    EXPECT_NE(made.error().message.find(path), std::string::npos) << made.error().message;
  }
  fs::remove(path);
  {
    // The name appears while the file is written: publishing refuses it and keeps it.
    PrivateFile file(path, PrivateFile::Existing::kRefuse);
    ASSERT_TRUE(file.Create().has_value());
    file.Write("mine");
    std::ofstream(path) << "theirs";
    auto published = file.Publish();
    ASSERT_FALSE(published.has_value());
    EXPECT_EQ(published.error().code, ErrorCode::kAlreadyExists);
  }
  EXPECT_EQ(Read(path), "theirs");
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(PrivateFileTest, ReplacingSwapsTheWholeFile) {
  const std::string path = Path("master.key");
  std::ofstream(path) << "old key\n";
  fs::permissions(path, kOwnerOnly);
  PrivateFile file(path, PrivateFile::Existing::kReplace);
  ASSERT_TRUE(file.Create().has_value());
  file.Write("new key\nold key\n");
  EXPECT_EQ(Read(path), "old key\n");
  ASSERT_TRUE(file.Publish().has_value());
  EXPECT_EQ(Read(path), "new key\nold key\n");
  EXPECT_EQ(Mode(path), kOwnerOnly);
  EXPECT_FALSE(fs::exists(file.partial_path()));
}

TEST_F(PrivateFileTest, AnAbandonedWriteLeavesNothing) {
  const std::string path = Path("export.json");
  {
    PrivateFile file(path, PrivateFile::Existing::kRefuse);
    ASSERT_TRUE(file.Create().has_value());
    file.Write("half of it");
    EXPECT_TRUE(fs::exists(file.partial_path()));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(PrivateFileTest, AStalePartialFileOrALinkInItsPlaceIsRefusedAndLeftAlone) {
  const std::string path = Path("export.json");
  std::ofstream(path + ".partial") << "stopped run";
  {
    PrivateFile file(path, PrivateFile::Existing::kRefuse);
    auto made = file.Create();
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, ErrorCode::kConflict);
    EXPECT_NE(made.error().message.find(".partial"), std::string::npos);
  }
  EXPECT_EQ(Read(path + ".partial"), "stopped run");
  fs::remove(path + ".partial");

  // A symbolic link planted under the partial name is not followed: its target stays as it was.
  const std::string target = Path("elsewhere");
  std::ofstream(target) << "not yours";
  fs::create_symlink(target, path + ".partial");
  {
    PrivateFile file(path, PrivateFile::Existing::kReplace);
    auto made = file.Create();
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(Read(target), "not yours");
  EXPECT_TRUE(fs::is_symlink(path + ".partial"));
}

TEST_F(PrivateFileTest, AFolderThatCannotHoldItIsAnErrorNamingThePath) {
  const std::string path = Path("missing-folder/export.json");
  PrivateFile file(path, PrivateFile::Existing::kRefuse);
  auto made = file.Create();
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(made.error().message.find("missing-folder/export.json.partial"), std::string::npos);
  // Nothing was opened: publishing is refused, not attempted.
  EXPECT_FALSE(file.Publish().has_value());
}

}  // namespace
}  // namespace callgate
