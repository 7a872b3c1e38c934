#include "core.h"

long core_mul_add(long acc, long a, long b) { return acc + a * b; }
