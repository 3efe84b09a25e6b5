#include "collectors/statsd/shard.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

namespace metricsd::statsd {

std::string_view SampleErrorLabel(std::size_t index) {
  if (index == kLineTooLong) return "line_too_long";
  return ReasonLabel(static_cast<SampleError>(index));
}

void ShardStats::Add(const ShardStats& o) {
  udp_packets += o.udp_packets;
  unixgram_packets += o.unixgram_packets;
  tcp_connections += o.tcp_connections;
  http_requests += o.http_requests;
  lines += o.lines;
  samples += o.samples;
  tags += o.tags;
  tag_errors += o.tag_errors;
  for (std::size_t i = 0; i < sample_errors.size(); ++i) sample_errors[i] += o.sample_errors[i];
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i] += o.events[i];
    events_conflict[i] += o.events_conflict[i];
  }
  events_unmapped += o.events_unmapped;
  events_dropped_by_mapping += o.events_dropped_by_mapping;
  events_empty_name += o.events_empty_name;
  events_negative_counter += o.events_negative_counter;
  series_dropped_max_series += o.series_dropped_max_series;
  series_dropped_max_bytes += o.series_dropped_max_bytes;
  for (std::size_t i = 0; i < events_label_errors.size(); ++i) events_label_errors[i] += o.events_label_errors[i];
  tcp_connections_rejected += o.tcp_connections_rejected;
  tcp_connections_idle_closed += o.tcp_connections_idle_closed;
  dogstatsd_events += o.dogstatsd_events;
  for (std::size_t i = 0; i < kEventErrorKinds; ++i) dogstatsd_event_errors[i] += o.dogstatsd_event_errors[i];
  dogstatsd_service_checks += o.dogstatsd_service_checks;
}

// Each window its own stream (splitmix64 of a process-wide counter), so windows filled alike
// do not keep the same samples.
static std::uint64_t NextStream() {
  static std::atomic<std::uint64_t> windows{0};
  return windows.fetch_add(1, std::memory_order_relaxed);
}

SummaryWindow::SummaryWindow(const SummaryOptions& options) : SummaryWindow(options, NextStream()) {}

SummaryWindow::SummaryWindow(const SummaryOptions& options, std::uint64_t stream)
    : span_ms_(std::max<std::int64_t>(1, options.max_age.count() / options.age_buckets)),
      capacity_(static_cast<std::size_t>(options.buf_cap)),
      buckets_(static_cast<std::size_t>(options.age_buckets)) {
  std::uint64_t z = stream * 0x9e3779b97f4a7c15ULL + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  random_ = (z ^ (z >> 31)) | 1;  // xorshift's state must not be 0
}

std::uint64_t SummaryWindow::Random() {
  // xorshift64: cheap, and only uniformity matters here.
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  return random_;
}

double SummaryWindow::Uniform() {
  return (static_cast<double>(Random() >> 11) + 0.5) * 0x1.0p-53;
}

SummaryWindow::Bucket& SummaryWindow::BucketAt(std::int64_t now_ms) {
  if (current_ != kNoBucket && now_ms >= epoch_start_ && now_ms - epoch_start_ < span_ms_) {
    return buckets_[current_];
  }
  std::int64_t epoch = Epoch(now_ms);
  std::size_t index = static_cast<std::size_t>(epoch) % buckets_.size();
  Bucket& bucket = buckets_[index];
  if (bucket.epoch != epoch) {
    bucket.epoch = epoch;
    bucket.seen = 0;
    bucket.next = 0;
    bucket.samples.clear();
  }
  epoch_start_ = epoch * span_ms_;
  current_ = index;
  return bucket;
}

std::uint64_t SummaryWindow::Gap(double w) {
  // Geometric in w (Algorithm L). A gap too large to count is never reached.
  double gap = std::floor(std::log(Uniform()) / std::log1p(-w));
  constexpr double kNever = 0x1.0p62;
  return static_cast<std::uint64_t>(std::min(std::max(gap, 0.0), kNever));
}

void SummaryWindow::StartAlgorithmL(Bucket& bucket) {
  // Algorithm R has kept a uniform k-subset of the n = seen - 1 observations before this one.
  // In Algorithm L's terms each observation has a uniform key, the reservoir holds the k
  // smallest, and w is the largest of those: the k-th smallest of n uniforms, Beta(k, n-k+1),
  // independent of which ones were kept. Drawn as X / (X + Y), X ~ Gamma(k), Y ~ Gamma(n-k+1).
  auto k = static_cast<double>(capacity_);
  auto n = static_cast<double>(bucket.seen - 1);
  Bits bits{this};
  double x = std::gamma_distribution<double>(k)(bits);
  double y = std::gamma_distribution<double>(n - k + 1)(bits);
  bucket.w = x / (x + y);
  bucket.next = bucket.seen + Gap(bucket.w);  // this observation is the first candidate
}

