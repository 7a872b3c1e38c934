#include "core.h"

int core_bias(void) { return CORE_BIAS; }
