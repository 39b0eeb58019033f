#include "storage/sqlite_wal_writes.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace callgate::storage {
namespace {

constexpr int kWalHeaderBytes = 32;    // the log's own header, at offset 0
constexpr int kFrameHeaderBytes = 24;  // before every page
// A log write this large is not gathered (SQLite's pages are at most 64 KiB; this only bounds
// the buffer when a transaction spills many pages before its commit).
constexpr std::size_t kMaxGathered = std::size_t{8} << 20;
// The most the default VFS writes in one call: its unix write takes the byte count modulo
// 128 KiB (0x1ffff), so a larger write would be cut short.
constexpr std::size_t kMaxWrite = 0x1ffff;

constexpr int kStatementJournalInMemory = 4 << 20;

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs gathering_vfs;
std::atomic<std::uint64_t> requested_writes{0};
std::atomic<std::uint64_t> issued_writes{0};
std::atomic<std::uint64_t> statement_journal_files{0};

// A write-ahead log opened through this VFS. SQLite allocates szOsFile bytes for it: this
// header, then the default VFS's own file object.
struct LogFile {
  sqlite3_file base;  // base.pMethods = &kLogMethods
  sqlite3_file* real;
  unsigned char* data;  // gathered bytes, to be written at `offset`
  std::size_t size;
  std::size_t capacity;
  sqlite3_int64 offset;
  bool commit_page_next;  // the last write was the header of the frame that completes a commit
};

constexpr std::size_t kLogFileBytes = (sizeof(LogFile) + 7) & ~std::size_t{7};

LogFile* Log(sqlite3_file* file) { return reinterpret_cast<LogFile*>(file); }
const sqlite3_io_methods& Real(LogFile* log) { return *log->real->pMethods; }

// Writes what is gathered: one call, or one per kMaxWrite bytes.
int Flush(LogFile* log) {
  log->commit_page_next = false;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < log->size && rc == SQLITE_OK; done += kMaxWrite) {
    const std::size_t n = std::min(kMaxWrite, log->size - done);
    rc = Real(log).xWrite(log->real, log->data + done, static_cast<int>(n),
                          log->offset + static_cast<sqlite3_int64>(done));
    ++issued_writes;
  }
  log->size = 0;
  return rc;
}

bool IsCommitFrameHeader(const unsigned char* bytes, int amount, sqlite3_int64 offset) {
  // Bytes 4..7 of a frame header: the database size in pages after a commit, 0 otherwise.
  return amount == kFrameHeaderBytes && offset >= kWalHeaderBytes &&
         (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int LogWrite(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  LogFile* log = Log(file);
  ++requested_writes;
  const auto bytes = static_cast<const unsigned char*>(buffer);
  const auto n = static_cast<std::size_t>(amount);
  const bool completes_commit = log->commit_page_next;
  if (log->size > 0 && (offset != log->offset + static_cast<sqlite3_int64>(log->size) ||
                        log->size + n > kMaxGathered)) {
    if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  }
  if (n > kMaxGathered) {
    ++issued_writes;
    return Real(log).xWrite(log->real, buffer, amount, offset);
  }
  if (log->size + n > log->capacity) {
    std::size_t capacity = log->capacity == 0 ? std::size_t{64} << 10 : log->capacity;
    while (capacity < log->size + n) capacity *= 2;
    auto* grown = static_cast<unsigned char*>(std::realloc(log->data, capacity));
    if (grown == nullptr) {
      if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
      ++issued_writes;
      return Real(log).xWrite(log->real, buffer, amount, offset);
    }
    log->data = grown;
    log->capacity = capacity;
  }
  if (log->size == 0) log->offset = offset;
  std::memcpy(log->data + log->size, bytes, n);
  log->size += n;
  log->commit_page_next = IsCommitFrameHeader(bytes, amount, offset);
  // The page of the commit frame: the commit's frames go to the file now, and this write
  // reports whether they did.
  if (completes_commit) return Flush(log);
  return SQLITE_OK;
}

int LogClose(sqlite3_file* file) {
  LogFile* log = Log(file);
  const int flushed = Flush(log);
  const int closed = Real(log).xClose(log->real);
  std::free(log->data);
  log->data = nullptr;
  log->capacity = 0;
  return flushed != SQLITE_OK ? flushed : closed;
}

int LogRead(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xRead(log->real, buffer, amount, offset);
}

int LogTruncate(sqlite3_file* file, sqlite3_int64 size) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xTruncate(log->real, size);
}

int LogSync(sqlite3_file* file, int flags) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xSync(log->real, flags);
}

int LogFileSize(sqlite3_file* file, sqlite3_int64* size) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xFileSize(log->real, size);
}

int LogLock(sqlite3_file* file, int level) {
  LogFile* log = Log(file);
  return Real(log).xLock(log->real, level);
}

int LogUnlock(sqlite3_file* file, int level) {
  LogFile* log = Log(file);
  return Real(log).xUnlock(log->real, level);
}

int LogCheckReservedLock(sqlite3_file* file, int* out) {
  LogFile* log = Log(file);
  return Real(log).xCheckReservedLock(log->real, out);
}

int LogFileControl(sqlite3_file* file, int op, void* arg) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xFileControl(log->real, op, arg);
}

