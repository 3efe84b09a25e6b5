#include "daemon/storage/label_matcher.h"
