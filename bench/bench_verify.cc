// bench_verify: how long does the verifier take on a big store, and how much memory?
//
// It builds a real RocksDB store of N keys (default 1,000,000) the way a chain holds them —
// every value written by the real codec, the store flushed and compacted into SST — and then
// times, each in a fresh child process so that its peak memory is its own:
//   1. the scan: open the store, ScanStore into a StoreImage;
//   2. the verdict for hi − lo of 10, 10,000 and 1,000,000 ops: load the oracle at lo, open,
//      scan, Verify; every verdict is checked (PASS, recovered point = hi), and a FAIL control
//      checks that the same store is not passed against a prefix it is not;
//   3. the oracle's Save and Load at N keys.
// It prints one human line per figure and a final JSON object (also to --json PATH). Nothing
// about time is asserted; a wrong verdict exits 1, because timing a wrong answer is worthless.
//
// The op stream (BenchOps) is the `puts` profile with uniform keys, except that op i ≤ N puts
// key i − 1, so the state after op N holds every key. Ops N+1 … N+M (M = the largest hi − lo)
// rewrite random existing keys with new values; the store holds the state after op N+M, so
// for every span the verifier must walk all of (lo, hi] to find r = hi.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "src/atomic_file.h"
#include "src/key.h"
#include "src/op.h"
#include "src/oracle.h"
#include "src/store_config.h"
#include "src/store_scan.h"
#include "src/value_codec.h"
#include "src/verifier.h"
#include "workloads/generator.h"
#include "workloads/spec.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace powercut::bench {
namespace {

constexpr const char* kGoal = "1M-key verify under 2 s on 2 cores";
constexpr double kGoalSeconds = 2.0;
constexpr uint32_t kGoalKeys = 1'000'000;
constexpr const char* kMarker = "bench-store.json";

struct Args {
  uint32_t keys = 1'000'000;
  std::vector<uint64_t> spans = {10, 10'000, 1'000'000};
  uint64_t seed = 1;
  std::string dir;
  bool keep = false;
  std::string json_path;
  uint32_t batch_ops = 10'000;
  bool cold = false;
  uint32_t threads = 1;  // the op stream's writer threads (workloads/lanes.h)
};

// ---- small helpers -------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A failed check inside a child: say what, and end the child with status 1.
[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "bench_verify: CHECK FAILED: {}\n", what);
  std::fflush(stderr);
  _exit(1);
}
void Check(bool ok, const std::string& what) {
  if (!ok) Die(what);
}

std::string Count(uint64_t n) {  // 1234567 → "1,234,567"
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}
std::string Rate(double per_s) {
  if (per_s >= 1e6) return fmt::format("{:.2f}M", per_s / 1e6);
  if (per_s >= 1e3) return fmt::format("{:.1f}k", per_s / 1e3);
  return fmt::format("{:.0f}", per_s);
}
std::string MiB(uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

uint64_t PeakRssBytes() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux: KiB
}

uint64_t CurrentRssBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Resets the kernel's peak-RSS mark to the current RSS, so a later PeakRssBytes() is the peak
// of what ran in between. False where the kernel does not allow it.
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

unsigned Cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
  return std::thread::hardware_concurrency();
}

