#include "daemon/storage/store.h"
