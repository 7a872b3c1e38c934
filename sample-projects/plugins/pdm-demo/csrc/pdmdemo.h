#include <stddef.h>
unsigned int hd_gcd(unsigned int a, unsigned int b);
long long hd_sum(const int *values, size_t n);
