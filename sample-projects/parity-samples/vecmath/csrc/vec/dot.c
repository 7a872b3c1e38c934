#include "vec.h"

long vec_dot(const long *a, const long *b, int n)
{
    long acc = 0;
    for (int i = 0; i < n; i++)
        acc = core_mul_add(acc, a[i], b[i]);
    return acc * VEC_SCALE;
}
