#include "faults/carried_durability.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "faults/in_doubt.h"
#include "faults/ledger.h"
#include "faults/replay.h"
#include "src/atomic_file.h"

namespace powercut::faults {
namespace {

constexpr int kStateVersion = 1;

std::string Normalized(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) abs = path;
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string Join(const std::string& dir, const std::string& name) {
  if (name.empty()) return dir;
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// A name that stays inside the state file's directory.
bool SafeRelative(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  const std::string wrapped = "/" + name + "/";
  return wrapped.find("/../") == std::string::npos && wrapped.find("/./") == std::string::npos &&
         wrapped.find("//") == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

Status CarriedAfterLedger(const std::string& ledger_dir, const std::string& db_dir,
                          const std::string& state_dir, CarriedDurability* carried) {
  *carried = CarriedDurability();
  std::vector<LedgerRecord> records;
  Status s = ReadLedger(ledger_dir, &records);
  if (!s.ok()) return s;
  const std::string ledger_path = LedgerFilePath(ledger_dir);
  std::string base;
  s = LedgerBase(records, db_dir, ledger_path, &base);
  if (!s.ok()) return s;
  DropUnmadeCall(base, ledger_dir, &records);  // as the cut does: the disk decides
  Replay replay;
  s = ReplayLedger(records, ledger_path, &replay);
  if (!s.ok()) return s;

  std::set<uint32_t> durably_named;  // inodes some durable name points to
  for (const auto& [name, id] : replay.names) {
    if (id != 0) durably_named.insert(id);
  }
  const std::string dir = Normalized(state_dir);
  for (const auto& [name, id] : replay.live_names) {
    const std::string abs = Join(base, name);
    if (abs.compare(0, dir.size() + 1, dir + "/") != 0) {
      return Status::BadInput("carried durability: " + abs + " lies outside " + dir);
    }
    struct stat st;
    if (::lstat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // no file to carry
    const uint64_t disk_bytes = static_cast<uint64_t>(st.st_size);
    // A pending truncation left the disk shorter than the durable length: the cut made
    // from here on can only keep what is there (the truncation reached the disk).
    const uint64_t durable = std::min(replay.inodes.at(id).durable, disk_bytes);
    auto entry = replay.names.find(name);
    const bool name_held = entry != replay.names.end() && entry->second != 0;
    const bool entry_durable = durably_named.count(id) != 0 || name_held;
    if (durable == disk_bytes && entry_durable) continue;  // wholly durable: nothing to carry
    carried->files.push_back({abs.substr(dir.size() + 1), durable, entry_durable});
  }
  std::sort(carried->files.begin(), carried->files.end(),
            [](const CarriedFile& a, const CarriedFile& b) { return a.name < b.name; });
  return Status::Ok();
}

Status SaveCarriedDurability(const std::string& path, const CarriedDurability& carried) {
  nlohmann::json files = nlohmann::json::array();
  for (const CarriedFile& f : carried.files) {
    files.push_back(
        {{"name", f.name}, {"durable_bytes", f.durable_bytes}, {"entry_durable", f.entry_durable}});
  }
  const nlohmann::json doc = {{"version", kStateVersion}, {"files", files}};
  return WriteFileAtomically(path, doc.dump(1) + "\n");
}

Status LoadCarriedDurability(const std::string& path, CarriedDurability* carried) {
  *carried = CarriedDurability();
  std::string text;
  Status s = ReadWholeFile(path, &text);
  if (!s.ok()) return s;
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("carried durability " + path + ": " + why);
  };
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return corrupt("not a JSON object");
  if (doc.value("version", 0) != kStateVersion) return corrupt("unsupported version");
  if (!doc.contains("files") || !doc["files"].is_array()) return corrupt("no file list");
  std::set<std::string> seen;
  for (const nlohmann::json& f : doc["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
        !f.contains("durable_bytes") || !f["durable_bytes"].is_number_unsigned() ||
        !f.contains("entry_durable") || !f["entry_durable"].is_boolean()) {
      return corrupt("bad file entry " + f.dump());
    }
    CarriedFile file{f["name"].get<std::string>(), f["durable_bytes"].get<uint64_t>(),
                     f["entry_durable"].get<bool>()};
    if (!SafeRelative(file.name)) return corrupt("bad name '" + file.name + "'");
    if (!seen.insert(file.name).second) return corrupt("'" + file.name + "' twice");
    carried->files.push_back(std::move(file));
  }
  return Status::Ok();
}

}  // namespace powercut::faults
