#include "skbdemo.h"

unsigned int sd_gcd(unsigned int a, unsigned int b)
{
    while (b != 0) {
        unsigned int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

long long sd_sum(const int *values, size_t n)
{
    long long total = 0;
    for (size_t i = 0; i < n; i++)
        total += values[i];
    return total;
}

/* zlib's crc32: linked through the flags pkg-config gives for "zlib". */
unsigned long sd_crc32(const unsigned char *data, size_t n)
{
    return crc32(crc32(0L, Z_NULL, 0), data, (uInt)n);
}