// Drops the page cache of every file of the store (clean pages only; no root needed).
void DropCache(const std::string& db_dir) {
  for (const auto& e : fs::directory_iterator(db_dir)) {
    if (!e.is_regular_file()) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// ---- the op stream -------------------------------------------------------------------------

// Op i ≤ keys puts key i − 1 (so the state after op `keys` holds every key); later ops are the
// `puts` profile's, keys uniform over the key space. A pure function of (seed, keys, i).
class BenchOps final : public OpSource {
 public:
  BenchOps(uint64_t seed, uint32_t keys, uint32_t threads)
      : keys_(keys), threads_(threads), gen_(seed, Spec(keys, threads)) {}
  uint32_t threads() const { return threads_; }

  // Op i ≤ N puts key i − 1 (consecutive ops, distinct keys: lanes.h's invariant holds).
  static workloads::WorkloadSpec Spec(uint32_t keys, uint32_t threads) {
    workloads::WorkloadSpec spec;
    Status s = workloads::ProfileSpec("puts", &spec);
    if (!s.ok()) Die(s.message());
    spec.key_count = keys;
    spec.key_skew = 0;  // uniform: touches the most distinct keys, the verifier's hard case
    spec.threads = threads;
    s = spec.Validate();
    if (!s.ok()) Die(s.message());
    return spec;
  }

  Op Get(uint64_t index) const override {
    Op op = gen_.Get(index);
    if (op.kind != OpKind::kPut || op.writes.size() != 1) Die("the puts profile gave a non-put op");
    if (index <= keys_) op.writes[0].key_id = static_cast<uint32_t>(index - 1);
    return op;
  }

  const workloads::WorkloadSpec& spec() const { return gen_.spec(); }

 private:
  uint64_t keys_;
  uint32_t threads_;
  workloads::OpGenerator gen_;
};

// ---- child processes -----------------------------------------------------------------------

// Runs fn in a forked child and returns the JSON it produced. The parent never touches
// RocksDB, so it has no threads and a bare fork is safe; each child's peak RSS is its own.
json InChild(const std::string& name, const std::function<json()>& fn) {
  std::fflush(stdout);
  std::fflush(stderr);
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      json j = fn();
      j["peak_rss_bytes"] = PeakRssBytes();
      out = j.dump();
    } catch (const std::exception& e) {
      Die(name + ": " + e.what());
    }
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) _exit(1);
      done += static_cast<size_t>(n);
    }
    std::fflush(stdout);
    _exit(0);
  }
  ::close(fds[1]);
  std::string in;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || in.empty()) {
    throw std::runtime_error(fmt::format("{} failed (child status {})", name, status));
  }
  return json::parse(in);
}

rocksdb::Options StoreOptions(bool create) {
  rocksdb::Options options;
  rocksdb::WriteOptions wo;
  const Status s = StoreConfig{}.ToRocksDB(&options, &wo);  // exactly as a chain opens its store
  if (!s.ok()) Die(s.message());
  options.create_if_missing = create;
  return options;
}

std::unique_ptr<rocksdb::DB> OpenStore(const std::string& db_dir, bool create) {
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status rs = rocksdb::DB::Open(StoreOptions(create), db_dir, &raw);
  if (!rs.ok()) Die("open " + db_dir + ": " + rs.ToString());
  return std::unique_ptr<rocksdb::DB>(raw);
}

void CloseStore(std::unique_ptr<rocksdb::DB> db) {
  const rocksdb::Status rs = db->Close();
  if (!rs.ok()) Die("close: " + rs.ToString());
}

// ---- phases --------------------------------------------------------------------------------

// Writes ops 1 … total into a fresh store, then Flush and CompactRange: all in SST, as a chain
// store stands after recovery and compaction.
json Load(const Args& a, const BenchOps& ops, uint64_t total, const std::string& db_dir) {
  auto db = OpenStore(db_dir, true);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // load speed; the Flush below makes it all durable
  const auto t0 = Clock::now();
  rocksdb::WriteBatch batch;
  for (uint64_t i = 1; i <= total; ++i) {
    const Op op = ops.Get(i);
    const Write& w = op.writes.front();
    batch.Put(KeyFor(w.key_id), EncodeValue(a.seed, w.key_id, i, w.value_bytes));
    if (batch.Count() >= a.batch_ops || i == total) {
      const rocksdb::Status rs = db->Write(wo, &batch);
      if (!rs.ok()) Die("write: " + rs.ToString());
      batch.Clear();
    }
  }
  const double write_s = Since(t0);
  auto t1 = Clock::now();
  rocksdb::FlushOptions fo;
  fo.wait = true;
  rocksdb::Status rs = db->Flush(fo);
  if (!rs.ok()) Die("flush: " + rs.ToString());
  const double flush_s = Since(t1);
  t1 = Clock::now();
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rs = db->CompactRange(cro, nullptr, nullptr);
  if (!rs.ok()) Die("compact: " + rs.ToString());
  const double compact_s = Since(t1);
  CloseStore(std::move(db));
  return {{"ops", total},
          {"write_seconds", write_s},
          {"flush_seconds", flush_s},
          {"compact_seconds", compact_s},
          {"seconds", Since(t0)}};
}

