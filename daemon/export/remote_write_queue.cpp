#include "daemon/export/remote_write_queue.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include "daemon/client/url.h"
#include "daemon/core/duration.h"
#include "daemon/core/logging.h"
#include "daemon/export/queue_position.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"

namespace metricsd::remote {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr storage::Timestamp kMinSpanMs = 1000;
constexpr storage::Timestamp kMaxSpanMs = 3600 * 1000;
constexpr Duration kMaxRetryAfter = std::chrono::hours(1);
// Prometheus's shardToleranceFraction.
constexpr double kShardTolerance = 0.3;

storage::Timestamp Millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::uint64_t Fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::uint64_t HashLabels(const Labels& labels) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const auto& [name, value] : labels) {
    hash = Fnv1a(hash, name);
    hash = Fnv1a(hash, std::string_view("\xff", 1));
    hash = Fnv1a(hash, value);
    hash = Fnv1a(hash, std::string_view("\xff", 1));
  }
  return hash;
}

std::string Describe(const SendResult& result) {
  if (!result.completed) return result.error.empty() ? "request failed" : result.error;
  return "HTTP " + std::to_string(result.status);
}

}  // namespace

SendVerdict Classify(const SendResult& result, bool retry_on_http_429) {
  if (!result.completed) return SendVerdict::kRetry;  // connection error, timeout
  if (result.status >= 200 && result.status < 300) return SendVerdict::kAcknowledged;
  if (result.status >= 500) return SendVerdict::kRetry;
  if (result.status == 429 && retry_on_http_429) return SendVerdict::kRetry;
  return SendVerdict::kDrop;
}

std::optional<Duration> ParseRetryAfter(const std::string& value,
                                        std::chrono::system_clock::time_point now) {
  std::string_view text = value;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min<Duration>(std::chrono::seconds(seconds), kMaxRetryAfter);
  }
  // An HTTP-date: "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate, the form servers send).
  std::tm tm{};
  std::string copy(text);
  const char* parsed = ::strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
  if (at <= now) return Duration::zero();
  return std::min<Duration>(std::chrono::duration_cast<Duration>(at - now), kMaxRetryAfter);
}

std::size_t ShardOf(const Labels& labels, std::size_t shards) {
  if (shards <= 1) return 0;
  return static_cast<std::size_t>(HashLabels(labels) % shards);
}

int DesiredShards(const ShardInputs& inputs, int current, int min_shards, int max_shards,
                  double* raw_desired) {
  if (raw_desired != nullptr) *raw_desired = current;
  if (inputs.time_per_sample <= 0 || inputs.in_rate <= 0) return current;
  // When behind, catch up on 5 % of the backlog per second.
  double backlog = inputs.delay_seconds * inputs.in_rate;
  double desired = inputs.time_per_sample * (inputs.in_rate + 0.05 * backlog);
  if (raw_desired != nullptr) *raw_desired = desired;
  double lower = current * (1 - kShardTolerance), upper = current * (1 + kShardTolerance);
  desired = std::ceil(desired);
  if (lower <= desired && desired <= upper) return current;
  int shards = static_cast<int>(std::min(desired, 1e6));
  if (shards < current && inputs.delay_seconds > 10) return current;  // no downsharding behind
  return std::clamp(shards, std::max(min_shards, 1), std::max(max_shards, std::max(min_shards, 1)));
}

std::vector<double> SendDurationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300};
}

QueueStats::QueueStats() : send_duration(SendDurationBuckets()) {}

RemoteWriteQueue::RemoteWriteQueue(net::io_context& ioc, RemoteWriteEndpoint endpoint,
                                   StoreGetter store, std::string position_file,
                                   SenderFactory senders, Options options)
    : ioc_(ioc),
      strand_(net::make_strand(ioc)),
      store_(std::move(store)),
      position_file_(std::move(position_file)),
      senders_(std::move(senders)),
      options_(std::move(options)),
      config_(std::move(endpoint)),
      cycle_timer_(strand_) {
  if (!options_.now) options_.now = WallClockMillis;
  MutexLock lock(mutex_);
  stats_.shards = std::max(config_.queue.min_shards, 1);
  stats_.shards_desired = stats_.shards;
  stats_.shards_min = config_.queue.min_shards;
  stats_.shards_max = config_.queue.max_shards;
  stats_.capacity = config_.queue.capacity;
  stats_.max_samples_per_send = config_.queue.max_samples_per_send;
}

