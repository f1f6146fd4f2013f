// Aggregation for report.html's figures: a figure of a 100,000-cycle run draws bins, never
// one element per cycle, so the page stays small and fast whatever the run's length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace powercut::reports {

struct Histogram {
  double lo = 0;  // left edge of the first bin
  double hi = 0;  // right edge of the last bin (lo == hi: every value equal)
  std::vector<uint64_t> counts;
};

// `bins` equal-width bins over [min, max] of `values`; empty counts for no values. A value
// equal to max falls into the last bin.
Histogram MakeHistogram(const std::vector<double>& values, size_t bins);

// `values` in their order, cut into at most `buckets` consecutive runs of (nearly) equal
// length, each replaced by its mean: the shape of a series in a bounded number of points.
std::vector<double> BucketMeans(const std::vector<double>& values, size_t buckets);

}  // namespace powercut::reports
