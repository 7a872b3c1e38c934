long vec_dot(const long *a, const long *b, int n);
long vec_norm1(const long *a, int n);
#include "core.h"
#ifndef VEC_PLATFORM_CHECKED
#error "module-options did not reach this module"
#endif