int LogSectorSize(sqlite3_file* file) {
  LogFile* log = Log(file);
  return Real(log).xSectorSize(log->real);
}

int LogDeviceCharacteristics(sqlite3_file* file) {
  LogFile* log = Log(file);
  return Real(log).xDeviceCharacteristics(log->real);
}

// Shared memory belongs to the database file, not the log; passed on for completeness.
int LogShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  LogFile* log = Log(file);
  return Real(log).xShmMap(log->real, region, size, extend, out);
}

int LogShmLock(sqlite3_file* file, int offset, int n, int flags) {
  LogFile* log = Log(file);
  return Real(log).xShmLock(log->real, offset, n, flags);
}

void LogShmBarrier(sqlite3_file* file) {
  LogFile* log = Log(file);
  Real(log).xShmBarrier(log->real);
}

int LogShmUnmap(sqlite3_file* file, int delete_flag) {
  LogFile* log = Log(file);
  return Real(log).xShmUnmap(log->real, delete_flag);
}

int LogFetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  LogFile* log = Log(file);
  if (const int rc = Flush(log); rc != SQLITE_OK) return rc;
  return Real(log).xFetch(log->real, offset, amount, out);
}

int LogUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  LogFile* log = Log(file);
  return Real(log).xUnfetch(log->real, offset, page);
}

const sqlite3_io_methods kLogMethods = {
    3,
    LogClose,
    LogRead,
    LogWrite,
    LogTruncate,
    LogSync,
    LogFileSize,
    LogLock,
    LogUnlock,
    LogCheckReservedLock,
    LogFileControl,
    LogSectorSize,
    LogDeviceCharacteristics,
    LogShmMap,
    LogShmLock,
    LogShmBarrier,
    LogShmUnmap,
    LogFetch,
    LogUnfetch,
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_SUBJOURNAL) != 0) ++statement_journal_files;
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Every other file is the default VFS's own object, at the start of the same memory: SQLite
    // then calls the default methods directly.
    return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
  }
  LogFile* log = Log(file);
  std::memset(log, 0, sizeof(LogFile));
  log->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kLogFileBytes);
  const int rc = real_vfs->xOpen(real_vfs, name, log->real, flags, out_flags);
  if (rc != SQLITE_OK || log->real->pMethods == nullptr) {
    log->base.pMethods = nullptr;  // nothing to close
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  log->base.pMethods = &kLogMethods;
  return SQLITE_OK;
}

// The rest of the VFS is the default one's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void DlError(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int Sleep(sqlite3_vfs*, int microseconds) { return real_vfs->xSleep(real_vfs, microseconds); }
int CurrentTime(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return real_vfs->xGetLastError(real_vfs, n, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
int SetSystemCall(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
  return real_vfs->xSetSystemCall(real_vfs, name, call);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xGetSystemCall(real_vfs, name);
}
const char* NextSystemCall(sqlite3_vfs*, const char* name) {
  return real_vfs->xNextSystemCall(real_vfs, name);
}

bool Install() {
  // Statement journals (a savepoint's copies of the pages it changes, e.g. a group commit's
  // savepoint per caller) stay in memory up to this size; past SQLite's default of 64 KiB a
  // connection's statement journal becomes a temporary file for good, two pwrite calls per page.
  // Only possible before SQLite is initialized; otherwise the default stays.
  (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalInMemory);
  if (sqlite3_initialize() != SQLITE_OK) return false;
  real_vfs = sqlite3_vfs_find(nullptr);
  if (real_vfs == nullptr || real_vfs->iVersion < 3) return false;
  gathering_vfs = sqlite3_vfs{};
  gathering_vfs.iVersion = 3;
  gathering_vfs.szOsFile = static_cast<int>(kLogFileBytes) + real_vfs->szOsFile;
  gathering_vfs.mxPathname = real_vfs->mxPathname;
  gathering_vfs.zName = "callgate-wal";
  gathering_vfs.xOpen = Open;
  gathering_vfs.xDelete = Delete;
  gathering_vfs.xAccess = Access;
  gathering_vfs.xFullPathname = FullPathname;
  gathering_vfs.xDlOpen = DlOpen;
  gathering_vfs.xDlError = DlError;
  gathering_vfs.xDlSym = DlSym;
  gathering_vfs.xDlClose = DlClose;
  gathering_vfs.xRandomness = Randomness;
  gathering_vfs.xSleep = Sleep;
  gathering_vfs.xCurrentTime = CurrentTime;
  gathering_vfs.xGetLastError = GetLastError;
  gathering_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  gathering_vfs.xSetSystemCall = SetSystemCall;
  gathering_vfs.xGetSystemCall = GetSystemCall;
  gathering_vfs.xNextSystemCall = NextSystemCall;
  return sqlite3_vfs_register(&gathering_vfs, /*makeDflt=*/1) == SQLITE_OK;
}

}  // namespace

bool InstallSqliteWalWrites() {
  static const bool installed = Install();
  return installed;
}

SqliteWalWriteCounts SqliteWalWritesSoFar() {
  return SqliteWalWriteCounts{requested_writes.load(), issued_writes.load(),
                              statement_journal_files.load()};
}

}  // namespace callgate::storage
