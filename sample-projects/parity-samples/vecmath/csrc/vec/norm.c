#include "vec.h"

long vec_norm1(const long *a, int n)
{
    long acc = 0;
    for (int i = 0; i < n; i++)
        acc += a[i] < 0 ? -a[i] : a[i];
    return acc;
}
