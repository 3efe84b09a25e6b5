// STUB (to be written by its owner): the options of one analytics method.
#pragma once

#include "daemon/core/config_schema.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct RemoteSource {
  bool operator==(const RemoteSource&) const = default;
};

const config::Section<RemoteSource>& RemoteSourceSection();

}  // namespace metricsd::analytics
