#include "src/oracle.h"

#include <cassert>
#include <cstring>

#include "src/atomic_file.h"
#include "src/hash.h"

namespace powercut {
namespace {

constexpr uint64_t kMagic = 0x31454c43524f4350ULL;  // "PCORCLE1"
struct Header {
  uint64_t magic;
  uint64_t index;
  uint64_t key_count;
  uint64_t checksum;  // over the slots
};

}  // namespace

void Oracle::Apply(const Op& op) {
  assert(op.index == index_ + 1);
  for (const Write& w : op.writes) {
    ForEachKeyWritten(w, [&](uint32_t k) {
      assert(k < slots_.size());
      slots_[k] = Next(slots_[k], w, op.index);
    });
  }
  index_ = op.index;
}

void Oracle::AdvanceTo(uint64_t target, const OpSource& ops) {
  assert(target >= index_);
  while (index_ < target) Apply(ops.Get(index_ + 1));
}

Status Oracle::Save(const std::string& path) const {
  std::string out(sizeof(Header) + slots_.size() * sizeof(Slot), '\0');
  std::memcpy(out.data() + sizeof(Header), slots_.data(), slots_.size() * sizeof(Slot));
  Header h{kMagic, index_, slots_.size(),
           HashBytes(out.data() + sizeof(Header), out.size() - sizeof(Header), kMagic)};
  std::memcpy(out.data(), &h, sizeof(h));
  return WriteFileAtomically(path, out);
}

Status Oracle::Load(const std::string& path, Oracle* oracle) {
  std::string in;
  Status s = ReadWholeFile(path, &in);
  if (!s.ok()) return s;
  Header h;
  if (in.size() < sizeof(h)) return Status::Corruption(path + ": oracle snapshot too short");
  std::memcpy(&h, in.data(), sizeof(h));
  if (h.magic != kMagic) return Status::Corruption(path + ": not an oracle snapshot");
  if (h.key_count > (in.size() - sizeof(h)) / sizeof(Slot) ||
      in.size() != sizeof(h) + h.key_count * sizeof(Slot)) {
    return Status::Corruption(path + ": oracle snapshot size disagrees with its key count");
  }
  if (HashBytes(in.data() + sizeof(h), in.size() - sizeof(h), kMagic) != h.checksum) {
    return Status::Corruption(path + ": oracle snapshot checksum mismatch");
  }
  oracle->slots_.resize(h.key_count);
  std::memcpy(oracle->slots_.data(), in.data() + sizeof(h), h.key_count * sizeof(Slot));
  oracle->index_ = h.index;
  return Status::Ok();
}

}  // namespace powercut
