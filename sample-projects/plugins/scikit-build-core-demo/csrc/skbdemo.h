#include <stddef.h>
#include <zlib.h>
unsigned int sd_gcd(unsigned int a, unsigned int b);
long long sd_sum(const int *values, size_t n);
unsigned long sd_crc32(const unsigned char *data, size_t n);
