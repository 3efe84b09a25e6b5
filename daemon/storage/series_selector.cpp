#include "daemon/storage/series_selector.h"