RemoteWriteQueue::~RemoteWriteQueue() = default;

void RemoteWriteQueue::Start() {
  std::string error;
  std::optional<storage::Timestamp> loaded = LoadPosition(position_file_, &error);
  {
    MutexLock lock(mutex_);
    if (started_ || stopped_) return;
    started_ = true;
    if (loaded) {
      position_ = *loaded;
      stats_.position_seconds = static_cast<double>(*loaded) / 1000;
    }
  }
  if (!error.empty()) {
    LogWarn("remote_write position unreadable; starting from now",
            {{"remote_name", remote_name()}, {"err", error}});
  } else if (loaded) {
    LogInfo("remote_write resumes from its position",
            {{"remote_name", remote_name()}, {"position_ms", std::to_string(*loaded)}});
  }
  net::post(strand_, [self = shared_from_this()] { self->Cycle(); });
}

void RemoteWriteQueue::Stop() {
  {
    MutexLock lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  { MutexLock wait_for_write(file_mutex_); }
  // Timers belong to the strand: cancel them there (their handlers see stopped()).
  net::post(strand_, [self = shared_from_this()] {
    self->cycle_timer_.cancel();
    if (self->slice_) {
      for (auto& shard : self->slice_->shards) {
        if (shard->retry_timer) shard->retry_timer->cancel();
      }
    }
  });
}

void RemoteWriteQueue::Reconfigure(RemoteWriteEndpoint endpoint) {
  MutexLock lock(mutex_);
  config_ = std::move(endpoint);
  config_changed_ = true;
}

bool RemoteWriteQueue::stopped() const {
  MutexLock lock(mutex_);
  return stopped_;
}

QueueStats RemoteWriteQueue::Stats() const {
  MutexLock lock(mutex_);
  return stats_;
}

std::string RemoteWriteQueue::remote_name() const {
  MutexLock lock(mutex_);
  return config_.RemoteName();
}

std::string RemoteWriteQueue::url() const {
  MutexLock lock(mutex_);
  return config_.url;
}

std::optional<storage::Timestamp> RemoteWriteQueue::position() const {
  MutexLock lock(mutex_);
  return position_;
}

void RemoteWriteQueue::ScheduleCycle(Duration after) {
  if (stopped()) return;
  if (after <= Duration::zero()) {
    net::post(strand_, [self = shared_from_this()] { self->Cycle(); });
    return;
  }
  cycle_timer_.expires_after(after);
  cycle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Cycle();
  });
}

