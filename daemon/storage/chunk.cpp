#include "daemon/storage/chunk.h"
