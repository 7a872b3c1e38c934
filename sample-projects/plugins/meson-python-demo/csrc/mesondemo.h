#include <stddef.h>
unsigned int md_gcd(unsigned int a, unsigned int b);
long long md_sum(const int *values, size_t n);
double md_hypot(double x, double y);
int md_scale(void);
