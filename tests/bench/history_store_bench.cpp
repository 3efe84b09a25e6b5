// The history store as the daemon drives it (issue 12, Performance), in two modes:
//
//   history_store_bench --stream PREFIX --store-dir DIR
//     Bytes per sample on disk: replays PREFIX.keys + PREFIX.bin (written by
//     compare_prometheus_tsdb.py) into a fresh Store in DIR exactly as the sampler and the
//     history service do: one StartPass per 10 s step, a key built with SeriesKeyBuilder and an
//     Append per sample, Commit, then Flush and Downsample every step (flush_interval = interval
//     = 10 s). The stream is rebased to start at this process's wall clock (the store seals idle
//     heads by wall-clock time; a stream in the past would seal every head at every flush).
//     Prints RESULT lines for the script and a human-readable summary.
//
//   history_store_bench [--series N]   (default 100000)
//     Append cost, a sampler pass over N StatsD-shaped series (CPU per pass, share of one core
//     at 10 s), the flush behind it, memory per active series beyond chunk data, Select with
//     regex matchers over the N series, and reads from a store of 1,000 series x 7 days.
//
// Not a Google Benchmark: most figures need a store built once over many simulated passes and
// are reported against the goals, met or not. Stores live in mkdtemp directories under
// /tmp (removed at the end) unless --store-dir is given.
#include <malloc.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/storage/history_db.h"
#include "daemon/storage/label_matcher.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"

