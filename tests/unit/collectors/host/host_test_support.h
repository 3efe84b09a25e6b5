// What the host collectors' tests share: node_exporter 1.5's fixture tree, a config rooted at a
// tree, a temp tree to write edge cases into, and one collector's exposition by sample key.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/samples.h"

namespace metricsd::host::fixtures {

// node_exporter v1.5.0's collector/fixtures (proc, sys, udev/data, textfile, usr).
inline const std::string kNodeExporter =
    std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/node_exporter";

// The default config with every root under `root`, laid out as node_exporter's fixtures are.
inline HostConfig Config(const std::string& root) {
  HostConfig config = ParseHostConfig(ParseYaml("", "test.yaml"));
  config.paths = {root + "/proc", root + "/sys", root, root + "/udev/data"};
  return config;
}

// A fresh directory per test (named after it and the process, so test executables running at
// once never share one), removed at the end, with files written on demand.
class TempTree {
 public:
  explicit TempTree(const std::string& name)
      : root_(std::filesystem::temp_directory_path() /
              ("metricsd-host-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~TempTree() { std::filesystem::remove_all(root_); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  void Write(const std::string& relative, const std::string& text) const {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  void Mkdir(const std::string& relative) const {
    std::filesystem::create_directories(root_ / relative);
  }
  void Link(const std::string& relative, const std::string& target) const {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::filesystem::create_directory_symlink(target, path);
  }
  std::string root() const { return root_.string(); }

 private:
  std::filesystem::path root_;
};

// One collection's text and its samples by "name{labels}".
struct Exposition {
  std::string text;
  std::map<std::string, double> samples;

  double at(const std::string& key) const {
    auto it = samples.find(key);
    if (it == samples.end()) {
      ADD_FAILURE() << "no sample " << key << " in:\n" << text;
      return -1;
    }
    return it->second;
  }
};

// Collects once, as a scrape renders it (the poll's families, then the live ones).
inline Exposition Collect(HostCollector& collector) {
  FamilySet set;
  collector.Collect(set);
  Exposition out;
  TextWriter writer(out.text);
  set.Visit(writer);
  collector.VisitLive(writer);
  out.samples = ParseSamples(out.text);
  return out;
}

// A host without the files of `collectors`: each reports nothing and does not fail, as
// node_exporter's "no data".
inline void ExpectNothingOnAnEmptyTree(const std::set<std::string, std::less<>>& collectors) {
  TempTree empty("empty");
  HostConfig config = Config(empty.root());
  config.paths = {empty.root(), empty.root(), empty.root(), empty.root()};
  config.collectors = collectors;
  auto made = MakeEnabledCollectors(config);
  ASSERT_EQ(made.size(), collectors.size());
  for (auto& collector : made) {
    Exposition out;
    EXPECT_NO_THROW(out = Collect(*collector)) << collector->Name();
    EXPECT_EQ(out.text, "") << collector->Name();
  }
}

}  // namespace metricsd::host::fixtures
