#include "core/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <streambuf>

namespace callgate {

namespace {

std::string Reason() { return std::strerror(errno); }

Status Exists(const std::string& path) {
  return Fail(ErrorCode::kAlreadyExists, path + " already exists; not overwriting it");
}

// Makes a new name in `path`'s folder durable (the file's own fsync does not cover its entry).
void SyncFolder(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string folder =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Overwrites `n` bytes at `p` in a way the compiler may not drop as a dead store.
void Wipe(char* p, std::size_t n) {
  volatile char* v = p;
  while (n-- > 0) *v++ = 0;
}

}  // namespace

// A std::streambuf writing to a file descriptor through a fixed buffer that is wiped whenever it
// has been written out. The first write error sticks: later writes are dropped and Publish
// reports it.
class PrivateFile::Buffer : public std::streambuf {
 public:
  explicit Buffer(int fd) : fd_(fd) { setp(bytes_.data(), bytes_.data() + bytes_.size()); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() override { Wipe(bytes_.data(), bytes_.size()); }

  // Writes out what is buffered; false once any write has failed.
  bool Drain() {
    const char* p = pbase();
    std::size_t left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    Wipe(bytes_.data(), bytes_.size());
    setp(bytes_.data(), bytes_.data() + bytes_.size());
    return error_ == 0;
  }

  int error() const noexcept { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  int fd_;
  int error_ = 0;
  std::array<char, 64 * 1024> bytes_{};
};

PrivateFile::PrivateFile(std::string path, Existing existing)
    : path_(std::move(path)), partial_(path_ + ".partial"), existing_(existing) {}

PrivateFile::~PrivateFile() {
  stream_.reset();
  buffer_.reset();
  if (fd_ >= 0) ::close(fd_);
  if (fd_ >= 0 && !published_) ::unlink(partial_.c_str());
}

Status PrivateFile::Create() {
  if (fd_ >= 0) return Fail(ErrorCode::kInternal, partial_ + " is already open");
  if (existing_ == Existing::kRefuse && ::access(path_.c_str(), F_OK) == 0) return Exists(path_);
  const int fd =
      ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Fail(ErrorCode::kConflict,
                  partial_ + " exists: another run is writing it, or one was stopped; remove it");
    }
    return Fail(ErrorCode::kUnavailable, "cannot create " + partial_ + ": " + Reason());
  }
  fd_ = fd;
  ::fchmod(fd_, 0600);  // the umask can only have removed bits; this states the intent
  buffer_ = std::make_unique<Buffer>(fd_);
  stream_ = std::make_unique<std::ostream>(buffer_.get());
  return Ok();
}

std::ostream& PrivateFile::stream() {
  if (!stream_) {
    // Before Create: a stream that drops everything, so the caller's Publish reports it.
    static thread_local std::ostream nowhere(nullptr);
    nowhere.setstate(std::ios::badbit);
    return nowhere;
  }
  return *stream_;
}

void PrivateFile::Write(std::string_view bytes) {
  stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Status PrivateFile::Publish() {
  if (fd_ < 0 || published_) return Fail(ErrorCode::kInternal, partial_ + " is not open");
  const bool drained = buffer_->Drain();
  if (!drained || !*stream_) {
    const int error = buffer_->error();
    return Fail(ErrorCode::kUnavailable,
                "writing " + partial_ + " failed" +
                    (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
  }
  if (::fsync(fd_) != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot sync " + partial_ + ": " + Reason());
  }
  if (existing_ == Existing::kRefuse) {
    if (::link(partial_.c_str(), path_.c_str()) != 0) {
      if (errno == EEXIST) return Exists(path_);
      return Fail(ErrorCode::kUnavailable, "cannot create " + path_ + ": " + Reason());
    }
    ::unlink(partial_.c_str());
  } else if (::rename(partial_.c_str(), path_.c_str()) != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot replace " + path_ + ": " + Reason());
  }
  published_ = true;
  SyncFolder(path_);
  return Ok();
}

}  // namespace callgate