// The oracle at N keys: its size, Save and Load; then the oracles at every lo, saved for the
// verdict children to load as the real verifier does.
json PrepareOracles(const Args& a, const BenchOps& ops, const std::vector<uint64_t>& los,
                    uint64_t total, const std::string& dir) {
  Oracle oracle(a.keys);
  auto t0 = Clock::now();
  oracle.AdvanceTo(a.keys, ops);
  const double build_s = Since(t0);
  for (uint32_t k = 0; k < a.keys; ++k) Check(oracle.at(k).present(), "oracle at N misses a key");

  const std::string path = dir + "/oracle-n.bin";
  t0 = Clock::now();
  Status s = oracle.Save(path);
  const double save_s = Since(t0);
  Check(s.ok(), "oracle save: " + s.message());
  Oracle loaded;
  t0 = Clock::now();
  s = Oracle::Load(path, &loaded);
  const double load_s = Since(t0);
  Check(s.ok(), "oracle load: " + s.message());
  Check(loaded.index() == oracle.index() && loaded.key_count() == oracle.key_count(),
        "loaded oracle differs in index or key count");
  for (uint32_t k = 0; k < a.keys; ++k)
    Check(loaded.at(k) == oracle.at(k), "loaded oracle differs");
  const uint64_t file_bytes = fs::file_size(path);
  fs::remove(path);

  // The floor under Verify's per-op cost: regenerating ops N+1 … total.
  t0 = Clock::now();
  uint64_t sink = 0;
  for (uint64_t i = uint64_t{a.keys} + 1; i <= total; ++i) sink += ops.Get(i).writes.front().key_id;
  const double gen_s = Since(t0);
  Check(sink != ~uint64_t{0}, "unreachable");

  for (uint64_t lo : los) {  // ascending
    oracle.AdvanceTo(lo, ops);
    s = oracle.Save(fmt::format("{}/oracle-{}.bin", dir, lo));
    Check(s.ok(), "oracle save: " + s.message());
  }
  return {{"keys", a.keys},
          {"bytes", static_cast<uint64_t>(a.keys) * sizeof(Slot)},
          {"file_bytes", file_bytes},
          {"build_seconds", build_s},
          {"save_seconds", save_s},
          {"load_seconds", load_s},
          {"op_gen_ops", total - a.keys},
          {"op_gen_seconds", gen_s}};
}

uint64_t StoreImageBytes(const StoreImage& image) {
  uint64_t b = sizeof(image) + image.keys.capacity() * sizeof(Observed);
  for (const auto& s : image.foreign_samples) b += sizeof(s) + s.capacity();
  return b;
}

// (1) open + scan alone.
json Scan(const Args& a, const std::string& db_dir) {
  if (a.cold) DropCache(db_dir);
  auto t0 = Clock::now();
  auto db = OpenStore(db_dir, false);
  const double open_s = Since(t0);
  StoreImage image(a.keys);
  t0 = Clock::now();
  const Status s = ScanStore(db.get(), &image);
  const double scan_s = Since(t0);
  Check(s.ok(), "scan: " + s.message());
  uint64_t values = 0, corrupt = 0;
  for (const Observed& o : image.keys) {
    values += o.state == Observed::State::kValue;
    corrupt += o.state == Observed::State::kCorrupt;
  }
  Check(values == a.keys && corrupt == 0 && image.foreign_count == 0,
        fmt::format("scan found {} good values, {} corrupt, {} foreign; want {} good", values,
                    corrupt, image.foreign_count, a.keys));
  CloseStore(std::move(db));
  return {{"keys", values},
          {"open_seconds", open_s},
          {"scan_seconds", scan_s},
          {"keys_per_second", values / scan_s},
          {"store_image_bytes", StoreImageBytes(image)}};
}

