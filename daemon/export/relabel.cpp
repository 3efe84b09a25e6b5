#include "daemon/export/relabel.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace metricsd::remote {
namespace {

using re2::StringPiece;

// The groups of most relabel regexes fit here; more fall back to the heap.
constexpr int kInlineGroups = 16;

struct LessName {
  bool operator()(const std::pair<std::string, std::string>& label, std::string_view name) const {
    return label.first < name;
  }
};

Labels::iterator Find(Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name, LessName{});
  return it != labels.end() && it->first == name ? it : labels.end();
}

std::string_view Get(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name, LessName{});
  if (it != labels.end() && it->first == name) return it->second;
  return {};
}

void Del(Labels& labels, std::string_view name) {
  auto it = Find(labels, name);
  if (it != labels.end()) labels.erase(it);
}

// Sets `name` (an empty value deletes it, as Prometheus's labels.Builder does); assigning an
// existing label reuses its storage.
void Set(Labels& labels, std::string_view name, std::string_view value) {
  if (value.empty()) return Del(labels, name);
  auto it = std::lower_bound(labels.begin(), labels.end(), name, LessName{});
  if (it != labels.end() && it->first == name) {
    if (it->second != value) it->second.assign(value);
    return;
  }
  labels.emplace(it, std::string(name), std::string(value));
}

// Scratch strings reused across calls on one thread: a step that changes nothing allocates
// nothing once they have grown.
struct Scratch {
  std::string joined, target, value;
  Labels additions;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// The source labels' values joined by the separator: a view of the label itself when there is
// one source label. Valid until `labels` or `scratch` changes.
std::string_view Joined(const RelabelConfig& c, const Labels& labels, std::string& scratch) {
  if (c.source_labels.size() == 1) return Get(labels, c.source_labels[0]);
  scratch.clear();
  for (std::size_t i = 0; i < c.source_labels.size(); ++i) {
    if (i > 0) scratch += c.separator;
    scratch += Get(labels, c.source_labels[i]);
  }
  return scratch;
}

// Whether the anchored regex matches `value`; fills `groups[0..n)` when n > 0.
bool Match(const RelabelRegex& regex, std::string_view value, StringPiece* groups, int n) {
  if (regex.match_all && value.find('\n') == std::string_view::npos) {
    for (int i = 0; i < n; ++i) groups[i] = i < 2 ? StringPiece(value.data(), value.size()) : StringPiece();
    return true;
  }
  return regex.re->Match(StringPiece(value.data(), value.size()), 0, value.size(),
                         RE2::ANCHOR_BOTH, groups, n);
}

// Groups of one match: on the stack for up to kInlineGroups.
class Groups {
 public:
  explicit Groups(const RE2& re) : count_(1 + re.NumberOfCapturingGroups()) {
    if (count_ > kInlineGroups) heap_.resize(static_cast<std::size_t>(count_));
  }
  StringPiece* data() { return count_ > kInlineGroups ? heap_.data() : inline_.data(); }
  int count() const { return count_; }

 private:
  int count_;
  std::array<StringPiece, kInlineGroups> inline_{};
  std::vector<StringPiece> heap_;
};

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Prometheus's hashmod: the MD5 of the value; sum64 in relabel.go shifts each byte by
// (15 - i) * 8, and Go's shifts of 64 or more give 0, so only the last 8 bytes count,
// big-endian.
std::uint64_t HashMod(std::string_view value, std::uint64_t modulus) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(value.data(), value.size(), digest, &size, EVP_md5(), nullptr);
  std::uint64_t sum = 0;
  for (unsigned int i = 8; i < 16 && i < size; ++i) sum = (sum << 8) | digest[i];
  return sum % modulus;
}

