#include "harness/writer/info_log_fs.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include <rocksdb/env.h>

namespace powercut::harness {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

// RocksDB's info LOG as its own logger writes it (a timestamp, the thread, the line), through
// stdio whose write errors are ignored: a full disk loses lines, and says so once on stderr.
class TolerantLogger : public rocksdb::Logger {
 public:
  explicit TolerantLogger(std::FILE* file) : file_(file) {}
  ~TolerantLogger() override {
    if (file_ != nullptr) std::fclose(file_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[8192];
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    struct tm t;
    ::localtime_r(&now.tv_sec, &t);
    int n = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %lx ",
                          t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                          static_cast<long>(now.tv_usec), static_cast<unsigned long>(::gettid()));
    n += std::vsnprintf(line + n, sizeof(line) - static_cast<size_t>(n) - 1, format, ap);
    if (n > static_cast<int>(sizeof(line)) - 2) n = static_cast<int>(sizeof(line)) - 2;
    if (line[n - 1] != '\n') line[n++] = '\n';
    std::lock_guard<std::mutex> lock(mu_);
    if (std::fwrite(line, 1, static_cast<size_t>(n), file_) != static_cast<size_t>(n) ||
        std::fflush(file_) != 0) {
      Dropped();
    }
  }
  void Flush() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::fflush(file_) != 0) Dropped();
  }

 private:
  void Dropped() {
    if (told_) return;
    told_ = true;
    std::fprintf(stderr, "powercut-writer: info LOG write failed, lines dropped\n");
    std::clearerr(file_);
  }

  std::mutex mu_;
  std::FILE* file_;
  bool told_ = false;
};

class InfoLogTolerantFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit InfoLogTolerantFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  static const char* kClassName() { return "PowercutInfoLogTolerantFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewLogger(const std::string& fname, const IOOptions&,
                     std::shared_ptr<rocksdb::Logger>* result, IODebugContext*) override {
    std::FILE* file = std::fopen(fname.c_str(), "we");
    if (file == nullptr) return IOStatus::IOError("cannot create info log " + fname);
    *result = std::make_shared<TolerantLogger>(file);
    return IOStatus::OK();
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewInfoLogTolerantFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<InfoLogTolerantFileSystem>(std::move(base));
}

}  // namespace powercut::harness
