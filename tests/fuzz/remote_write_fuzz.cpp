// remote_write's wire format and relabelling on arbitrary bytes. The input is
//   <relabel steps, one per line: action \t source,labels \t separator \t regex \t target \t
//    replacement \t modulus> "\n\n" <a remote_write body>
// and the whole input is also decoded as a body. Steps are built in code, not through the
// config checks, so Relabel meets configs the loader would refuse. Every series decoded (or a
// fixed one) goes through external labels and the steps; what is kept must stay sorted and
// unique, and must survive encode → decode unchanged, bit for bit.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/export/relabel.h"
#include "daemon/export/remote_write_config.h"
#include "daemon/export/write_request.h"
#include "daemon/export/write_request_decode.h"

namespace {

using metricsd::remote::Labels;
using metricsd::remote::OutgoingSeries;
using metricsd::remote::RelabelAction;
using metricsd::remote::RelabelConfig;
using metricsd::remote::RelabelRegex;

// Small: a few KB of snappy can declare a MB of tiny series, which only costs time.
constexpr std::size_t kMaxBody = 64 << 10;
constexpr std::size_t kMaxSteps = 16;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

RelabelAction ActionOf(std::string_view name) {
  constexpr std::pair<std::string_view, RelabelAction> kActions[] = {
      {"replace", RelabelAction::kReplace},     {"keep", RelabelAction::kKeep},
      {"drop", RelabelAction::kDrop},           {"hashmod", RelabelAction::kHashmod},
      {"labelmap", RelabelAction::kLabelmap},   {"labeldrop", RelabelAction::kLabeldrop},
      {"labelkeep", RelabelAction::kLabelkeep}, {"lowercase", RelabelAction::kLowercase},
      {"uppercase", RelabelAction::kUppercase}, {"keepequal", RelabelAction::kKeepEqual},
      {"dropequal", RelabelAction::kDropEqual}};
  for (const auto& [text, action] : kActions) {
    if (text == name) return action;
  }
  // Not a name: the first byte picks one, so short inputs reach every action.
  return name.empty() ? RelabelAction::kReplace
                      : kActions[static_cast<unsigned char>(name[0]) % std::size(kActions)].second;
}

std::vector<RelabelConfig> StepsOf(std::string_view spec) {
  std::vector<RelabelConfig> steps;
  for (std::string_view line : Split(spec, '\n')) {
    if (line.empty() || steps.size() >= kMaxSteps) continue;
    std::vector<std::string_view> f = Split(line, '\t');
    f.resize(7);
    RelabelConfig c;
    c.action = ActionOf(f[0]);
    if (!f[1].empty()) {
      for (std::string_view name : Split(f[1], ',')) c.source_labels.emplace_back(name);
    }
    if (!f[2].empty()) c.separator = std::string(f[2]);
    if (!f[3].empty()) {
      try {
        c.regex = RelabelRegex::Compile(f[3]);
      } catch (const std::invalid_argument&) {
        continue;  // the loader refuses it too
      }
    }
    c.target_label = std::string(f[4]);
    if (!f[5].empty()) c.replacement = std::string(f[5]);
    for (char digit : f[6]) c.modulus = c.modulus * 10 + static_cast<unsigned char>(digit) % 10;
    steps.push_back(std::move(c));
  }
  return steps;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool SameSamples(const std::vector<metricsd::storage::Sample>& a,
                 const std::vector<metricsd::storage::Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].t != b[i].t) return false;
    if (std::bit_cast<std::uint64_t>(a[i].v) != std::bit_cast<std::uint64_t>(b[i].v) &&
        !metricsd::storage::IsStaleMarker(a[i].v)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<OutgoingSeries> series;
  std::string error;
  metricsd::remote::DecodeWriteRequest(input, series, &error, kMaxBody);

  std::size_t split = input.find("\n\n");
  std::string_view spec = input.substr(0, split);
  std::string_view body = split == std::string_view::npos ? std::string_view() : input.substr(split + 2);
  std::vector<RelabelConfig> steps = StepsOf(spec);
  if (!metricsd::remote::DecodeWriteRequest(body, series, &error, kMaxBody) || series.empty()) {
    series.assign(1, OutgoingSeries{{{"__name__", "up"}, {"instance", "a:1"}, {"job", "node"}},
                                    {{1, 1.0}}});
  }

  std::vector<OutgoingSeries> kept;
  for (OutgoingSeries& s : series) {
    // Relabel's precondition: sorted by name, names unique (the first of a repeated name stays).
    std::stable_sort(s.labels.begin(), s.labels.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    s.labels.erase(std::unique(s.labels.begin(), s.labels.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; }),
                   s.labels.end());
    metricsd::remote::AddExternalLabels({{"cluster", "fuzz"}}, s.labels);
    if (!metricsd::remote::Relabel(steps, s.labels)) continue;
    Check(!s.labels.empty());
    for (std::size_t i = 1; i < s.labels.size(); ++i) Check(s.labels[i - 1].first < s.labels[i].first);
    kept.push_back(std::move(s));
  }

  metricsd::remote::WriteRequestEncoder encoder;
  std::string encoded = encoder.Encode(kept);
  std::vector<OutgoingSeries> decoded;
  Check(metricsd::remote::DecodeWriteRequest(encoded, decoded, &error, 64 << 20));
  Check(decoded.size() == kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    Check(decoded[i].labels == kept[i].labels);
    Check(SameSamples(decoded[i].samples, kept[i].samples));
  }
  return 0;
}
