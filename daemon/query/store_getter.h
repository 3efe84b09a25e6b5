// How the history API reaches the store: a getter, called per request, that returns null
// while history is disabled or failed to open (every route then answers 503), so the daemon
// can open, replace or close the store without re-wiring routes.
#pragma once

#include <functional>
#include <memory>

#include "daemon/storage/store.h"

namespace metricsd::query {

using StoreGetter = std::function<std::shared_ptr<storage::Store>()>;

}  // namespace metricsd::query
