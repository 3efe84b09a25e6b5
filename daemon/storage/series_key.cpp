#include "daemon/storage/series_key.h"
