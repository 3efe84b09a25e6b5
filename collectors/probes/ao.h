// What metricsd knows of AO's HTTP APIs: the dry-run request a Compute Unit takes
// (POST /dry-run?process-id=PID with a JSON message), how its answer maps to an outcome, and
// the health answers of a CU, MU and SU (GET /, and the SU's GET /timestamp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/client/outcome.h"
#include "collectors/probes/probe_config.h"

namespace metricsd::probes {

// The JSON body of a dry-run: Target, Owner, Data, Tags (Action first, then the configured
// tags and AO's Data-Protocol/Type/Variant), and an Id and Anchor that are fresh per call when
// cache_bust is on: the CU caches a dry-run by its whole body for 60 s.
std::string DryrunBody(const DryrunOptions& options, std::uint64_t sequence);

// "/dry-run?process-id=PID" on the CU's URL path.
std::string DryrunTarget(const Url& cu, const std::string& process_id);

struct DryrunVerdict {
  Outcome outcome = Outcome::kOk;
  std::string error;
  std::optional<double> gas_used;
  std::optional<double> messages;
};

DryrunVerdict JudgeDryrun(unsigned status, const std::string& body, const DryrunExpect& expect);

struct UnitVerdict {
  Outcome outcome = Outcome::kOk;
  std::string error;
  std::string address;
  std::optional<double> timestamp_ms;  // the unit's clock
};

// GET / of a unit of kind `unit`.
UnitVerdict JudgeUnitHealth(AoUnit unit, unsigned status, const std::string& body);
// The SU's GET /timestamp: its block height.
std::optional<double> SuBlockHeight(const std::string& body, std::optional<double>& timestamp_ms);


}  // namespace metricsd::probes
