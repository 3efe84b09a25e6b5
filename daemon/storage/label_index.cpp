#include "daemon/storage/label_index.h"
