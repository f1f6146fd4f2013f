#include "reports/bins.h"

#include <algorithm>

namespace powercut::reports {

Histogram MakeHistogram(const std::vector<double>& values, size_t bins) {
  Histogram h;
  if (values.empty() || bins == 0) return h;
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  h.lo = *min;
  h.hi = *max;
  h.counts.assign(h.lo == h.hi ? 1 : bins, 0);
  const double width = (h.hi - h.lo) / static_cast<double>(h.counts.size());
  for (double v : values) {
    size_t i = width > 0 ? static_cast<size_t>((v - h.lo) / width) : 0;
    ++h.counts[std::min(i, h.counts.size() - 1)];
  }
  return h;
}

std::vector<double> BucketMeans(const std::vector<double>& values, size_t buckets) {
  std::vector<double> out;
  if (values.empty() || buckets == 0) return out;
  const size_t n = std::min(buckets, values.size());
  out.reserve(n);
  for (size_t b = 0; b < n; ++b) {
    const size_t from = b * values.size() / n, to = (b + 1) * values.size() / n;
    double sum = 0;
    for (size_t i = from; i < to; ++i) sum += values[i];
    out.push_back(sum / static_cast<double>(to - from));
  }
  return out;
}

}  // namespace powercut::reports