void RemoteWriteQueue::Cycle() {
  if (stopped() || slice_) return;
  bool changed = false;
  std::optional<storage::Timestamp> position;
  {
    MutexLock lock(mutex_);
    if (config_changed_) {
      active_ = config_;
      changed = true;
      config_changed_ = false;
    }
    position = position_;
  }
  Duration deadline = std::max<Duration>(active_.queue.batch_send_deadline, std::chrono::milliseconds(1));
  if (changed || !sender_) {
    label_cache_.clear();  // relabel rules or external labels may have changed
    std::string error;
    sender_ = senders_(active_, &error);
    MutexLock lock(mutex_);
    stats_.shards_min = active_.queue.min_shards;
    stats_.shards_max = active_.queue.max_shards;
    stats_.shards = std::clamp(stats_.shards, std::max(active_.queue.min_shards, 1),
                               std::max(active_.queue.max_shards, std::max(active_.queue.min_shards, 1)));
    stats_.capacity = active_.queue.capacity;
    stats_.max_samples_per_send = active_.queue.max_samples_per_send;
    if (!sender_) {
      if (last_error_ != error) {
        LogWarn("remote_write endpoint unusable", {{"remote_name", active_.RemoteName()}, {"err", error}});
        last_error_ = error;
      }
    }
  }
  if (!sender_) return ScheduleCycle(deadline);
  std::shared_ptr<storage::Store> store = store_();
  if (!store) {
    // History not open yet, or off: remote_write reads from it, so it waits.
    // Opening history takes a moment at start-up: only a long wait is worth a warning.
    auto now = SteadyClock::now();
    if (!waiting_for_store_since_) waiting_for_store_since_ = now;
    if (!waiting_for_store_logged_ && now - *waiting_for_store_since_ > std::chrono::seconds(60)) {
      waiting_for_store_logged_ = true;
      LogWarn("remote_write waits for the history store (it sends what history keeps: is history on?)",
              {{"remote_name", active_.RemoteName()}});
    }
    return ScheduleCycle(deadline);
  }

  storage::Timestamp readable = options_.now() - Millis(options_.read_lag);
  if (!position) {
    // A new endpoint starts from now, as Prometheus does.
    position = readable;
    {
      MutexLock file(file_mutex_);
      if (stopped()) return;
      std::string error;
      if (!SavePosition(position_file_, active_.RemoteName(), *position, &error)) {
        LogWarn("remote_write position not saved", {{"remote_name", active_.RemoteName()}, {"err", error}});
      }
      MutexLock lock(mutex_);
      position_ = position;
      stats_.position_seconds = static_cast<double>(*position) / 1000;
    }
    return ScheduleCycle(deadline);
  }
  if (readable <= *position) return ScheduleCycle(deadline);

  std::size_t budget = options_.slice_samples;
  if (budget == 0) {
    budget = static_cast<std::size_t>(std::max(active_.queue.capacity, 1)) *
             static_cast<std::size_t>(std::max(active_.queue.max_shards, 1));
  }
  storage::Timestamp span = slice_rate_ > 0
                                ? static_cast<storage::Timestamp>(static_cast<double>(budget) / slice_rate_)
                                : 2 * std::max<storage::Timestamp>(Millis(deadline), kMinSpanMs);
  span = std::clamp(span, kMinSpanMs, kMaxSpanMs);
  auto slice = std::make_unique<Slice>();
  slice->from = *position;
  slice->end = std::min(readable, *position + span);
  slice->more = slice->end < readable;
  slice->started = SteadyClock::now();
  ReadSlice(*store, *position + 1, slice->end, active_, *slice);
  if (slice->samples > 0) {
    slice_rate_ = static_cast<double>(slice->samples) / static_cast<double>(slice->end - *position);
  }
  slice_ = std::move(slice);
  {
    MutexLock lock(mutex_);
    stats_.samples_pending = slice_->samples;
  }
  for (std::size_t i = 0; i < slice_->shards.size(); ++i) {
    if (!slice_->shards[i]->batches.empty()) ++slice_->shards_running;
  }
  if (slice_->shards_running == 0) return FinishSlice();
  for (std::size_t i = 0; i < slice_->shards.size(); ++i) {
    if (!slice_->shards[i]->batches.empty()) SendNext(i);
  }
}

