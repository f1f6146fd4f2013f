#include "reports/report_loader.h"

#include <filesystem>
#include <system_error>

#include "reports/report_writer.h"
#include "src/atomic_file.h"

namespace powercut::reports {

Status LoadReportJson(const std::string& path, nlohmann::json* doc) {
  std::error_code ec;
  // Checked first: opening a directory "succeeds" on Linux and would read as empty JSON.
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::BadInput(
        "cannot read report " + path +
        (std::filesystem::exists(path, ec) ? ": not a regular file" : ": no such file"));
  }
  std::string text;
  if (Status s = ReadWholeFile(path, &text); !s.ok()) {
    return Status::BadInput("cannot read report " + path + ": " + s.message());
  }
  try {
    *doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::BadInput("report " + path + " is not valid JSON (" + e.what() +
                            "); regenerate it or pass the report.json a run wrote");
  }
  return Status::Ok();
}

Status LoadReport(const std::string& path, RunResult* run) {
  nlohmann::json doc;
  if (Status s = LoadReportJson(path, &doc); !s.ok()) return s;
  if (Status s = FromJson(doc, run); !s.ok()) {
    return Status::BadInput(path + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace powercut::reports