// (2) one verdict as the verifier child computes it: oracle load, open, scan, Verify. The
// verdict must be `want_pass`, with recovered point `want_r` (and, for a FAIL, `want_class`).
json Verdict1(const Args& a, const BenchOps& ops, const std::string& dir, uint64_t lo, uint64_t hi,
              bool want_pass, uint64_t want_r, const std::string& want_class) {
  const std::string db_dir = dir + "/db";
  if (a.cold) DropCache(db_dir);
  const auto start = Clock::now();
  Oracle base;
  auto t0 = Clock::now();
  Status s = Oracle::Load(fmt::format("{}/oracle-{}.bin", dir, lo), &base);
  const double oracle_s = Since(t0);
  Check(s.ok(), "oracle load: " + s.message());
  Check(base.index() == lo && base.key_count() == a.keys, "oracle at the wrong point");
  t0 = Clock::now();
  auto db = OpenStore(db_dir, false);
  const double open_s = Since(t0);
  StoreImage image(a.keys);
  t0 = Clock::now();
  s = ScanStore(db.get(), &image);
  const double scan_s = Since(t0);
  Check(s.ok(), "scan: " + s.message());

  const uint64_t rss_before = CurrentRssBytes();
  const bool reset = ResetPeakRss();
  t0 = Clock::now();
  Concurrency concurrency;
  concurrency.threads = ops.threads();
  const Verdict v = Verify(image, base, lo, hi, ops, concurrency);
  const double verify_s = Since(t0);
  const double total_s = Since(start);
  const uint64_t verify_peak = PeakRssBytes();

  const std::string what = fmt::format("verdict lo {} hi {}: {}", lo, hi, v.ToJson().dump());
  Check(v.pass == want_pass, what + fmt::format(" — want {}", want_pass ? "PASS" : "FAIL"));
  Check(v.recovered == want_r, what + fmt::format(" — want recovered {}", want_r));
  Check(v.lo == lo && v.hi == hi, what + " — lo/hi not echoed");
  if (want_pass) {
    Check(v.mismatches == 0 && v.classes.empty(), what + " — PASS with mismatches");
  } else {
    Check(v.mismatches == 1 && v.classes.size() == 1 && v.classes.begin()->first == want_class &&
              v.classes.begin()->second == 1,
          what + fmt::format(" — want one {} key", want_class));
  }
  CloseStore(std::move(db));
  json j = {{"span", hi - lo},
            {"lo", lo},
            {"hi", hi},
            {"pass", v.pass},
            {"recovered", v.recovered},
            {"mismatches", v.mismatches},
            {"classes", v.classes},
            {"oracle_load_seconds", oracle_s},
            {"open_seconds", open_s},
            {"scan_seconds", scan_s},
            {"verify_seconds", verify_s},
            {"verdict_seconds", scan_s + verify_s},
            {"verdict_keys_per_second", a.keys / (scan_s + verify_s)},
            {"total_seconds", total_s},
            {"store_image_bytes", StoreImageBytes(image)},
            {"oracle_bytes", static_cast<uint64_t>(base.key_count()) * sizeof(Slot)}};
  j["verify_extra_peak_bytes"] =
      reset ? json(verify_peak > rss_before ? verify_peak - rss_before : 0) : json(nullptr);
  return j;
}

// ---- the store directory -------------------------------------------------------------------

json StoreId(const Args& a, uint64_t total, const workloads::WorkloadSpec& spec) {
  return {{"keys", a.keys}, {"ops", total}, {"seed", a.seed}, {"spec", spec.ToJson()}};
}

std::pair<uint64_t, uint64_t> StoreSize(const std::string& db_dir) {
  uint64_t bytes = 0, ssts = 0;
  for (const auto& e : fs::directory_iterator(db_dir)) {
    if (!e.is_regular_file()) continue;
    bytes += e.file_size();
    ssts += e.path().extension() == ".sst";
  }
  return {bytes, ssts};
}