void RemoteWriteQueue::ReadSlice(storage::Store& store, storage::Timestamp from,
                                 storage::Timestamp to, const RemoteWriteEndpoint& config,
                                 Slice& slice) {
  std::size_t shard_count;
  {
    MutexLock lock(mutex_);
    shard_count = static_cast<std::size_t>(std::max(stats_.shards, 1));
  }
  for (std::size_t i = 0; i < shard_count; ++i) {
    slice.shards.push_back(std::make_unique<Shard>());
    slice.shards.back()->retry_timer = std::make_unique<net::steady_timer>(strand_);
    slice.shards.back()->backoff = config.queue.min_backoff;
  }
  std::size_t per_send = static_cast<std::size_t>(std::max(config.queue.max_samples_per_send, 1));
  // One selector without matchers: every series with data in the range.
  std::vector<storage::Matchers> all(1);
  std::vector<storage::SeriesRef> refs = store.Select(all, from, to);
  std::unordered_map<std::uint32_t, CachedLabels> cache;
  cache.reserve(refs.size());
  std::vector<storage::Sample> samples;
  std::uint64_t dropped = 0;
  storage::Timestamp newest = 0;
  double read_seconds = 0;
  auto started = SteadyClock::now();
  for (storage::SeriesRef ref : refs) {
    samples.clear();
    auto read_start = SteadyClock::now();
    store.RawSamples(ref, from, to, samples);
    read_seconds += std::chrono::duration<double>(SteadyClock::now() - read_start).count();
    if (samples.empty()) continue;
    newest = std::max(newest, samples.back().t);
    CachedLabels entry;
    if (auto it = label_cache_.find(ref); it != label_cache_.end()) {
      entry = std::move(it->second);
    } else {
      std::string key = store.Key(ref);
      storage::SeriesLabels stored = storage::LabelsOfKey(key);
      Labels labels;
      labels.reserve(stored.size() + config.external_labels.size());
      for (storage::LabelPair& pair : stored) labels.emplace_back(std::move(pair.name), std::move(pair.value));
      std::sort(labels.begin(), labels.end());
      AddExternalLabels(config.external_labels, labels);
      entry.kept = config.write_relabel_configs.empty() || Relabel(config.write_relabel_configs, labels);
      if (entry.kept) {
        entry.hash = HashLabels(labels);
        entry.labels = std::move(labels);
      }
    }
    if (!entry.kept) {
      dropped += samples.size();
    } else {
      Shard& shard = *slice.shards[entry.hash % shard_count];
      std::size_t offset = 0;
      while (offset < samples.size()) {
        if (shard.batches.empty() || shard.batches.back().samples >= per_send) shard.batches.emplace_back();
        Batch& batch = shard.batches.back();
        std::size_t take = std::min(samples.size() - offset, per_send - batch.samples);
        OutgoingSeries& series = batch.series.emplace_back();
        series.labels = entry.labels;
        series.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(offset),
                              samples.begin() + static_cast<std::ptrdiff_t>(offset + take));
        batch.samples += take;
        batch.max_t = std::max(batch.max_t, series.samples.back().t);
        offset += take;
      }
      slice.samples += samples.size();
    }
    cache.emplace(ref, std::move(entry));
  }
  // Only the series of this slice stay cached: the cache never outgrows the store.
  label_cache_.swap(cache);
  double total_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  MutexLock lock(mutex_);
  stats_.samples_dropped += dropped;
  stats_.read_seconds += read_seconds;
  stats_.build_seconds += std::max(0.0, total_seconds - read_seconds);
  if (newest > 0) {
    stats_.highest_timestamp_seconds =
        std::max(stats_.highest_timestamp_seconds, static_cast<double>(newest) / 1000);
  }
}

void RemoteWriteQueue::SendNext(std::size_t shard_index) {
  Shard& shard = *slice_->shards[shard_index];
  if (shard.next >= shard.batches.size()) {
    shard.batches = {};
    shard.body = {};
    if (--slice_->shards_running == 0) FinishSlice();
    return;
  }
  shard.encoder.EncodeTo(shard.batches[shard.next].series, shard.body);
  Post(shard_index);
}

void RemoteWriteQueue::Post(std::size_t shard_index) {
  if (stopped()) return;
  auto started = SteadyClock::now();
  sender_->Send(slice_->shards[shard_index]->body,
                [self = shared_from_this(), shard_index, started](SendResult result) {
                  net::post(self->strand_, [self, shard_index, started, result = std::move(result)]() mutable {
                    self->OnResult(shard_index, std::move(result), started);
                  });
                });
}

