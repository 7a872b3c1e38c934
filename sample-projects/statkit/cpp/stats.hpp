#pragma once
#include <cstddef>

extern "C" {
/* 0 on success, -1 if n == 0, -2 on allocation failure. */
int sk_median(const double *values, std::size_t n, double *out);
std::size_t sk_unique_count(const long long *values, std::size_t n);
int sk_percentile(const double *values, std::size_t n, double q, double *out);
}
