#include "reports/report_writer.h"

#include <filesystem>
#include <system_error>

#include "reports/prometheus.h"
#include "src/atomic_file.h"

namespace powercut::reports {

Status WriteReports(const RunResult& run, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create report directory " + dir + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::IoError("report directory " + dir + " is not a directory");
  }
  // Rendered before anything is written, so a rendering problem writes nothing at all.
  const std::string json =
      ToJson(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string text = ToText(run);
  const std::string html = ToHtml(run);
  const std::string junit = ToJunit(run);
  const std::string prom = ToPrometheus(run);
  const std::filesystem::path base(dir);
  // report.json goes last: it is what merge, gate and replay read, so once it is there the
  // human and CI views of the same run are there too.
  for (const auto& [name, content] :
       {std::pair<const char*, const std::string&>{"report.txt", text},
        {"report.html", html},
        {"junit.xml", junit},
        {"metrics.prom", prom},
        {"report.json", json}}) {
    if (Status s = WriteFileAtomically((base / name).string(), content); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace powercut::reports
