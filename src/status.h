// Status: the result of an operation that can fail for a reason a user must read.
// Modelled on LevelDB's: cheap when OK, one line of text when not.
#pragma once

#include <string>
#include <utility>

namespace powercut {

class Status {
 public:
  enum class Code { kOk, kBadInput, kIoError, kCorruption, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status BadInput(std::string msg) { return Status(Code::kBadInput, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace powercut
