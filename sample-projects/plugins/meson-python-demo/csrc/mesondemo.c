#include <math.h>
#include "mesondemo.h"

#ifndef MD_SCALE
#error "MD_SCALE comes from set_source(define_macros=...): the build inputs were not passed"
#endif

unsigned int md_gcd(unsigned int a, unsigned int b)
{
    while (b != 0) {
        unsigned int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

long long md_sum(const int *values, size_t n)
{
    long long total = 0;
    for (size_t i = 0; i < n; i++)
        total += values[i];
    return total;
}

/* libm's sqrt: linked through set_source(libraries=["m"]). */
double md_hypot(double x, double y)
{
    return sqrt(x * x + y * y);
}

int md_scale(void)
{
    return MD_SCALE;
}