void RemoteWriteQueue::OnResult(std::size_t shard_index, SendResult result,
                                SteadyClock::time_point started) {
  if (stopped() || !slice_) return;
  double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  slice_->send_seconds += seconds;
  Shard& shard = *slice_->shards[shard_index];
  Batch& batch = shard.batches[shard.next];
  SendVerdict verdict = Classify(result, active_.queue.retry_on_http_429);
  std::string name = active_.RemoteName();
  {
    MutexLock lock(mutex_);
    stats_.send_duration.Observe(seconds);
    switch (verdict) {
      case SendVerdict::kAcknowledged:
        stats_.samples_sent += batch.samples;
        stats_.bytes_sent += shard.body.size();
        stats_.samples_pending -= std::min<std::uint64_t>(stats_.samples_pending, batch.samples);
        stats_.highest_sent_timestamp_seconds =
            std::max(stats_.highest_sent_timestamp_seconds, static_cast<double>(batch.max_t) / 1000);
        break;
      case SendVerdict::kDrop:
        stats_.samples_failed += batch.samples;
        stats_.samples_pending -= std::min<std::uint64_t>(stats_.samples_pending, batch.samples);
        break;
      case SendVerdict::kRetry:
        stats_.samples_retried += batch.samples;
        break;
    }
  }
  if (verdict == SendVerdict::kRetry) {
    std::optional<Duration> wait;
    if (!result.retry_after.empty() && result.completed) {
      wait = ParseRetryAfter(result.retry_after, std::chrono::system_clock::now());
    }
    if (!wait) {
      wait = shard.backoff;
      shard.backoff = std::min<Duration>(std::max<Duration>(shard.backoff * 2, std::chrono::milliseconds(1)),
                                         std::max(active_.queue.max_backoff, active_.queue.min_backoff));
    }
    if (!failing_) {
      failing_ = true;
      LogWarn("remote_write send failed; retrying (the slice waits, nothing is lost)",
              {{"remote_name", name}, {"url", RedactUrl(active_.url)}, {"err", Describe(result)},
               {"samples", std::to_string(batch.samples)}});
    }
    shard.retry_timer->expires_after(*wait);
    shard.retry_timer->async_wait([self = shared_from_this(), shard_index](const boost::system::error_code& ec) {
      if (!ec && !self->stopped() && self->slice_) self->Post(shard_index);
    });
    return;
  }
  if (verdict == SendVerdict::kDrop) {
    LogWarn("remote_write batch refused; dropped",
            {{"remote_name", name}, {"url", RedactUrl(active_.url)}, {"err", Describe(result)},
             {"samples", std::to_string(batch.samples)}});
  } else if (failing_) {
    failing_ = false;
    LogInfo("remote_write sending again", {{"remote_name", name}});
  }
  shard.backoff = active_.queue.min_backoff;
  slice_->sent += verdict == SendVerdict::kAcknowledged ? batch.samples : 0;
  batch = Batch{};  // its memory goes now, not at the end of the slice
  ++shard.next;
  SendNext(shard_index);
}

void RemoteWriteQueue::FinishSlice() {
  std::unique_ptr<Slice> slice = std::move(slice_);
  {
    MutexLock file(file_mutex_);
    if (stopped()) return;
    std::string error;
    if (!SavePosition(position_file_, active_.RemoteName(), slice->end, &error)) {
      LogWarn("remote_write position not saved", {{"remote_name", active_.RemoteName()}, {"err", error}});
    }
    MutexLock lock(mutex_);
    position_ = slice->end;
    stats_.position_seconds = static_cast<double>(slice->end) / 1000;
    stats_.samples_pending = 0;
    ++stats_.slices;
  }
  UpdateShards(*slice, active_);
  Duration deadline = std::max<Duration>(active_.queue.batch_send_deadline, std::chrono::milliseconds(1));
  ScheduleCycle(slice->more ? Duration::zero() : deadline);
}

void RemoteWriteQueue::UpdateShards(const Slice& slice, const RemoteWriteEndpoint& config) {
  if (slice.sent == 0) return;
  storage::Timestamp readable = options_.now() - Millis(options_.read_lag);
  ShardInputs inputs;
  double data_seconds = std::max(1.0, static_cast<double>(slice.end - slice.from) / 1000);
  inputs.in_rate = static_cast<double>(slice.samples) / data_seconds;
  inputs.time_per_sample = slice.send_seconds / static_cast<double>(slice.sent);
  inputs.delay_seconds = std::max<double>(0, static_cast<double>(readable - slice.end) / 1000);
  MutexLock lock(mutex_);
  double raw = 0;
  int next = DesiredShards(inputs, stats_.shards, config.queue.min_shards, config.queue.max_shards, &raw);
  stats_.shards_desired = raw;
  if (next != stats_.shards) {
    LogInfo("remote_write resharding", {{"remote_name", config.RemoteName()},
                                        {"from", std::to_string(stats_.shards)},
                                        {"to", std::to_string(next)}});
    stats_.shards = next;
  }
}

}  // namespace metricsd::remote
