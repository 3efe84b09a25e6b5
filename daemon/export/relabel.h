// Prometheus's relabelling (model/relabel/relabel.go, 2.42) for write_relabel_configs: the same
// actions, defaults and edge cases: anchored regexes, `$1` / `${1}` / `${name}` expansion as Go's
// regexp.Expand (`$1x` names the group "1x", which does not exist: empty), an empty result
// removes the label, a replace whose expanded target_label is not a valid label name removes
// the target_label as written, and a series left without labels is dropped.
//
// Differences: lowercase / uppercase change ASCII letters only (Go's strings.ToLower maps all of
// Unicode); a labelmap result that is empty is not set.
//
// Runs for every series on every send: a step that changes nothing allocates nothing (values
// are read in place; one source label needs no joined copy).
//
// Thread-safety: pure functions over caller-owned values (a thread-local scratch buffer).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/export/remote_write_config.h"

namespace metricsd::remote {

// Label pairs sorted by name, names unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Applies `configs` in order. False when the series is dropped (by keep, drop, keepequal,
// dropequal, or because no label is left); otherwise `labels` holds the result, sorted by name.
bool Relabel(const std::vector<RelabelConfig>& configs, Labels& labels);

// Adds `external` to `labels` (sorted), a series' own label winning, as Prometheus's
// processExternalLabels does before write_relabel_configs run.
void AddExternalLabels(const std::map<std::string, std::string>& external, Labels& labels);

// Go's regexp.Expand of `template_text` for a match of `re` on `input` whose groups are
// `groups` (groups[0] the whole match; an unmatched group is empty with data() == nullptr).
// Appends to `out`. Exposed for tests.
void ExpandTemplate(const RE2& re, std::string_view template_text, const re2::StringPiece* groups,
                    int group_count, std::string& out);

}  // namespace metricsd::remote
