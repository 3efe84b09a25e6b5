// HistoryDb, the history store's SQLite container: round trips, atomic flushes, retention, and
// every fault issue 12 names (corrupt file, wrong schema version, a foreign SQLite file, an
// unreadable path, a read-only filesystem, a full disk). Each test works in its own mkdtemp
// directory, removed at the end. Some faults need root (mounting a tmpfs) and others need a
// non-root user (permissions): each test takes the branch its user allows and says which.
#include "daemon/storage/history_db.h"
#include "tests/unit/support/temp_dir.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace metricsd::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

bool IsRoot() { return ::geteuid() == 0; }

// A tmpfs of `size` mounted on a fresh directory (root only); unmounted at the end.
class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& options) {
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount(dir_.path().c_str()) != 0) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return dir_.path(); }
  bool Remount(bool read_only) {
    const unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    return ::mount("tmpfs", dir_.path().c_str(), "tmpfs", flags, nullptr) == 0;
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

// Series keys as series_key.h writes them: label pairs separated by 0xfe/0xff bytes.
std::string Key(int i) {
  return std::string("__name__\xfe" "cpu_seconds_total\xff" "cpu\xfe") + std::to_string(i) + "\xff";
}

std::vector<std::uint8_t> Bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> bytes(size);
  for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

ChunkRecord Chunk(SeriesRef ref, Tier tier, Timestamp min_t, Timestamp max_t, std::size_t size = 150) {
  return ChunkRecord{ref, tier, min_t, max_t,
                     Bytes(size, static_cast<std::uint32_t>(ref * 1000003 + min_t + static_cast<int>(tier)))};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::unique_ptr<HistoryDb> OpenOrFail(const std::string& directory) {
  HistoryDb::OpenResult opened = HistoryDb::Open(directory);
  EXPECT_NE(opened.db, nullptr) << opened.error;
  EXPECT_EQ(opened.moved_aside, "");
  return std::move(opened.db);
}

std::vector<std::pair<SeriesRef, std::string>> AllSeries(HistoryDb& db) {
  std::vector<std::pair<SeriesRef, std::string>> series;
  EXPECT_EQ(db.LoadSeries([&](SeriesRef ref, std::string_view key) { series.emplace_back(ref, key); }),
            WriteError::kNone);
  return series;
}

std::vector<ChunkRecord> AllHeads(HistoryDb& db) {
  std::vector<ChunkRecord> heads;
  EXPECT_EQ(db.LoadHeads([&](const ChunkRecord& head) { heads.push_back(head); }), WriteError::kNone);
  return heads;
}

std::vector<ChunkRecord> Chunks(HistoryDb& db, SeriesRef ref, Tier tier, Timestamp mint, Timestamp maxt) {
  std::vector<ChunkRecord> chunks;
  EXPECT_EQ(db.ReadChunks(ref, tier, mint, maxt, [&](const ChunkRecord& c) { chunks.push_back(c); }),
            WriteError::kNone);
  return chunks;
}

std::vector<Timestamp> MinTimes(const std::vector<ChunkRecord>& chunks) {
  std::vector<Timestamp> times;
  for (const ChunkRecord& chunk : chunks) times.push_back(chunk.min_t);
  return times;
}

bool SameChunk(const ChunkRecord& a, const ChunkRecord& b) {
  return a.series == b.series && a.tier == b.tier && a.min_t == b.min_t && a.max_t == b.max_t &&
         a.data == b.data;
}

// Runs SQL on the file behind HistoryDb's back (the test plays another program or a bad disk).
void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string QuerySql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

std::vector<std::string> CorruptFiles(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".corrupt-") != std::string::npos) names.push_back(name);
  }
  return names;
}