// Checks that `dir` is empty or holds a bench store built for these flags (*reuse). Returns 0,
// or 2 after printing one line naming the problem.
int CheckWorkDir(const std::string& dir, const json& id, bool* reuse) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    fmt::print(stderr, "bench_verify: cannot create {}: {}\n", dir, ec.message());
    return 2;
  }
  *reuse = false;
  if (fs::exists(dir + "/" + kMarker)) {
    std::ifstream in(dir + "/" + kMarker);
    json prev = json::parse(in, nullptr, false);
    if (prev != id) {
      const bool known = prev.is_object() && prev.contains("keys") && prev.contains("ops");
      fmt::print(stderr,
                 "bench_verify: {} holds a bench store built for other flags ({}): rerun with "
                 "those flags, or use another --dir\n",
                 dir,
                 known ? fmt::format("--keys {} --seed {}, largest --spans {}",
                                     prev["keys"].get<uint64_t>(), prev.value("seed", 0ull),
                                     prev["ops"].get<uint64_t>() - prev["keys"].get<uint64_t>())
                       : "unreadable marker");
      return 2;
    }
    *reuse = true;
  } else if (!fs::is_empty(dir)) {
    fmt::print(stderr,
               "bench_verify: {} is not empty and holds no bench store: give an empty or "
               "new --dir\n",
               dir);
    return 2;
  }
  return 0;
}

// Builds the store (or says it is reused) and returns the load phase's figures.
json LoadPhase(const Args& a, const BenchOps& ops, uint64_t total, const std::string& dir,
               const json& id, bool reuse) {
  const std::string db_dir = dir + "/db";
  if (reuse) {
    fmt::print("load: reusing the store in {}\n", db_dir);
    return {{"reused", true}};
  }
  json load = InChild("load", [&] { return Load(a, ops, total, db_dir); });
  std::ofstream(dir + "/" + kMarker) << id.dump() << "\n";
  const auto [bytes, ssts] = StoreSize(db_dir);
  load["store_bytes"] = bytes;
  load["sst_files"] = ssts;
  fmt::print(
      "load: {} ops in {:.2f} s ({} ops/s), flush {:.2f} s, compact {:.2f} s; store {} "
      "in {} SST files; peak RSS {}\n",
      Count(total), load["write_seconds"].get<double>(),
      Rate(total / load["write_seconds"].get<double>()), load["flush_seconds"].get<double>(),
      load["compact_seconds"].get<double>(), MiB(bytes), ssts, MiB(load["peak_rss_bytes"]));
  return load;
}

json OraclePhase(const Args& a, const BenchOps& ops, const std::vector<uint64_t>& los,
                 uint64_t total, uint64_t m, const std::string& dir) {
  const json oracle = InChild("oracle", [&] { return PrepareOracles(a, ops, los, total, dir); });
  fmt::print(
      "oracle: {} keys = {} in memory, {} on disk; save {:.3f} s (fsync included), "
      "load {:.3f} s\n",
      Count(a.keys), MiB(oracle["bytes"]), MiB(oracle["file_bytes"]),
      oracle["save_seconds"].get<double>(), oracle["load_seconds"].get<double>());
  fmt::print(
      "ops: regenerating {} ops takes {:.3f} s ({} ops/s), the floor under Verify's "
      "per-op cost\n",
      Count(m), oracle["op_gen_seconds"].get<double>(),
      Rate(m / oracle["op_gen_seconds"].get<double>()));
  return oracle;
}

json ScanPhase(const Args& a, const std::string& dir) {
  const json scan = InChild("scan", [&] { return Scan(a, dir + "/db"); });
  fmt::print("scan: {} keys in {:.3f} s = {} keys/s (open {:.3f} s); StoreImage {}; peak RSS {}\n",
             Count(a.keys), scan["scan_seconds"].get<double>(),
             Rate(scan["keys_per_second"].get<double>()), scan["open_seconds"].get<double>(),
             MiB(scan["store_image_bytes"]), MiB(scan["peak_rss_bytes"]));
  return scan;
}

// The slowest verdict of the spans, for the goal line.
struct Worst {
  double verdict_seconds = 0;
  double total_seconds = 0;
  uint64_t span = 0;
};