namespace metricsd::storage {
namespace {

using Steady = std::chrono::steady_clock;

// A fresh directory under /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/history_store_bench.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this thread in milliseconds (the sampler runs on one thread).
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Timestamp WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t HeapInUse() { return mallinfo2().uordblks; }

std::uint64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::shared_ptr<Store> OpenStore(const std::string& directory) {
  StoreOptions options;
  options.directory = directory;
  options.max_bytes = 0;  // no size-based retention in a benchmark
  std::string error, warning;
  std::shared_ptr<Store> store = Store::Open(options, &error, &warning);
  if (!store) {
    std::fprintf(stderr, "cannot open the store in %s: %s\n", directory.c_str(), error.c_str());
    std::exit(1);
  }
  return store;
}

// "met" or "NOT met" for a figure and its goal (smaller is better).
const char* Verdict(double value, double goal) { return value <= goal ? "met" : "NOT met"; }

void Row(const char* what, double value, const char* unit, double goal) {
  std::printf("%-58s %12.3f %-6s goal <= %-8g %s\n", what, value, unit, goal, Verdict(value, goal));
}

// A series as the stream names it: metric name and labels (the sampler gets the same pieces
// from a Source's visit and builds the key per sample).
struct SeriesName {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
};

std::string_view BuildKey(SeriesKeyBuilder& builder, const SeriesName& series) {
  builder.Reset(series.name);
  for (const auto& [name, value] : series.labels) builder.Add(name, value);
  std::optional<std::string_view> key = builder.Finish();
  if (!key) {
    std::fprintf(stderr, "invalid series %s\n", series.name.c_str());
    std::exit(1);
  }
  return *key;
}

// ---------------------------------------------------------------------------------------------
// --stream: bytes per sample on disk

struct Stream {
  std::vector<SeriesName> series;
  std::int64_t steps = 0;
  Timestamp t0 = 0;
  Timestamp step = 0;
  std::vector<double> values;  // series-major: values[s * steps + i]
};

Stream ReadStream(const std::string& prefix) {
  Stream stream;
  std::ifstream keys(prefix + ".keys");
  if (!keys) {
    std::fprintf(stderr, "cannot read %s.keys\n", prefix.c_str());
    std::exit(1);
  }
  std::string line;
  while (std::getline(keys, line)) {
    SeriesName series;
    std::size_t pos = line.find('\t');
    series.name = line.substr(0, pos);
    while (pos != std::string::npos) {
      std::size_t next = line.find('\t', pos + 1);
      std::string pair = line.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
      std::size_t eq = pair.find('=');
      series.labels.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
      pos = next;
    }
    stream.series.push_back(std::move(series));
  }
  std::ifstream bin(prefix + ".bin", std::ios::binary);
  char magic[8];
  std::int64_t header[4];
  bin.read(magic, sizeof magic);
  bin.read(reinterpret_cast<char*>(header), sizeof header);
  if (!bin || std::memcmp(magic, "MHSB0001", 8) != 0 ||
      header[0] != static_cast<std::int64_t>(stream.series.size())) {
    std::fprintf(stderr, "%s.bin is not a stream of %zu series\n", prefix.c_str(), stream.series.size());
    std::exit(1);
  }
  stream.steps = header[1];
  stream.t0 = header[2];
  stream.step = header[3];
  stream.values.resize(stream.series.size() * static_cast<std::size_t>(stream.steps));
  bin.read(reinterpret_cast<char*>(stream.values.data()),
           static_cast<std::streamsize>(stream.values.size() * sizeof(double)));
  if (!bin) {
    std::fprintf(stderr, "%s.bin is truncated\n", prefix.c_str());
    std::exit(1);
  }
  return stream;
}

int RunStream(const std::string& prefix, const std::string& store_dir) {
  Stream stream = ReadStream(prefix);
  std::error_code ignored;
  std::filesystem::remove_all(store_dir, ignored);
  const std::size_t n = stream.series.size();
  const auto steps = static_cast<std::size_t>(stream.steps);
  const std::uint64_t samples = n * steps;
  // Rebased onto the wall clock (see the file comment), on a 10 s boundary as the sampler's.
  const Timestamp start = WallMs() / stream.step * stream.step;
  double append_ms = 0, flush_ms = 0, downsample_ms = 0;
  {
    std::shared_ptr<Store> store = OpenStore(store_dir);
    SeriesKeyBuilder builder;
    for (std::size_t i = 0; i < steps; ++i) {
      const Timestamp t = start + static_cast<Timestamp>(i) * stream.step;
      auto t1 = Steady::now();
      Store::Appender appender = store->StartPass(t);
      for (std::size_t s = 0; s < n; ++s) {
        appender.Append(BuildKey(builder, stream.series[s]), stream.values[s * steps + i]);
      }
      appender.Commit();
      auto t2 = Steady::now();
      store->Flush();
      auto t3 = Steady::now();
      store->Downsample(t);
      auto t4 = Steady::now();
      append_ms += Ms(t2 - t1);
      flush_ms += Ms(t3 - t2);
      downsample_ms += Ms(t4 - t3);
    }
    store->Flush();
    StoreStats stats = store->Stats();
    if (stats.samples_appended != samples || stats.write_errors[0] + stats.write_errors[1] +
                                                     stats.write_errors[2] + stats.write_errors[3] +
                                                     stats.write_errors[4] + stats.write_errors[5] +
                                                     stats.write_errors[6] != 0) {
      std::fprintf(stderr, "the store took %" PRIu64 " of %" PRIu64 " samples, with write errors\n",
                   stats.samples_appended, samples);
      return 1;
    }
  }
  // The store is closed; measure its file the way an operator would see it after a checkpoint.
  HistoryDb::OpenResult opened = HistoryDb::Open(store_dir);
  if (!opened.db) {
    std::fprintf(stderr, "cannot reopen %s: %s\n", store_dir.c_str(), opened.error.c_str());
    return 1;
  }
  opened.db->Checkpoint();
  const std::uint64_t file = opened.db->FileBytes();
  const std::uint64_t used = opened.db->UsedBytes();
  const std::uint64_t raw = opened.db->ChunkBytes(Tier::kRaw);
  const std::uint64_t tiers = opened.db->ChunkBytes(Tier::kMinute) + opened.db->ChunkBytes(Tier::kHour);
  const double per = static_cast<double>(samples);
  std::printf("metricsd: %zu series x %zu steps = %" PRIu64 " samples\n", n, steps, samples);
  std::printf("  metricsd.db after checkpoint %12" PRIu64 " bytes  %.3f bytes/sample\n", file, static_cast<double>(file) / per);
  std::printf("  pages in use (UsedBytes)     %12" PRIu64 " bytes  %.3f bytes/sample\n", used, static_cast<double>(used) / per);
  std::printf("  raw chunk blobs              %12" PRIu64 " bytes  %.3f bytes/sample\n", raw, static_cast<double>(raw) / per);
  std::printf("  tier chunk blobs (1m + 1h)   %12" PRIu64 " bytes  %.3f bytes/sample\n", tiers, static_cast<double>(tiers) / per);
  std::printf("  appending %.1f ns/sample (key built per sample), flush %.2f ms/step, downsample %.2f ms/step\n",
              append_ms * 1e6 / per, flush_ms / static_cast<double>(steps),
              downsample_ms / static_cast<double>(steps));
  std::printf("RESULT samples %" PRIu64 "\n", samples);
  std::printf("RESULT file_bytes %" PRIu64 "\n", file);
  std::printf("RESULT used_bytes %" PRIu64 "\n", used);
  std::printf("RESULT raw_chunk_bytes %" PRIu64 "\n", raw);
  std::printf("RESULT tier_chunk_bytes %" PRIu64 "\n", tiers);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Default mode: CPU, memory and reads

// N StatsD-shaped series (statsd_exporter's naming for a game server): a third counters, a third
// gauges, a third histogram buckets; 500 metric names x 50 handlers x 4 zones (distinct up to
// 100,000 series; main() checks), buckets with an le label.
std::vector<SeriesName> StatsdSeries(std::size_t count) {
  const char* zones[] = {"eu", "us", "ap", "sa"};
  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"};
  std::vector<SeriesName> out;
  out.reserve(count);
  for (std::size_t i = 0; out.size() < count; ++i) {
    SeriesName series;
    const std::size_t family = i % 500;
    const std::string handler = "h" + std::to_string(i / 500 % 50);
    const std::string zone = zones[i / 25000 % 4];
    switch (family % 3) {
      case 0:
        series.name = "game_f" + std::to_string(family) + "_calls_total";
        series.labels = {{"handler", handler}, {"zone", zone}, {"job", "statsd"}};
        break;
      case 1:
        series.name = "game_f" + std::to_string(family) + "_active";
        series.labels = {{"handler", handler}, {"zone", zone}, {"job", "statsd"}};
        break;
      default:
        series.name = "game_f" + std::to_string(family) + "_duration_seconds_bucket";
        series.labels = {{"handler", handler}, {"zone", zone}, {"job", "statsd"},
                         {"le", les[i / 500 / 50 % 11]}};
        break;
    }
    out.push_back(std::move(series));
  }
  return out;
}

// The value series `s` has at pass `p`: counters and buckets grow by small integers, gauges wander.
double ValueAt(std::size_t s, std::size_t p) {
  std::uint64_t h = (s * 0x9E3779B97F4A7C15ULL) ^ (p * 0xC2B2AE3D27D4EB4FULL);
  h ^= h >> 29;
  return s % 3 == 1 ? static_cast<double>(100 + h % 50) : static_cast<double>(p * 7 + h % 5);
}

// Keeps the keys read in a Select's timing from being optimised away.
volatile std::size_t key_bytes_sink = 0;

LabelMatcher M(MatchType type, std::string name, std::string value) {
  std::string error;
  std::optional<LabelMatcher> m = LabelMatcher::Make(type, std::move(name), std::move(value), &error);
  if (!m) {
    std::fprintf(stderr, "bad matcher: %s\n", error.c_str());
    std::exit(1);
  }
  return *m;
}

// Append with prebuilt keys into a store of the first 1,000 series, whose index and heads fit
// the caches: the store's own instruction cost, without the cache misses of 100k series.
double SmallStoreAppendNs(const std::vector<std::string>& keys) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  const std::size_t n = std::min<std::size_t>(1000, keys.size());
  const Timestamp start = WallMs() / 10'000 * 10'000;
  std::vector<double> ns;
  for (std::size_t p = 0; p < 60; ++p) {
    Store::Appender appender = store->StartPass(start + static_cast<Timestamp>(p) * 10'000);
    const double c1 = ThreadCpuMs();
    for (std::size_t s = 0; s < n; ++s) appender.Append(keys[s], ValueAt(s, p));
    const double c2 = ThreadCpuMs();
    appender.Commit();
    if (p > 0) ns.push_back((c2 - c1) * 1e6 / static_cast<double>(n));
  }
  return Median(ns);
}

void RunSamplerAndMemory(std::size_t count) {
  TempDir dir;
  std::vector<SeriesName> names = StatsdSeries(count);
  std::vector<std::string> keys;
  {
    SeriesKeyBuilder builder;
    for (const SeriesName& s : names) keys.emplace_back(BuildKey(builder, s));
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
      std::fprintf(stderr, "duplicate keys in the StatsD series\n");
      std::exit(1);
    }
    keys.clear();
    keys.shrink_to_fit();
  }
  malloc_trim(0);
  const std::uint64_t heap_before = HeapInUse();
  const std::uint64_t rss_before = RssBytes();
  std::shared_ptr<Store> store = OpenStore(dir.path());
  const Timestamp start = WallMs() / 10'000 * 10'000;
  SeriesKeyBuilder builder;
  constexpr std::size_t kPasses = 30;
  std::vector<double> pass_cpu, pass_wall, flush_wall, flush_cpu;
  double first_pass_cpu = 0, first_flush_ms = 0;
  for (std::size_t p = 0; p < kPasses; ++p) {
    const double c1 = ThreadCpuMs();
    const auto w1 = Steady::now();
    Store::Appender appender = store->StartPass(start + static_cast<Timestamp>(p) * 10'000);
    for (std::size_t s = 0; s < names.size(); ++s) appender.Append(BuildKey(builder, names[s]), ValueAt(s, p));
    appender.Commit();
    const double c2 = ThreadCpuMs();
    const auto w2 = Steady::now();
    store->Flush();
    const double c3 = ThreadCpuMs();
    const auto w3 = Steady::now();
    if (p == 0) {
      first_pass_cpu = c2 - c1;
      first_flush_ms = Ms(w3 - w2);
    } else {
      pass_cpu.push_back(c2 - c1);
      pass_wall.push_back(Ms(w2 - w1));
      flush_cpu.push_back(c3 - c2);
      flush_wall.push_back(Ms(w3 - w2));
    }
  }
  const double pass_ms = Median(pass_cpu);
  // Memory: everything the store holds in the heap beyond the chunk bytes themselves.
  StoreStats stats = store->Stats();
  const std::uint64_t heap_after = HeapInUse();
  const std::uint64_t rss_after = RssBytes();
  const double heap_per_series =
      (static_cast<double>(heap_after - heap_before) - static_cast<double>(stats.head_bytes)) /
      static_cast<double>(stats.series);
  const double rss_per_series =
      (static_cast<double>(rss_after - rss_before) - static_cast<double>(stats.head_bytes)) /
      static_cast<double>(stats.series);

  // Pure Append with prebuilt keys (the store's own cost), series known, one pass.
  std::vector<std::string> prebuilt;
  prebuilt.reserve(names.size());
  for (const SeriesName& s : names) prebuilt.emplace_back(BuildKey(builder, s));
  std::vector<double> append_ns;
  for (std::size_t p = kPasses; p < kPasses + 5; ++p) {
    Store::Appender appender = store->StartPass(start + static_cast<Timestamp>(p) * 10'000);
    const double c1 = ThreadCpuMs();
    for (std::size_t s = 0; s < prebuilt.size(); ++s) appender.Append(prebuilt[s], ValueAt(s, p));
    const double c2 = ThreadCpuMs();
    appender.Commit();
    append_ns.push_back((c2 - c1) * 1e6 / static_cast<double>(prebuilt.size()));
  }
  const double small_append_ns = SmallStoreAppendNs(prebuilt);

  // Select over the N series with regex matchers (what /api/v1/series asks), and with the keys
  // written out as the endpoint must.
  struct Query {
    const char* text;
    std::vector<LabelMatcher> matchers;
  };
  std::vector<Query> queries = {
      {"{__name__=~\"game_f1.*_duration_seconds_bucket\", zone=\"eu\"}",
       {M(MatchType::kRegexMatch, "__name__", "game_f1.*_duration_seconds_bucket"), M(MatchType::kEqual, "zone", "eu")}},
      {"{__name__=~\"game_.*\"} (every series)", {M(MatchType::kRegexMatch, "__name__", "game_.*")}},
      {"{handler=~\"h1.*\", le!~\"0\\\\..*\"}",
       {M(MatchType::kRegexMatch, "handler", "h1.*"), M(MatchType::kRegexNoMatch, "le", "0\\..*")}},
  };
  const Timestamp mint = start, maxt = start + 3600'000;
  std::printf("\n== Sampler pass, %zu StatsD-shaped series (30 passes, 10 s apart, flush after each) ==\n",
              count);
  std::printf("first pass (every series new): %.1f ms CPU; its flush %.1f ms\n", first_pass_cpu, first_flush_ms);
  Row("append, prebuilt key, known series (ns/sample, median)", Median(append_ns), "ns", 50);
  Row("  the same in a store of 1,000 series (caches warm)", small_append_ns, "ns", 50);
  Row("sampler pass incl. key building (ns/sample)", pass_ms * 1e6 / static_cast<double>(count), "ns", 50);
  Row("sampler pass CPU (ms, median)", pass_ms, "ms", 200);
  Row("  as % of one core at 10 s", pass_ms / 10'000 * 100, "%", 2);
  std::printf("%-58s %12.3f ms    (wall %.1f ms; the writer thread's, not the sampler's)\n",
              "flush after each pass, CPU (median)", Median(flush_cpu), Median(flush_wall));
  std::printf("%-58s %12.3f %%\n", "  flush as % of one core at 10 s", Median(flush_cpu) / 10'000 * 100);
  Row("memory per series beyond chunk data (heap, bytes)", heap_per_series, "B", 250);
  std::printf("%-58s %12.1f B      (RSS delta minus chunk bytes)\n", "  same by RSS", rss_per_series);
  std::printf("%-58s %12.1f B      (head chunk bytes %.1f per series after 30 samples)\n",
              "  of it the label index (Stats().index_bytes)",
              static_cast<double>(stats.index_bytes) / static_cast<double>(stats.series),
              static_cast<double>(stats.head_bytes) / static_cast<double>(stats.series));
  for (const Query& query : queries) {
    std::vector<double> select_ms, with_keys_ms;
    std::size_t selected = 0;
    for (int run = 0; run < 15; ++run) {
      auto t1 = Steady::now();
      std::vector<SeriesRef> refs = store->Select({query.matchers}, mint, maxt);
      auto t2 = Steady::now();
      std::size_t bytes = 0;
      for (SeriesRef ref : refs) bytes += store->Key(ref).size();
      auto t3 = Steady::now();
      key_bytes_sink = bytes;
      selected = refs.size();
      select_ms.push_back(Ms(t2 - t1));
      with_keys_ms.push_back(Ms(t3 - t1));
    }
    char what[160];
    std::snprintf(what, sizeof what, "Select %s", query.text);
    std::printf("%s\n", what);
    char label[96];
    std::snprintf(label, sizeof label, "  Select, %zu series (ms, median)", selected);
    Row(label, Median(select_ms), "ms", 50);
    Row("  Select + Key() per series (ms, median)", Median(with_keys_ms), "ms", 50);
  }
}

void RunReads() {
  TempDir dir;
  constexpr std::size_t kSeries = 1000;
  constexpr Timestamp kStep = 10'000;
  constexpr std::size_t kSteps = 7 * 24 * 360;  // 7 days at 10 s
  std::vector<SeriesName> names = StatsdSeries(kSeries);
  std::vector<std::string> keys;
  SeriesKeyBuilder builder;
  for (const SeriesName& s : names) keys.emplace_back(BuildKey(builder, s));
  const Timestamp start = WallMs() / kStep * kStep;
  const auto build_start = Steady::now();
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    for (std::size_t p = 0; p < kSteps; ++p) {
      Store::Appender appender = store->StartPass(start + static_cast<Timestamp>(p) * kStep);
      for (std::size_t s = 0; s < kSeries; ++s) appender.Append(keys[s], ValueAt(s, p));
      appender.Commit();
      if ((p + 1) % 360 == 0) store->Flush();  // hourly here: only the reads are measured
    }
    store->Flush();
  }
  const double build_s = Ms(Steady::now() - build_start) / 1000;
  // Reopened: the 7 days are read from disk, as after a restart (the last hour's head is
  // reloaded into memory as the store does).
  std::shared_ptr<Store> store = OpenStore(dir.path());
  const Timestamp end = start + static_cast<Timestamp>(kSteps - 1) * kStep;
  std::vector<SeriesRef> refs = store->Select({{M(MatchType::kEqual, "job", "statsd")}}, start, end);
  std::vector<Sample> out;
  std::vector<double> week_ms;
  std::size_t week_samples = 0;
  for (int run = 0; run < 11; ++run) {
    auto t1 = Steady::now();
    store->RawSamples(refs[static_cast<std::size_t>(run) % refs.size()], start, end, out);
    week_ms.push_back(Ms(Steady::now() - t1));
    week_samples = out.size();
  }
  auto hour_read = [&](Timestamp from) {
    std::vector<double> ms;
    std::size_t total = 0;
    for (int run = 0; run < 5; ++run) {
      total = 0;
      auto t1 = Steady::now();
      for (SeriesRef ref : refs) {
        store->RawSamples(ref, from, from + 3600'000 - 1, out);
        total += out.size();
      }
      ms.push_back(Ms(Steady::now() - t1));
    }
    return std::make_pair(Median(ms), total);
  };
  auto [last_hour_ms, last_hour_samples] = hour_read(end - 3600'000 + 1);
  auto [old_hour_ms, old_hour_samples] = hour_read(start + 3 * 24 * 3600'000);
  std::printf("\n== Reads: %zu series x 7 days at 10 s (built in %.1f s, then reopened) ==\n", kSeries, build_s);
  std::printf("one series x 7 days: first read %.2f ms, %zu samples\n", week_ms.front(), week_samples);
  Row("one series x 7 days raw, from disk (ms, median)", Median(week_ms), "ms", 5);
  char label[96];
  std::snprintf(label, sizeof label, "%zu series x last 1 h (ms, median; %zu samples)", refs.size(), last_hour_samples);
  Row(label, last_hour_ms, "ms", 20);
  std::snprintf(label, sizeof label, "%zu series x 1 h 3 days ago (ms, median; %zu samples)", refs.size(), old_hour_samples);
  Row(label, old_hour_ms, "ms", 20);
}

}  // namespace
}  // namespace metricsd::storage

int main(int argc, char** argv) {
  std::string stream, store_dir;
  std::size_t series = 100'000;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--stream" && i + 1 < argc) {
      stream = argv[++i];
    } else if (arg == "--store-dir" && i + 1 < argc) {
      store_dir = argv[++i];
    } else if (arg == "--series" && i + 1 < argc) {
      series = static_cast<std::size_t>(std::stoul(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--series N] | --stream PREFIX --store-dir DIR\n", argv[0]);
      return 2;
    }
  }
  if (!stream.empty()) {
    if (store_dir.empty()) {
      std::fprintf(stderr, "--stream needs --store-dir\n");
      return 2;
    }
    return metricsd::storage::RunStream(stream, store_dir);
  }
  std::printf("history_store_bench: RelWithDebInfo build, %ld cores\n", sysconf(_SC_NPROCESSORS_ONLN));
  metricsd::storage::RunSamplerAndMemory(series);
  metricsd::storage::RunReads();
  return 0;
}
