// Bit rot: damaged bytes at rest. After a cycle's writer is dead, flip one to three seeded bits
// of one seeded byte among the durable (synced) bytes of one seeded store file, inside a chosen
// region of it, so that a judge can open the store and say whether RocksDB noticed. Only the
// damage is done here; what RocksDB must make of it is the judge's business.
//
// Every choice derives from the seed and the store's contents (names sorted): the same seed on
// two copies of one store flips the same bits. Regions are found with RocksDB's public API where
// it has one (SST block boundaries come from rocksdb::SstFileReader: its table properties and
// the blocks its checksum verification reads), and from the documented file formats otherwise
// (the SST footer and metaindex block, the log format through faults/wal_records.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "src/status.h"

namespace powercut::faults {

enum class RotTarget : uint8_t {
  kSstData,         // "sst-data": a data block of a *.sst, bytes [0, data_size)
  kSstMeta,         // "sst-meta": index, filter, properties, metaindex block or footer of a *.sst
  kWalRecord,       // "wal-record": the payload of one logical record of a *.log
  kManifestRecord,  // "manifest-record": the payload of one record of the MANIFEST CURRENT names
  kOptions,         // "options": an option line of the latest OPTIONS-* file with durable bytes
  kCurrent,         // "current": CURRENT
};
inline constexpr int kRotTargetCount = 6;

// "sst-data" | "sst-meta" | "wal-record" | "manifest-record" | "options" | "current"; BadInput
// naming the value and the choices otherwise.
Status ParseRotTarget(const std::string& text, RotTarget* target);
const char* RotTargetName(RotTarget target);

struct RotResult {
  bool applied = false;  // false: the store has no file of that kind with bytes to damage
  std::string file;      // relative to the store directory
  uint64_t offset = 0;   // the byte flipped
  uint8_t mask = 0;      // the bits flipped (xor), one to three of them
  uint8_t before = 0;    // the byte's value before the flip
  // e.g. "data block 3 (bytes 8121..12170) of 000012.sst", "footer (bytes 355873..355926) of
  // 000012.sst", "WAL record 17 (bytes 4096..4200) of 000011.log", "line 144 (bytes
  // 5019..5053) of OPTIONS-000007", "bytes 0..16 of CURRENT". A WAL written with
  // wal_compression counts the record naming its compression type as record 0.
  std::string region;
  // The damaged unit, 0-based, and its bytes [record_begin, record_end) in the file: the
  // logical record (headers included) of a WAL or MANIFEST; the block (trailer included) of an
  // SST, its number among the data blocks for sst-data and 0 for sst-meta; the line of an
  // OPTIONS file; all of CURRENT.
  uint64_t record_index = 0, record_begin = 0, record_end = 0;
};

// Flips 1 to 3 seeded bits of one seeded byte inside `target`'s region of one seeded file of the
// store at `db_dir`, among the bytes below `durable_bytes(file)` (each file's durable length, by
// name relative to `db_dir`; files it gives 0 for are skipped). The byte is one whose damage
// means something: never padding (WAL block trailers, the footer's unused bytes), headers or
// comments. Writes in place with pwrite and fsync. A store with no such byte is not an error:
// `result->applied` stays false. IoError when a file cannot be read or written.
Status ApplyBitrot(const std::string& db_dir, RotTarget target, uint64_t seed,
                   const std::function<uint64_t(const std::string& rel_name)>& durable_bytes,
                   RotResult* result);

}  // namespace powercut::faults