json VerdictPhase(const Args& a, const BenchOps& ops, uint64_t total, const std::string& dir,
                  Worst* worst) {
  json verdicts = json::array();
  for (uint64_t span : a.spans) {
    const uint64_t lo = total - span;
    const json v = InChild(fmt::format("verdict hi-lo={}", span),
                           [&] { return Verdict1(a, ops, dir, lo, total, true, total, ""); });
    const auto extra = v["verify_extra_peak_bytes"];
    fmt::print(
        "verdict hi-lo={}: PASS r={} (checked); oracle load {:.3f} s, open {:.3f} s, scan "
        "{:.3f} s, verify {:.3f} s; verdict (scan+verify) {:.3f} s = {} keys/s; total "
        "{:.3f} s; peak RSS {} (StoreImage {}, oracle {}, Verify's own peak +{})\n",
        Count(span), Count(v["recovered"]), v["oracle_load_seconds"].get<double>(),
        v["open_seconds"].get<double>(), v["scan_seconds"].get<double>(),
        v["verify_seconds"].get<double>(), v["verdict_seconds"].get<double>(),
        Rate(v["verdict_keys_per_second"].get<double>()), v["total_seconds"].get<double>(),
        MiB(v["peak_rss_bytes"]), MiB(v["store_image_bytes"]), MiB(v["oracle_bytes"]),
        extra.is_null() ? "?" : MiB(extra));
    if (v["verdict_seconds"].get<double>() > worst->verdict_seconds) {
      worst->verdict_seconds = v["verdict_seconds"];
      worst->span = span;
    }
    worst->total_seconds = std::max(worst->total_seconds, v["total_seconds"].get<double>());
    verdicts.push_back(v);
  }
  return verdicts;
}

// FAIL control: the store holds op `total`, so against hi = total − 1 it must FAIL with one
// phantom key, closest to the smallest r after which only op total's key differs.
json FailControlPhase(const Args& a, const BenchOps& ops, uint64_t total, uint64_t fail_span,
                      const std::string& dir) {
  const uint64_t lo = total - fail_span, hi = total - 1;
  const uint32_t last_key = ops.Get(total).writes.front().key_id;
  uint64_t want_r = hi;
  while (want_r > lo && ops.Get(want_r).writes.front().key_id == last_key) --want_r;
  const json v = InChild("fail control",
                         [&] { return Verdict1(a, ops, dir, lo, hi, false, want_r, "phantom"); });
  fmt::print(
      "fail control hi-lo={} against a store one op ahead: FAIL, 1 phantom key, r={} "
      "(checked); verify {:.3f} s (classification walks every key); total {:.3f} s\n",
      Count(hi - lo), Count(v["recovered"]), v["verify_seconds"].get<double>(),
      v["total_seconds"].get<double>());
  return v;
}

json GoalJudgement(const Args& a, const Worst& worst) {
  const bool applicable = a.keys >= kGoalKeys;
  const bool met = applicable && worst.verdict_seconds < kGoalSeconds;
  if (!applicable) {
    fmt::print("goal: {}: not judged (store has {} keys, < 1M)\n", kGoal, Count(a.keys));
  } else {
    fmt::print(
        "goal: {}: {} (worst verdict, scan+verify, {:.3f} s at hi-lo={}; with oracle load "
        "and open {:.3f} s; {} cores here)\n",
        kGoal, met ? "MET" : "NOT MET", worst.verdict_seconds, Count(worst.span),
        worst.total_seconds, Cores());
  }
  return {{"text", kGoal},
          {"applicable", applicable},
          {"met", met},
          {"worst_verdict_seconds", worst.verdict_seconds},
          {"worst_verdict_span", worst.span},
          {"worst_total_seconds", worst.total_seconds},
          {"cores", Cores()}};
}

