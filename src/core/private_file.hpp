#pragma once
// PrivateFile: a file only its owner may read (master key files, data exports), written so that
// no other user can ever open it and no reader ever finds half of it under its name.
//
//   PrivateFile file(path, PrivateFile::Existing::kRefuse);
//   if (auto made = file.Create(); !made) ...   // `<path>.partial`, mode 0600
//   file.stream() << ...;                         // or file.Write(bytes)
//   if (auto done = file.Publish(); !done) ...   // synced, then named `path`
//
// - `<path>.partial` is created with O_EXCL and O_NOFOLLOW and mode 0600 from the start
//   (whatever the umask): never readable by others, not even between open and chmod, and never
//   a file or link that was there before. An existing `.partial` (another run, or one that was
//   stopped) is refused with kConflict naming it.
// - Publish flushes, fsyncs and then gives the file its name: with kRefuse by a hard link,
//   which fails (kAlreadyExists) when `path` exists, so an existing file is never replaced even
//   if it appeared while this one was written; with kReplace by rename over it (a key file
//   gaining a key), so readers see the old file or the new one, never a mix.
// - Until Publish succeeds, the destructor removes the partial file: a failed or abandoned
//   write leaves nothing behind. The bytes written pass through a buffer of this object, which
//   is wiped when it is flushed and when the object is destroyed (key material).
//
// Failures are values; messages name the file, never its contents. Not thread-safe.

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callgate {

class PrivateFile {
 public:
  enum class Existing {
    kRefuse,   // `path` must not exist when created or published (kAlreadyExists)
    kReplace,  // `path` is replaced atomically when published
  };

  PrivateFile(std::string path, Existing existing);
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  ~PrivateFile();

  // Creates `<path>.partial`. kAlreadyExists when `path` exists and must not be replaced,
  // kConflict when the partial file exists, kUnavailable for other system errors.
  Status Create();

  // Where the contents go after Create (nothing is written before it). A write error shows at
  // Publish.
  std::ostream& stream();
  // Appends `bytes`; the same as writing them to stream().
  void Write(std::string_view bytes);

  // Flushes, syncs and names the file `path`; afterwards this object leaves the file in place.
  Status Publish();

  const std::string& path() const noexcept { return path_; }
  const std::string& partial_path() const noexcept { return partial_; }

 private:
  class Buffer;  // the stream's buffer over the file descriptor (private_file.cpp)

  std::string path_;
  std::string partial_;
  Existing existing_;
  int fd_ = -1;
  bool published_ = false;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
};

}  // namespace callgate