void SummaryWindow::Observe(double value, std::int64_t now_ms) {
  Bucket& bucket = BucketAt(now_ms);
  std::uint64_t seen = ++bucket.seen;
  if (bucket.samples.size() < capacity_) {
    bucket.samples.push_back(value);
    return;
  }
  if (capacity_ == 0) return;
  if (bucket.next == 0) {
    if (seen <= kYoung * capacity_) {  // below 2^32: buf_cap is at most 1,000,000
      // Algorithm R: a slot in [0, seen) by Lemire's multiply-shift, kept if it is in range.
      auto slot = ((Random() >> 32) * seen) >> 32;
      if (slot < capacity_) bucket.samples[slot] = value;
      return;
    }
    StartAlgorithmL(bucket);
  }
  if (seen < bucket.next) return;
  // Lemire's multiply-shift: a slot in [0, k) without a division.
  auto slot = static_cast<std::size_t>((Random() >> 32) * capacity_ >> 32);
  bucket.samples[slot] = value;
  // w shrinks as U^(1/k) per kept observation.
  bucket.w *= std::exp(std::log(Uniform()) / static_cast<double>(capacity_));
  bucket.next = seen + 1 + Gap(bucket.w);
}

void SummaryWindow::AppendLive(std::int64_t now_ms, std::vector<double>& out) const {
  std::int64_t oldest = Epoch(now_ms) - static_cast<std::int64_t>(buckets_.size()) + 1;
  for (const Bucket& bucket : buckets_) {
    if (bucket.epoch >= oldest) out.insert(out.end(), bucket.samples.begin(), bucket.samples.end());
  }
}

std::uint32_t Shard::Add(SeriesMeta* series) {
  Local local;
  local.series = series;
  std::uint32_t width = ShardWidth(*series);
  auto& free = free_slots_[width];
  if (width == 0) {
    local.offset = 0;
  } else if (!free.empty()) {
    local.offset = free.back();
    free.pop_back();
  } else {
    local.offset = static_cast<std::uint32_t>(slots_.size());
    slots_.resize(slots_.size() + width, 0.0);
  }
  if (series->shape().type == MetricType::kSummary) {
    const SummaryOptions& options = series->shape().options->summary;
    std::uint32_t at;
    if (free_windows_.empty()) {
      at = static_cast<std::uint32_t>(windows_.size());
      windows_.emplace_back(std::in_place, options);
    } else {
      at = free_windows_.back();
      free_windows_.pop_back();
      windows_[at].emplace(options);
    }
    slots_[local.offset + kWindowSlot] = at;
  }
  std::uint32_t index;
  if (free_locals_.empty()) {
    index = static_cast<std::uint32_t>(locals_.size());
    locals_.push_back(local);
  } else {
    index = free_locals_.back();
    free_locals_.pop_back();
    locals_[index] = local;
  }
  if (series->id >= local_of_id_.size()) local_of_id_.resize(series->id + 1, kNone);
  local_of_id_[series->id] = index;
  return index;
}

void Shard::Remove(const SeriesMeta& series) {
  std::int64_t found = Find(series);
  if (found < 0) return;
  auto index = static_cast<std::uint32_t>(found);
  Local& local = locals_[index];
  if (series.shape().type == MetricType::kSummary) {
    std::uint32_t at = WindowIndex(local);
    windows_[at].reset();
    free_windows_.push_back(at);
  }
  std::uint32_t width = ShardWidth(series);
  std::fill_n(slots_.begin() + local.offset, width, 0.0);
  if (width > 0) free_slots_[width].push_back(local.offset);
  local = Local{};
  free_locals_.push_back(index);
  local_of_id_[series.id] = kNone;
  ++removals_;
}

std::size_t Shard::MergeInto(std::span<const MergeItem> items, std::int64_t now_ms,
                             MergeResult& out) const {
  std::size_t found = 0;
  for (const MergeItem& item : items) {
    if (item.id >= local_of_id_.size() || local_of_id_[item.id] == kNone) continue;
    const Local& local = locals_[local_of_id_[item.id]];
    // The plan is checked against the table's generation, so the id is the planned series;
    // should that check have been given up on, a reused id must still not read past a slot.
    if (local.offset + item.width > slots_.size() ||
        item.values_at + item.width > out.values.size()) {
      continue;
    }
    ++found;
    const double* from = slots_.data() + local.offset;
    double* to = out.values.data() + item.values_at;
    for (std::uint32_t i = 0; i < item.width; ++i) to[i] += from[i];
    if (item.summary != MergeItem::kNoSummary &&
        local.series->shape().type == MetricType::kSummary) {
      auto begin = static_cast<std::uint32_t>(out.samples.size());
      windows_[WindowIndex(local)]->AppendLive(now_ms, out.samples);
      auto size = static_cast<std::uint32_t>(out.samples.size()) - begin;
      if (size > 0) out.runs.push_back({item.summary, begin, size});
    }
  }
  return found;
}

}  // namespace metricsd::statsd