// The run, one phase a function: work directory, load, oracles, scan, verdicts, the FAIL
// control, the goal, the JSON.
int Run(const Args& a) {
  const uint64_t m = *std::max_element(a.spans.begin(), a.spans.end());
  const uint64_t total = a.keys + m;
  const BenchOps ops(a.seed, a.keys, a.threads);
  json out = {{"bench", "verify"},
              {"version", POWERCUT_VERSION},
              {"cores", Cores()},
              {"keys", a.keys},
              {"ops", total},
              {"seed", a.seed},
              {"workload", ops.spec().ToJson()},
              {"cold_cache", a.cold}};

  // The working directory: a fresh temp dir we remove, or the user's (kept).
  std::string dir = a.dir;
  bool remove_dir = false;
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "powercut-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      fmt::print(stderr, "bench_verify: cannot create a temp dir under {}: set TMPDIR or --dir\n",
                 fs::temp_directory_path().string());
      return 2;
    }
    dir = tmpl;
    remove_dir = !a.keep;
  }
  struct Cleanup {
    std::string dir;
    bool on;
    ~Cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(dir, ec);
    }
  } cleanup{dir, remove_dir};

  const json id = StoreId(a, total, ops.spec());
  bool reuse = false;
  if (const int code = CheckWorkDir(dir, id, &reuse); code != 0) return code;
  out["dir"] = dir;
  fmt::print(
      "bench_verify: {} keys + {} rewrite ops (puts profile, uniform keys, seed {}), {} "
      "cores, {} page cache; store in {}\n",
      Count(a.keys), Count(m), a.seed, Cores(), a.cold ? "cold" : "warm", dir);
  out["load"] = LoadPhase(a, ops, total, dir, id, reuse);

  // Oracles at every lo = total − span, plus the lo of the FAIL control.
  const uint64_t fail_span = std::min<uint64_t>(10, total - 1);
  std::vector<uint64_t> los;
  for (uint64_t span : a.spans) los.push_back(total - span);
  los.push_back(total - fail_span);
  std::sort(los.begin(), los.end());
  los.erase(std::unique(los.begin(), los.end()), los.end());
  out["oracle"] = OraclePhase(a, ops, los, total, m, dir);
  out["scan"] = ScanPhase(a, dir);
  Worst worst;
  out["verdicts"] = VerdictPhase(a, ops, total, dir, &worst);
  out["fail_control"] = FailControlPhase(a, ops, total, fail_span, dir);
  out["goal"] = GoalJudgement(a, worst);

  const std::string text = out.dump(2);
  fmt::print("{}\n", text);
  if (!a.json_path.empty()) {
    Status s = WriteFileAtomically(a.json_path, text + "\n");
    if (!s.ok()) {
      fmt::print(stderr, "bench_verify: cannot write {}: {}\n", a.json_path, s.message());
      return 2;
    }
  }
  std::error_code ec;
  for (uint64_t lo : los) fs::remove(fmt::format("{}/oracle-{}.bin", dir, lo), ec);
  if (!remove_dir && a.dir.empty()) fmt::print(stderr, "bench_verify: kept {}\n", dir);
  return 0;
}

}  // namespace
}  // namespace powercut::bench

int main(int argc, char** argv) {
  using powercut::bench::Args;
  Args a;
  CLI::App app{
      "Time the powercut verifier on a real RocksDB store of many keys: scan, verdict "
      "for several hi - lo, oracle save/load, peak memory. Prints figures and JSON."};
  app.add_option("--keys", a.keys, "keys in the store (all present)")
      ->capture_default_str()
      ->check(CLI::Range(1u, powercut::kMaxKeyCount));
  app.add_option("--spans", a.spans, "hi - lo of each timed verdict, in ops")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--seed", a.seed, "workload seed")->capture_default_str();
  app.add_option("--dir", a.dir,
                 "working directory (kept; a previous bench store in it is reused); default a "
                 "fresh temp dir, removed at the end")
      ->capture_default_str();
  app.add_flag("--keep", a.keep, "keep the temp dir (ignored with --dir, which is always kept)");
  app.add_option("--json", a.json_path, "also write the JSON result to this file");
  app.add_option("--batch-ops", a.batch_ops, "ops per WriteBatch while loading")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_flag("--cold", a.cold, "drop the store's page cache before each timed phase");
  app.add_option("--threads", a.threads,
                 "writer threads of the op stream: the verifier searches states of concurrent "
                 "ops (src/verifier.h Concurrency)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 16u));
  CLI11_PARSE(app, argc, argv);
  if (a.spans.empty()) {
    std::fprintf(stderr, "bench_verify: --spans is empty: give at least one hi - lo\n");
    return 2;
  }
  try {
    return powercut::bench::Run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_verify: %s\n", e.what());
    return 1;
  }
}
