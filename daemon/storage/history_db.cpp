#include "daemon/storage/history_db.h"