void AsciiCase(std::string& text, bool upper) {
  for (char& c : text) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

// One step; false when it drops the series.
bool Step(const RelabelConfig& c, Labels& labels, Scratch& scratch) {
  switch (c.action) {
    case RelabelAction::kDrop:
      return !Match(c.regex, Joined(c, labels, scratch.joined), nullptr, 0);
    case RelabelAction::kKeep:
      return Match(c.regex, Joined(c, labels, scratch.joined), nullptr, 0);
    case RelabelAction::kDropEqual:
      return Get(labels, c.target_label) != Joined(c, labels, scratch.joined);
    case RelabelAction::kKeepEqual:
      return Get(labels, c.target_label) == Joined(c, labels, scratch.joined);
    case RelabelAction::kReplace: {
      std::string_view value = Joined(c, labels, scratch.joined);
      Groups groups(*c.regex.re);
      if (!Match(c.regex, value, groups.data(), groups.count())) return true;
      std::string_view target = c.target_label;
      if (target.find('$') != std::string_view::npos) {
        scratch.target.clear();
        ExpandTemplate(*c.regex.re, c.target_label, groups.data(), groups.count(), scratch.target);
        target = scratch.target;
      }
      if (!IsValidLabelName(target)) {
        Del(labels, c.target_label);
        return true;
      }
      scratch.value.clear();
      ExpandTemplate(*c.regex.re, c.replacement, groups.data(), groups.count(), scratch.value);
      if (scratch.value.empty()) {
        Del(labels, c.target_label);
        return true;
      }
      // `value` may point into `labels`: the expansions above are copies, so Set is safe.
      Set(labels, target, scratch.value);
      return true;
    }
    case RelabelAction::kLowercase:
    case RelabelAction::kUppercase: {
      std::string_view value = Joined(c, labels, scratch.joined);
      scratch.value.assign(value.data(), value.size());
      AsciiCase(scratch.value, c.action == RelabelAction::kUppercase);
      Set(labels, c.target_label, scratch.value);
      return true;
    }
    case RelabelAction::kHashmod: {
      if (c.modulus == 0) return true;  // refused at load; guarded for configs built in code
      std::uint64_t mod = HashMod(Joined(c, labels, scratch.joined), c.modulus);
      Set(labels, c.target_label, std::to_string(mod));
      return true;
    }
    case RelabelAction::kLabelmap: {
      // Every name is matched against the labels as they were before this step.
      scratch.additions.clear();
      Groups groups(*c.regex.re);
      for (const auto& [name, value] : labels) {
        if (!Match(c.regex, name, groups.data(), groups.count())) continue;
        scratch.target.clear();
        ExpandTemplate(*c.regex.re, c.replacement, groups.data(), groups.count(), scratch.target);
        if (!scratch.target.empty()) scratch.additions.emplace_back(scratch.target, value);
      }
      for (const auto& [name, value] : scratch.additions) Set(labels, name, value);
      return true;
    }
    case RelabelAction::kLabeldrop:
    case RelabelAction::kLabelkeep: {
      bool drop_matching = c.action == RelabelAction::kLabeldrop;
      std::erase_if(labels, [&](const auto& label) {
        return Match(c.regex, label.first, nullptr, 0) == drop_matching;
      });
      return true;
    }
  }
  return true;
}

}  // namespace

void ExpandTemplate(const RE2& re, std::string_view text, const StringPiece* groups,
                    int group_count, std::string& out) {
  while (!text.empty()) {
    std::size_t dollar = text.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(text.data(), dollar);
    text.remove_prefix(dollar + 1);
    if (!text.empty() && text[0] == '$') {  // $$ is a literal $
      out += '$';
      text.remove_prefix(1);
      continue;
    }
    // Go's extract: a name of letters, digits and '_', optionally in braces.
    std::string_view rest = text;
    bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    std::size_t length = 0;
    while (length < rest.size() && IsNameByte(rest[length])) ++length;
    bool ok = length > 0 && (!brace || (length < rest.size() && rest[length] == '}'));
    if (!ok) {  // malformed: the $ is literal text
      out += '$';
      continue;
    }
    std::string_view name = rest.substr(0, length);
    text = rest.substr(length + (brace ? 1 : 0));
    // A number (no leading zero, under 1e8) is a group index; anything else a group name.
    int number = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || number >= 100'000'000) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') number = -1;
    if (number < 0) {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      if (it == named.end()) continue;
      number = it->second;
    }
    if (number < group_count && groups[number].data() != nullptr) {
      out.append(groups[number].data(), groups[number].size());
    }
  }
  out.append(text.data(), text.size());
}

bool Relabel(const std::vector<RelabelConfig>& configs, Labels& labels) {
  if (configs.empty()) return !labels.empty();
  Scratch& scratch = ThreadScratch();
  for (const RelabelConfig& c : configs) {
    if (!Step(c, labels, scratch)) return false;
  }
  return !labels.empty();
}

void AddExternalLabels(const std::map<std::string, std::string>& external, Labels& labels) {
  for (const auto& [name, value] : external) {
    auto it = std::lower_bound(labels.begin(), labels.end(), name, LessName{});
    if (it != labels.end() && it->first == name) continue;  // the series' own label wins
    if (value.empty()) continue;
    labels.emplace(it, name, value);
  }
}

}  // namespace metricsd::remote
