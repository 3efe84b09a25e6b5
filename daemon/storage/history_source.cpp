#include "daemon/storage/history_source.h"

#include "daemon/storage/history_db.h"

namespace metricsd::storage {

void HistorySource::Visit(FamilyVisitor& visitor) const {
  std::shared_ptr<Store> store = store_();
  if (!store) return;  // loading, disabled or failed: no families rather than zeros that lie
  StoreStats s = store->Stats();
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  auto one = [&](std::string_view name, std::string_view help, MetricType type, double value) {
    visitor.Family(name, help, type);
    visitor.Sample({}, value);
  };
  auto labelled = [&](std::string_view label, std::string_view value_name, double value) {
    Label pair{label, value_name};
    visitor.Sample(Labels(&pair, 1), value);
  };
  one("metricsd_history_series", "Series in the history store.", MetricType::kGauge, d(s.series));
  one("metricsd_history_samples_appended_total", "Samples appended to the history store.",
      MetricType::kCounter, d(s.samples_appended));
  visitor.Family("metricsd_history_samples_dropped_total",
                 "Samples the history store did not keep, by reason.", MetricType::kCounter);
  labelled("reason", "out_of_order", d(s.samples_out_of_order));
  labelled("reason", "max_series", d(s.series_dropped_max_series));
  labelled("reason", "invalid_labels", d(s.series_dropped_invalid));
  labelled("reason", "pending_chunk_dropped", d(s.pending_chunks_dropped));
  one("metricsd_history_chunks", "Chunks held in memory (open heads and sealed chunks not yet on disk).",
      MetricType::kGauge, d(s.chunks));
  visitor.Family("metricsd_history_bytes",
                 "Chunk bytes on disk by tier (raw, minute, hour; measured at each retention pass), "
                 "and in memory (head, index).",
                 MetricType::kGauge);
  labelled("tier", "raw", d(s.tier_bytes[0]));
  labelled("tier", "minute", d(s.tier_bytes[1]));
  labelled("tier", "hour", d(s.tier_bytes[2]));
  labelled("tier", "head", d(s.head_bytes));
  labelled("tier", "index", d(s.index_bytes));
  one("metricsd_history_disk_bytes", "Bytes of the history database and its write-ahead log on disk.",
      MetricType::kGauge, d(s.disk_bytes));
  one("metricsd_history_flush_duration_seconds", "How long the last flush to disk took.",
      MetricType::kGauge, s.last_flush_duration_seconds);
  one("metricsd_history_last_flush_timestamp_seconds",
      "When the last successful flush to disk ended (Unix seconds).", MetricType::kGauge,
      s.last_flush_timestamp_seconds);
  visitor.Family("metricsd_history_write_errors_total",
                 "Writes to the history database that failed, by reason; the data stays in memory "
                 "and is written by the next flush.",
                 MetricType::kCounter);
  for (int i = 1; i < kWriteErrorCount; ++i) {
    labelled("reason", WriteErrorReason(static_cast<WriteError>(i)), d(s.write_errors[i]));
  }
  visitor.Family("metricsd_history_retention_deleted_total",
                 "Chunks deleted by retention (age or size), by tier.", MetricType::kCounter);
  labelled("tier", "raw", d(s.retention_deleted[0]));
  labelled("tier", "minute", d(s.retention_deleted[1]));
  labelled("tier", "hour", d(s.retention_deleted[2]));
}

}  // namespace metricsd::storage