// A small database: three series, heads in two tiers, closed chunks in every tier.
FlushBatch SampleBatch() {
  FlushBatch batch;
  for (SeriesRef ref = 1; ref <= 3; ++ref) batch.new_series.emplace_back(ref, Key(static_cast<int>(ref)));
  batch.closed = {Chunk(1, Tier::kRaw, 0, 99), Chunk(1, Tier::kRaw, 100, 199), Chunk(1, Tier::kRaw, 200, 299),
                  Chunk(1, Tier::kMinute, 0, 3'599), Chunk(2, Tier::kHour, 0, 7'199'999)};
  batch.heads = {Chunk(1, Tier::kRaw, 300, 350, 90), Chunk(1, Tier::kMinute, 3'600, 3'700, 40),
                 Chunk(3, Tier::kRaw, 10, 20, 0)};  // an empty chunk stays an empty blob
  batch.meta = {{"downsampled_until", "3600000"}};
  return batch;
}

TEST(HistoryDbTest, WriteErrorReasonsAreTheLabelValues) {
  EXPECT_EQ(WriteErrorReason(WriteError::kNone), "none");
  EXPECT_EQ(WriteErrorReason(WriteError::kDiskFull), "disk_full");
  EXPECT_EQ(WriteErrorReason(WriteError::kReadOnly), "read_only");
  EXPECT_EQ(WriteErrorReason(WriteError::kIo), "io");
  EXPECT_EQ(WriteErrorReason(WriteError::kCorrupt), "corrupt");
  EXPECT_EQ(WriteErrorReason(WriteError::kBusy), "busy");
  EXPECT_EQ(WriteErrorReason(WriteError::kOther), "other");
}

TEST(HistoryDbTest, ADirectoryServesOneDatabaseAtATime) {
  TempDir dir;
  auto first = OpenOrFail(dir.path());
  ASSERT_NE(first, nullptr);
  HistoryDb::OpenResult second = HistoryDb::Open(dir.path());
  EXPECT_EQ(second.db, nullptr);
  EXPECT_THAT(second.error, HasSubstr("in use by another metricsd"));
  EXPECT_EQ(second.moved_aside, "");
  first.reset();  // closing releases the directory
  EXPECT_NE(OpenOrFail(dir.path()), nullptr);
}

TEST(HistoryDbTest, CreatesMissingDirectoriesWithMode0750) {
  TempDir dir;
  const mode_t old_mask = ::umask(022);
  const std::string nested = dir / "a/b/history";
  {
    auto db = OpenOrFail(nested);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->path(), nested + "/metricsd.db");
    EXPECT_EQ(AllSeries(*db).size(), 0u);
    EXPECT_EQ(db->MaxSeriesRef(), 0u);
    EXPECT_FALSE(db->OldestChunk().has_value());
    EXPECT_FALSE(db->GetMeta("downsampled_until").has_value());
  }
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  ASSERT_EQ(::stat((dir / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  // The file is marked as ours and in WAL mode with 4 KiB pages.
  const std::string file = nested + "/metricsd.db";
  EXPECT_EQ(QuerySql(file, "PRAGMA application_id"), std::to_string(0x4D545344));
  EXPECT_EQ(QuerySql(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QuerySql(file, "PRAGMA page_size"), "4096");
  EXPECT_EQ(QuerySql(file, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
}

TEST(HistoryDbTest, RoundTripsThroughReopen) {
  TempDir dir;
  const FlushBatch batch = SampleBatch();
  {
    auto db = OpenOrFail(dir.path());
    ASSERT_NE(db, nullptr);
    std::string detail;
    ASSERT_EQ(db->Write(batch, &detail), WriteError::kNone) << detail;
    EXPECT_EQ(db->Write(FlushBatch{}, &detail), WriteError::kNone);  // nothing to do
  }
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(AllSeries(*db), batch.new_series);  // keys with 0xfe/0xff bytes intact, by ref
  EXPECT_EQ(db->MaxSeriesRef(), 3u);
  EXPECT_EQ(db->GetMeta("downsampled_until"), "3600000");
  EXPECT_EQ(db->GetMeta("schema_version"), "1");

  const std::vector<ChunkRecord> heads = AllHeads(*db);
  ASSERT_EQ(heads.size(), 3u);  // by series, then tier
  for (std::size_t i = 0; i < heads.size(); ++i) EXPECT_TRUE(SameChunk(heads[i], batch.heads[i])) << i;
  EXPECT_TRUE(heads[2].data.empty());

  // ReadChunks: overlap with [mint, maxt], ascending, one tier only.
  EXPECT_EQ(MinTimes(Chunks(*db, 1, Tier::kRaw, 150, 250)), (std::vector<Timestamp>{100, 200}));
  EXPECT_EQ(MinTimes(Chunks(*db, 1, Tier::kRaw, 99, 100)), (std::vector<Timestamp>{0, 100}));
  EXPECT_EQ(MinTimes(Chunks(*db, 1, Tier::kRaw, 0, 1'000)), (std::vector<Timestamp>{0, 100, 200}));
  EXPECT_TRUE(Chunks(*db, 1, Tier::kRaw, 300, 1'000).empty());  // heads are not closed chunks
  EXPECT_TRUE(Chunks(*db, 1, Tier::kRaw, -50, -1).empty());
  EXPECT_TRUE(Chunks(*db, 2, Tier::kRaw, 0, 1'000).empty());
  const std::vector<ChunkRecord> raw = Chunks(*db, 1, Tier::kRaw, 0, 1'000);
  for (std::size_t i = 0; i < raw.size(); ++i) EXPECT_TRUE(SameChunk(raw[i], batch.closed[i])) << i;
  const std::vector<ChunkRecord> minute = Chunks(*db, 1, Tier::kMinute, 0, 1'000);
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_TRUE(SameChunk(minute[0], batch.closed[3]));
  const std::vector<ChunkRecord> hour = Chunks(*db, 2, Tier::kHour, 7'000'000, 8'000'000);
  ASSERT_EQ(hour.size(), 1u);
  EXPECT_TRUE(SameChunk(hour[0], batch.closed[4]));

  EXPECT_EQ(db->ChunkBytes(Tier::kRaw), 3 * 150u + 90u + 0u);
  EXPECT_EQ(db->ChunkBytes(Tier::kMinute), 150u + 40u);
  EXPECT_EQ(db->ChunkBytes(Tier::kHour), 150u);
  EXPECT_EQ(db->OldestChunk(), std::make_pair(Tier::kRaw, Timestamp{0}));
  EXPECT_EQ(db->OldestChunkEnd(), std::make_pair(Tier::kRaw, Timestamp{99}));
  EXPECT_GT(db->FileBytes(), 4096u);
}

TEST(HistoryDbTest, LaterFlushesUpsertHeadsReplaceChunksAndCloseHeads) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  std::string detail;
  ASSERT_EQ(db->Write(SampleBatch(), &detail), WriteError::kNone) << detail;

  FlushBatch next;
  next.heads = {Chunk(1, Tier::kRaw, 300, 400, 120)};                     // grew
  next.heads_closed = {{1, Tier::kMinute}, {3, Tier::kRaw}};              // closed, no successor
  next.closed = {Chunk(1, Tier::kRaw, 200, 299, 10)};                     // same key: replaced
  next.meta = {{"downsampled_until", "7200000"}};
  ASSERT_EQ(db->Write(next, &detail), WriteError::kNone) << detail;
  const std::vector<ChunkRecord> heads = AllHeads(*db);
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_TRUE(SameChunk(heads[0], next.heads[0]));
  const std::vector<ChunkRecord> raw = Chunks(*db, 1, Tier::kRaw, 200, 200);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_TRUE(SameChunk(raw[0], next.closed[0]));
  EXPECT_EQ(db->GetMeta("downsampled_until"), "7200000");
  // The replaced chunk's bytes left the tier's count; the closed head's too.
  EXPECT_EQ(db->ChunkBytes(Tier::kRaw), 2 * 150u + 10u + 120u);
  EXPECT_EQ(db->ChunkBytes(Tier::kMinute), 150u);
  for (int tier = 0; tier < 3; ++tier) {  // the counter agrees with the blobs (another reader)
    const std::string where = " WHERE tier = " + std::to_string(tier);
    EXPECT_EQ(QuerySql(db->path(), "SELECT bytes FROM chunk_bytes" + where),
              QuerySql(db->path(), "SELECT coalesce(sum(length(data)), 0) FROM chunks" + where)) << tier;
  }

  // A chunk that closed and a successor that opened in the same flush: the head stays.
  FlushBatch both;
  both.heads_closed = {{1, Tier::kRaw}};
  both.heads = {Chunk(1, Tier::kRaw, 401, 410, 20)};
  ASSERT_EQ(db->Write(both, &detail), WriteError::kNone) << detail;
  ASSERT_EQ(AllHeads(*db).size(), 1u);
  EXPECT_TRUE(SameChunk(AllHeads(*db)[0], both.heads[0]));
}

TEST(HistoryDbTest, AFailedBatchLeavesNothingBehindAndTheNextOneWorks) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  std::string detail;
  ASSERT_EQ(db->Write(SampleBatch(), &detail), WriteError::kNone) << detail;

  FlushBatch bad;
  bad.new_series = {{4, Key(4)}, {5, Key(5)}, {1, Key(99)}};  // id 1 exists: fails last
  bad.closed = {Chunk(4, Tier::kRaw, 0, 99)};
  bad.heads = {Chunk(4, Tier::kRaw, 100, 150), Chunk(1, Tier::kRaw, 300, 999, 10)};
  bad.heads_closed = {{1, Tier::kMinute}};
  bad.meta = {{"downsampled_until", "1"}};
  EXPECT_EQ(db->Write(bad, &detail), WriteError::kOther);
  EXPECT_THAT(detail, HasSubstr("UNIQUE constraint failed: series.id"));

  FlushBatch same_key;  // a second id for an existing key fails too
  same_key.new_series = {{6, Key(6)}, {7, Key(2)}};
  EXPECT_EQ(db->Write(same_key, &detail), WriteError::kOther);
  EXPECT_THAT(detail, HasSubstr("UNIQUE constraint failed: series.key"));

  auto check_untouched = [&](HistoryDb& reader) {
    EXPECT_EQ(AllSeries(reader), SampleBatch().new_series);
    EXPECT_EQ(reader.MaxSeriesRef(), 3u);
    EXPECT_TRUE(Chunks(reader, 4, Tier::kRaw, 0, 1'000).empty());
    const std::vector<ChunkRecord> heads = AllHeads(reader);
    ASSERT_EQ(heads.size(), 3u);
    for (std::size_t i = 0; i < heads.size(); ++i) EXPECT_TRUE(SameChunk(heads[i], SampleBatch().heads[i]));
    EXPECT_EQ(reader.GetMeta("downsampled_until"), "3600000");
  };
  check_untouched(*db);

  bad.new_series.pop_back();  // the same batch without the duplicate goes in
  ASSERT_EQ(db->Write(bad, &detail), WriteError::kNone) << detail;
  EXPECT_EQ(db->MaxSeriesRef(), 5u);
  EXPECT_EQ(Chunks(*db, 4, Tier::kRaw, 0, 1'000).size(), 1u);
  db.reset();
  auto reopened = OpenOrFail(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(AllSeries(*reopened).size(), 5u);
  EXPECT_EQ(AllHeads(*reopened).size(), 3u);  // 1/raw, 3/raw, 4/raw; 1/minute closed
}

// Opens `directory`, expecting the file there to be moved aside as corrupt with `reason`, and
// checks the fresh database works.
void ExpectMovedAside(const std::string& directory, const std::string& original_bytes,
                      const std::string& reason) {
  const std::string file = directory + "/metricsd.db";
  HistoryDb::OpenResult opened = HistoryDb::Open(directory);
  ASSERT_NE(opened.db, nullptr) << opened.error;
  EXPECT_THAT(opened.moved_aside, StartsWith(file + ".corrupt-"));
  EXPECT_THAT(opened.error, StartsWith("history.path " + directory + ": metricsd.db "));
  EXPECT_THAT(opened.error, HasSubstr(reason));
  EXPECT_TRUE(ReadFile(opened.moved_aside) == original_bytes) << "moved aside, byte for byte";
  // The suffix is the time in Unix seconds.
  const std::string seconds = opened.moved_aside.substr(file.size() + std::strlen(".corrupt-"));
  EXPECT_NEAR(std::stoll(seconds), static_cast<long long>(std::time(nullptr)), 5);

  HistoryDb& db = *opened.db;
  EXPECT_TRUE(AllSeries(db).empty());
  std::string detail;
  ASSERT_EQ(db.Write(SampleBatch(), &detail), WriteError::kNone) << detail;
  EXPECT_EQ(AllSeries(db).size(), 3u);
  opened.db.reset();
  auto reopened = OpenOrFail(directory);  // and it is ours next time
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(AllSeries(*reopened).size(), 3u);
}

TEST(HistoryDbTest, RandomBytesAreMovedAsideWithTheirWalAndShm) {
  TempDir dir;
  const std::vector<std::uint8_t> noise = Bytes(64 * 1024, 7);
  const std::string bytes(noise.begin(), noise.end());
  WriteFileBytes(dir / "metricsd.db", bytes);
  WriteFileBytes(dir / "metricsd.db-wal", "stale wal");
  WriteFileBytes(dir / "metricsd.db-shm", "stale shm");
  ExpectMovedAside(dir.path(), bytes, "is not a readable SQLite database (file is not a database)");
  const std::vector<std::string> moved = CorruptFiles(dir.path());
  ASSERT_EQ(moved.size(), 3u);
  std::string base;
  for (const std::string& name : moved) {
    if (base.empty() || name.size() < base.size()) base = name;
  }
  EXPECT_TRUE(ReadFile(dir / (base + "-wal")) == "stale wal");
  // The -shm is only an index SQLite rebuilds from the WAL (it did so reading the file): it
  // moves along, its bytes need not be kept.
  EXPECT_TRUE(fs::exists(dir / (base + "-shm")));
}

// A database of ours with `chunks` closed chunks of 150 bytes: about chunks / 20 pages.
std::string MakeDatabase(const TempDir& dir, int chunks) {
  auto db = OpenOrFail(dir.path());
  EXPECT_NE(db, nullptr);
  if (db == nullptr) return "";
  FlushBatch batch = SampleBatch();
  for (int i = 0; i < chunks; ++i) {
    batch.closed.push_back(Chunk(2, Tier::kRaw, i * 1000, i * 1000 + 999));
  }
  std::string detail;
  EXPECT_EQ(db->Write(batch, &detail), WriteError::kNone) << detail;
  db.reset();  // checkpoints: the whole database is in metricsd.db
  EXPECT_FALSE(fs::exists(dir / "metricsd.db-wal"));
  return dir / "metricsd.db";
}

TEST(HistoryDbTest, AGarbledPageInTheMiddleIsMovedAside) {
  TempDir dir;
  const std::string file = MakeDatabase(dir, 2000);
  std::string bytes = ReadFile(file);
  ASSERT_GT(bytes.size(), 40u * 4096);
  const std::size_t page = bytes.size() / 4096 / 2;
  for (std::size_t i = 0; i < 4096; ++i) bytes[page * 4096 + i] = static_cast<char>(0xA5 ^ (i * 31));
  WriteFileBytes(file, bytes);
  ExpectMovedAside(dir.path(), bytes, "");
}

TEST(HistoryDbTest, ATruncatedFileIsMovedAside) {
  TempDir dir;
  const std::string file = MakeDatabase(dir, 2000);
  std::string bytes = ReadFile(file);
  bytes.resize(bytes.size() / 2 + 1000);  // mid-page, as a crash of a copy would leave it
  WriteFileBytes(file, bytes);
  ExpectMovedAside(dir.path(), bytes, "");
}

TEST(HistoryDbTest, AMissingTableIsMovedAside) {
  TempDir dir;
  const std::string file = MakeDatabase(dir, 10);
  ExecSql(file, "DROP TABLE head");
  ExpectMovedAside(dir.path(), ReadFile(file), "misses its head table");
}

TEST(HistoryDbTest, AnotherSchemaVersionIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::string file = MakeDatabase(dir, 10);
  ExecSql(file, "UPDATE meta SET value = '7' WHERE key = 'schema_version'");
  const std::string before = ReadFile(file);
  HistoryDb::OpenResult opened = HistoryDb::Open(dir.path());
  EXPECT_EQ(opened.db, nullptr);
  EXPECT_EQ(opened.error, "history.path " + dir.path() +
                              ": metricsd.db has schema version 7, this metricsd reads 1; it is left untouched");
  EXPECT_EQ(opened.moved_aside, "");
  EXPECT_TRUE(ReadFile(file) == before);
  EXPECT_TRUE(CorruptFiles(dir.path()).empty());
  // Still refused the second time: nothing was "repaired".
  EXPECT_EQ(HistoryDb::Open(dir.path()).db, nullptr);
}

TEST(HistoryDbTest, AnotherProgramsSqliteFileIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::string file = dir / "metricsd.db";
  ExecSql(file, "CREATE TABLE users(name TEXT); INSERT INTO users VALUES('alice');");
  const std::string before = ReadFile(file);
  HistoryDb::OpenResult opened = HistoryDb::Open(dir.path());
  EXPECT_EQ(opened.db, nullptr);
  EXPECT_THAT(opened.error, StartsWith("history.path " + dir.path() + ": metricsd.db is a SQLite database of "
                                       "another program (application_id 0, 1 tables), not metricsd's"));
  EXPECT_THAT(opened.error, HasSubstr("left untouched"));
  EXPECT_TRUE(ReadFile(file) == before);
  EXPECT_TRUE(CorruptFiles(dir.path()).empty());
  EXPECT_EQ(QuerySql(file, "SELECT name FROM users"), "alice");

  // With our tables but another application id: still not ours.
  TempDir other;
  const std::string other_file = MakeDatabase(other, 10);
  ExecSql(other_file, "PRAGMA application_id = 42");
  opened = HistoryDb::Open(other.path());
  EXPECT_EQ(opened.db, nullptr);
  EXPECT_THAT(opened.error, HasSubstr("application_id 42, 5 tables"));
}

TEST(HistoryDbTest, AnEmptySqliteFileIsTakenAsFresh) {
  TempDir dir;
  ExecSql(dir / "metricsd.db", "PRAGMA user_version = 0");  // a valid file with no tables
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  std::string detail;
  EXPECT_EQ(db->Write(SampleBatch(), &detail), WriteError::kNone) << detail;
}

TEST(HistoryDbTest, AnUnusablePathIsAClearError) {
  TempDir dir;
  WriteFileBytes(dir / "file", "a regular file");
  // Under a regular file, no user (root included) can create a directory.
  HistoryDb::OpenResult opened = HistoryDb::Open(dir / "file/sub");
  EXPECT_EQ(opened.db, nullptr);
  EXPECT_EQ(opened.error, "history.path " + (dir / "file/sub") + ": cannot create directory: Not a directory");
  opened = HistoryDb::Open(dir / "file");
  EXPECT_EQ(opened.db, nullptr);
  EXPECT_EQ(opened.error, "history.path " + (dir / "file") + ": exists and is not a directory");

  ASSERT_EQ(::mkdir((dir / "locked").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((dir / "locked").c_str(), 0), 0);
  if (IsRoot()) {
    std::cout << "running as root: permissions do not stop root, so chmod 000 is not a fault; "
                 "the path under a regular file above is the unreadable path\n";
    auto db = OpenOrFail(dir / "locked/history");
    EXPECT_NE(db, nullptr);
  } else {
    opened = HistoryDb::Open(dir / "locked/history");
    EXPECT_EQ(opened.db, nullptr);
    EXPECT_EQ(opened.error, "history.path " + (dir / "locked/history") +
                                ": cannot create directory: Permission denied");
    opened = HistoryDb::Open(dir / "locked");
    EXPECT_EQ(opened.db, nullptr);
    EXPECT_EQ(opened.error, "history.path " + (dir / "locked") +
                                ": directory is not writable (history needs to write there): Permission denied");
  }
}

// A database on a filesystem (root: a tmpfs remounted read-only) or in a directory (others:
// chmod 555) that cannot be written is refused at Open(), left as it was.
TEST(HistoryDbTest, AReadOnlyPlaceIsRefusedAtOpen) {
  if (IsRoot()) {
    TmpfsMount mount("size=4m");
    ASSERT_TRUE(mount.mounted()) << "root but cannot mount a tmpfs: " << mount.error();
    const std::string file = mount.path() + "/metricsd.db";
    {
      auto db = OpenOrFail(mount.path());
      ASSERT_NE(db, nullptr);
      std::string detail;
      ASSERT_EQ(db->Write(SampleBatch(), &detail), WriteError::kNone) << detail;
    }
    const std::string before = ReadFile(file);
    ASSERT_TRUE(mount.Remount(/*read_only=*/true)) << std::strerror(errno);
    HistoryDb::OpenResult opened = HistoryDb::Open(mount.path());
    EXPECT_EQ(opened.db, nullptr);
    EXPECT_EQ(opened.error, "history.path " + mount.path() +
                                ": directory is not writable (history needs to write there): Read-only file system");
    EXPECT_TRUE(ReadFile(file) == before);
    ASSERT_TRUE(mount.Remount(/*read_only=*/false)) << std::strerror(errno);
    auto db = OpenOrFail(mount.path());  // the fault cleared: history resumes
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(AllSeries(*db).size(), 3u);
  } else {
    TempDir dir;
    const std::string file = MakeDatabase(dir, 10);
    ASSERT_EQ(::chmod(dir.path().c_str(), 0555), 0);
    HistoryDb::OpenResult opened = HistoryDb::Open(dir.path());
    EXPECT_EQ(opened.db, nullptr);
    EXPECT_EQ(opened.error, "history.path " + dir.path() +
                                ": directory is not writable (history needs to write there): Permission denied");
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    // A read-only file in a writable directory.
    ASSERT_EQ(::chmod(file.c_str(), 0444), 0);
    opened = HistoryDb::Open(dir.path());
    EXPECT_EQ(opened.db, nullptr);
    EXPECT_EQ(opened.error, "history.path " + dir.path() + ": metricsd.db is read-only (history needs to write it)");
  }
}

// A batch of `count` new series with heads of `bytes` each, refs from `first`.
FlushBatch BigBatch(SeriesRef first, int count, std::size_t bytes) {
  FlushBatch batch;
  for (int i = 0; i < count; ++i) {
    const SeriesRef ref = first + static_cast<SeriesRef>(i);
    batch.new_series.emplace_back(ref, Key(static_cast<int>(ref)));
    batch.heads.push_back(Chunk(ref, Tier::kRaw, 0, 100, bytes));
  }
  return batch;
}

// After a failed flush: nothing of it is visible (through this connection and a new one), the
// fault clears, the same flush goes in, and a reopen sees both flushes whole.
void ExpectFailedFlushThenRecovery(const std::string& directory, std::unique_ptr<HistoryDb>& db,
                                   const FlushBatch& first, const FlushBatch& second,
                                   const std::function<void()>& clear_fault) {
  auto check_only_first = [&](HistoryDb& reader) {
    EXPECT_EQ(AllSeries(reader).size(), first.new_series.size());
    EXPECT_EQ(AllHeads(reader).size(), first.heads.size());
    EXPECT_EQ(reader.MaxSeriesRef(), first.new_series.back().first);
  };
  check_only_first(*db);
  clear_fault();
  std::string detail;
  ASSERT_EQ(db->Write(second, &detail), WriteError::kNone) << detail;
  db.reset();
  auto reopened = OpenOrFail(directory);
  ASSERT_NE(reopened, nullptr);
  const std::vector<std::pair<SeriesRef, std::string>> series = AllSeries(*reopened);
  ASSERT_EQ(series.size(), first.new_series.size() + second.new_series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(series[i].first, i + 1);
    EXPECT_EQ(series[i].second, Key(static_cast<int>(i + 1)));
  }
  const std::vector<ChunkRecord> heads = AllHeads(*reopened);
  ASSERT_EQ(heads.size(), first.heads.size() + second.heads.size());
  EXPECT_TRUE(SameChunk(heads.back(), second.heads.back()));
}

// A full disk: a 1 MiB tmpfs filled up by a filler file (root only; others get the file-size
// limit test below). Write reports kDiskFull, stores nothing, and works once space is back.
TEST(HistoryDbTest, DiskFullOnATmpfsFailsCleanlyAndRecovers) {
  if (!IsRoot()) {
    std::cout << "not root: cannot mount a tmpfs; the full-disk fault is exercised by "
                 "AFileSizeLimitFailsCleanlyAndRecovers instead\n";
    SUCCEED();
    return;
  }
  TmpfsMount mount("size=1m");
  ASSERT_TRUE(mount.mounted()) << "root but cannot mount a tmpfs: " << mount.error();
  auto db = OpenOrFail(mount.path());
  ASSERT_NE(db, nullptr);
  const FlushBatch first = BigBatch(1, 100, 100);
  std::string detail;
  ASSERT_EQ(db->Write(first, &detail), WriteError::kNone) << detail;
  db->Checkpoint();  // the WAL back to 0 bytes: the next flush needs new space
  EXPECT_EQ(fs::file_size(mount.path() + "/metricsd.db-wal"), 0u);

  const std::string filler = mount.path() + "/filler";
  {
    const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    const std::vector<char> block(4096, 'x');
    int blocks = 0;
    while (::write(fd, block.data(), block.size()) > 0 && blocks < 1024) ++blocks;
    EXPECT_EQ(errno, ENOSPC);
    EXPECT_GT(blocks, 0);
    ::close(fd);
  }
  const FlushBatch second = BigBatch(101, 200, 1000);  // ~200 KiB of WAL
  EXPECT_EQ(db->Write(second, &detail), WriteError::kDiskFull);
  EXPECT_THAT(detail, HasSubstr("database or disk is full"));
  EXPECT_EQ(db->Write(second, &detail), WriteError::kDiskFull) << "still full: fails again, cleanly";
  // Another reader (a second HistoryDb would be refused the directory) sees the first flush only.
  EXPECT_EQ(QuerySql(db->path(), "SELECT count(*) FROM series"), std::to_string(first.new_series.size()));
  ExpectFailedFlushThenRecovery(mount.path(), db, first, second, [&] { ASSERT_EQ(::unlink(filler.c_str()), 0); });
}

// RLIMIT_FSIZE stands for a disk that refuses to grow a file (EFBIG, which SQLite reports as
// an I/O error); runs for every user. SIGXFSZ is ignored meanwhile, so the write fails
// instead of killing the process.
TEST(HistoryDbTest, AFileSizeLimitFailsCleanlyAndRecovers) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  const FlushBatch first = BigBatch(1, 100, 100);
  std::string detail;
  ASSERT_EQ(db->Write(first, &detail), WriteError::kNone) << detail;
  db->Checkpoint();

  rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;  // the WAL may not grow past 64 KiB
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const FlushBatch second = BigBatch(101, 200, 1000);
  const WriteError error = db->Write(second, &detail);
  const std::string first_detail = detail;
  const WriteError again = db->Write(second, &detail);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(error, WriteError::kIo);
  EXPECT_THAT(first_detail, HasSubstr("disk I/O error"));
  EXPECT_EQ(again, WriteError::kIo);
  ExpectFailedFlushThenRecovery(dir.path(), db, first, second, [] {});
}

// Another process holding the write lock past the busy timeout (2 s): kBusy, then a retry
// works once the lock is gone.
TEST(HistoryDbTest, AWriterElsewhereMakesWriteBusyUntilItLetsGo) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db->path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::string detail;
  EXPECT_EQ(db->Write(SampleBatch(), &detail), WriteError::kBusy);
  EXPECT_THAT(detail, HasSubstr("database is locked"));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_EQ(db->Write(SampleBatch(), &detail), WriteError::kNone) << detail;
  EXPECT_EQ(AllSeries(*db).size(), 3u);
}

TEST(HistoryDbTest, DeleteBeforeDropsOldChunksAndForgetsEmptySeries) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  FlushBatch batch;
  for (SeriesRef ref = 1; ref <= 4; ++ref) batch.new_series.emplace_back(ref, Key(static_cast<int>(ref)));
  batch.closed = {Chunk(1, Tier::kRaw, 0, 99), Chunk(1, Tier::kRaw, 100, 199),  // 1: two raw
                  Chunk(2, Tier::kRaw, 0, 99),                                  // 2: raw + head
                  Chunk(3, Tier::kRaw, 500, 599),                               // 3: newer raw
                  Chunk(4, Tier::kMinute, -60'000, 50)};                        // 4: minute tier
  batch.heads = {Chunk(2, Tier::kRaw, 100, 120)};
  std::string detail;
  ASSERT_EQ(db->Write(batch, &detail), WriteError::kNone) << detail;
  EXPECT_EQ(db->OldestChunk(), std::make_pair(Tier::kMinute, Timestamp{-60'000}));
  EXPECT_EQ(db->OldestChunkEnd(), std::make_pair(Tier::kMinute, Timestamp{50}));

  std::vector<SeriesRef> forgotten;
  auto forget = [&](SeriesRef ref) { forgotten.push_back(ref); };
  std::uint64_t deleted = 99;
  ASSERT_EQ(db->DeleteBefore(Tier::kRaw, 100, &deleted, forget), WriteError::kNone);
  EXPECT_EQ(deleted, 2u);         // 1's and 2's [0, 99]
  EXPECT_TRUE(forgotten.empty());  // 1 keeps a chunk, 2 its head
  EXPECT_EQ(MinTimes(Chunks(*db, 1, Tier::kRaw, 0, 1'000)), (std::vector<Timestamp>{100}));

  ASSERT_EQ(db->DeleteBefore(Tier::kRaw, 200, &deleted, forget), WriteError::kNone);
  EXPECT_EQ(deleted, 1u);
  EXPECT_EQ(forgotten, (std::vector<SeriesRef>{1}));
  EXPECT_EQ(db->DeleteBefore(Tier::kRaw, 200, &deleted, forget), WriteError::kNone);
  EXPECT_EQ(deleted, 0u);  // nothing left that old: a no-op
  EXPECT_EQ(forgotten.size(), 1u);

  // Another tier's chunks are not this tier's business, whatever their age.
  ASSERT_EQ(db->DeleteBefore(Tier::kHour, 1'000'000, &deleted, forget), WriteError::kNone);
  EXPECT_EQ(deleted, 0u);
  EXPECT_EQ(Chunks(*db, 4, Tier::kMinute, -100'000, 100).size(), 1u);
  ASSERT_EQ(db->DeleteBefore(Tier::kMinute, 51, &deleted, forget), WriteError::kNone);
  EXPECT_EQ(deleted, 1u);
  EXPECT_EQ(forgotten, (std::vector<SeriesRef>{1, 4}));
  EXPECT_EQ(db->OldestChunk(), std::make_pair(Tier::kRaw, Timestamp{500}));

  ASSERT_EQ(db->DeleteBefore(Tier::kRaw, 1'000, &deleted, nullptr), WriteError::kNone);  // no callback
  EXPECT_EQ(deleted, 1u);
  EXPECT_FALSE(db->OldestChunk().has_value());
  EXPECT_EQ(db->ChunkBytes(Tier::kRaw), 150u);  // 2's head alone
  EXPECT_EQ(db->ChunkBytes(Tier::kMinute), 0u);
  db.reset();
  // The counted bytes agree with the blobs' sum after inserts, replaces and deletes.
  EXPECT_EQ(QuerySql(dir / "metricsd.db", "SELECT sum(bytes) FROM chunk_bytes"), "0");
  auto reopened = OpenOrFail(dir.path());
  ASSERT_NE(reopened, nullptr);
  const std::vector<std::pair<SeriesRef, std::string>> left = AllSeries(*reopened);
  ASSERT_EQ(left.size(), 1u);  // 2 (it has a head); 3 went without a callback to tell
  EXPECT_EQ(left[0].first, 2u);
  // A forgotten series' id may come back as a new series.
  FlushBatch again;
  again.new_series = {{1, Key(1)}};
  EXPECT_EQ(reopened->Write(again, &detail), WriteError::kNone) << detail;
}

TEST(HistoryDbTest, CheckpointTruncatesTheWal) {
  TempDir dir;
  auto db = OpenOrFail(dir.path());
  ASSERT_NE(db, nullptr);
  std::string detail;
  ASSERT_EQ(db->Write(BigBatch(1, 1000, 100), &detail), WriteError::kNone) << detail;
  const std::uint64_t wal = fs::file_size(dir / "metricsd.db-wal");
  EXPECT_GT(wal, 100u * 1000u);
  EXPECT_EQ(db->FileBytes(), fs::file_size(dir / "metricsd.db") + wal);
  db->Checkpoint();
  EXPECT_EQ(fs::file_size(dir / "metricsd.db-wal"), 0u);
  EXPECT_EQ(db->FileBytes(), fs::file_size(dir / "metricsd.db"));
  EXPECT_EQ(AllHeads(*db).size(), 1000u);
}

}  // namespace
}  // namespace metricsd::storage
