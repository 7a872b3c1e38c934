#include "hatchdemo.h"

unsigned int hd_gcd(unsigned int a, unsigned int b)
{
    while (b != 0) {
        unsigned int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

long long hd_sum(const int *values, size_t n)
{
    long long total = 0;
    for (size_t i = 0; i < n; i++)
        total += values[i];
    return total;
}
