#include "harness/check/options.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "src/store_config.h"
#include "workloads/spec.h"

namespace powercut::harness {

const std::vector<OptionChoice>& DurabilityOptions() {
  static const std::vector<OptionChoice> kOptions = {
      {"disableWAL", {"true"}},
      {"sync", {"true"}},
      {"manual_wal_flush", {"true"}},
      {"write_buffer_size", {"4194304", "1048576", "65536"}},  // default 64 MiB
      {"max_write_buffer_number", {"3", "6"}},                 // default 2
      {"recycle_log_file_num", {"1", "4"}},
      {"wal_recovery_mode",
       {"kTolerateCorruptedTailRecords", "kAbsoluteConsistency", "kSkipAnyCorruptedRecords"}},
      {"avoid_flush_during_recovery", {"true"}},
      {"atomic_flush", {"true"}},
      {"unordered_write", {"true"}},
      {"two_write_queues", {"true"}},
      {"enable_pipelined_write", {"true"}},
      {"bytes_per_sync", {"1048576", "65536"}},
      {"wal_bytes_per_sync", {"1048576", "65536"}},
      {"wal_compression", {"kZSTD"}},  // the only WAL compression 7.8 supports
      {"track_and_verify_wals_in_manifest", {"true"}},
      {"max_manifest_file_size", {"65536", "4096"}},  // small: the MANIFEST rolls over often
      {"max_total_wal_size", {"1048576", "65536"}},   // small: WAL size forces flushes
      {"compression", {"kNoCompression", "kLZ4Compression", "kZSTD"}},  // default Snappy
      {"use_direct_io_for_flush_and_compaction", {"true"}},
      // The error handling of issue 14: what RocksDB checks, and how it resumes by itself.
      {"paranoid_checks", {"false"}},                 // default true
      {"max_bgerror_resume_count", {"0", "2"}},       // default INT_MAX; 0: no auto-resume
      {"bgerror_resume_retry_interval", {"100000"}},  // default 1 s, in microseconds
  };
  return kOptions;
}

namespace {

// The value in force for `name`: the case's own, else a forced one, else "".
std::string Value(const CheckCase& c, const std::vector<std::string>& forced,
                  const std::string& name) {
  for (const auto& [n, v] : c.options) {
    if (n == name) return v;
  }
  for (const std::string& f : forced) {
    if (f.rfind(name + "=", 0) == 0) return f.substr(name.size() + 1);
  }
  return "";
}

bool On(const std::string& v) { return v == "true" || v == "1"; }

// What run's WorkloadSpec::FitsStore would refuse in this case, or "".
std::string WorkloadMisfit(const CheckCase& c, const std::vector<std::string>& forced) {
  workloads::WorkloadSpec spec;
  if (!workloads::ProfileSpec(c.profile, &spec).ok()) return "unknown profile " + c.profile;
  spec.key_count = c.keys;
  if (!c.txn.empty()) spec.txn = c.txn;
  if (c.threads > 0) spec.threads = c.threads;  // a shrunk key space may no longer fit them
  if (Status v = spec.Validate(); !v.ok()) return v.message();
  StoreConfig store;
  for (const std::string& f : forced) store.Add(f);
  for (const auto& [name, value] : c.options) store.Add(name + "=" + value);
  const Status fits = spec.FitsStore(store);
  return fits.ok() ? "" : fits.message();
}

}  // namespace

std::string Incompatibility(const CheckCase& c, const std::vector<std::string>& forced,
                            const FilterContext& ctx) {
  auto value = [&](const std::string& name) { return Value(c, forced, name); };
  const bool pipelined = On(value("enable_pipelined_write"));
  // Each of these would show up as a finding (a failed open is discarded, but a failed
  // write is an `unrecoverable` verdict), yet it is RocksDB refusing the configuration.
  if (On(value("sync")) && On(value("disableWAL")))
    return "sync=true with disableWAL=true: RocksDB fails every write (sync needs the WAL)";
  if (pipelined && On(value("unordered_write")))
    return "unordered_write with enable_pipelined_write: RocksDB refuses to open";
  if (pipelined && On(value("atomic_flush")))
    return "atomic_flush with enable_pipelined_write: RocksDB refuses to open";
  // A write never returns (upstream facebook/rocksdb#15097): the case could only wait out
  // its fault, never judge a write, and would spend the budget for nothing.
  if (On(value("unordered_write")) && On(value("manual_wal_flush")) &&
      !On(value("two_write_queues")))
    return "unordered_write with manual_wal_flush: the first write deadlocks (RocksDB #15097)";
  if (pipelined && On(value("two_write_queues")))
    return "two_write_queues with enable_pipelined_write: RocksDB fails every write";
  const std::string recycle = value("recycle_log_file_num");
  const std::string mode = value("wal_recovery_mode");
  // RocksDB 7.8 silently sets recycle_log_file_num to 0 under any other recovery mode: the
  // case would claim to test recycling and not do it.
  if (!recycle.empty() && recycle != "0" && mode != "kSkipAnyCorruptedRecords")
    return "recycle_log_file_num without wal_recovery_mode=kSkipAnyCorruptedRecords: RocksDB "
           "7.8 turns recycling off";
  // These modes promise something else than point-in-time recovery after a torn WAL tail
  // (refuse to open; skip a record and keep later ones): documented, not a finding. A
  // process crash tears a record too (a batch larger than the WAL writer's buffer, or a
  // manual_wal_flush buffer, reaches the file in pieces), and kAbsoluteConsistency
  // documents refusing to open on an incomplete trailing record.
  if (c.CutsPower() && (mode == "kAbsoluteConsistency" || mode == "kSkipAnyCorruptedRecords"))
    return "wal_recovery_mode=" + mode + " with power cuts: not point-in-time recovery";
  // kTolerateCorruptedTailRecords documents refusing to open on a corruption that is not an
  // incomplete last record; pages written back out of order leave exactly that.
  if (c.CutsPower() && c.cut == "reorder" && mode == "kTolerateCorruptedTailRecords")
    return "wal_recovery_mode=kTolerateCorruptedTailRecords with --cut reorder: RocksDB documents "
           "refusing a corruption before the last record";
  if (mode == "kAbsoluteConsistency")
    return "wal_recovery_mode=kAbsoluteConsistency: RocksDB documents refusing to open after a "
           "crash that leaves an incomplete trailing WAL record";
  // Families without a WAL, options a TransactionDB refuses: run says so as bad input.
  if (std::string why = WorkloadMisfit(c, forced); !why.empty()) return why;
  if (On(value("use_direct_io_for_flush_and_compaction")) && !ctx.direct_io)
    return "use_direct_io_for_flush_and_compaction: the work directory refuses O_DIRECT";
  return "";
}

bool SupportsDirectIo(const std::string& dir) {
  const std::string probe =
      (std::filesystem::path(dir) / (".powercut-direct." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

}  // namespace powercut::harness
