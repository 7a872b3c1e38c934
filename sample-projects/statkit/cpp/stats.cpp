#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <new>
#include <unordered_set>
#include <vector>

extern "C" int sk_median(const double *values, std::size_t n, double *out)
{
    if (n == 0)
        return -1;
    try {
        std::vector<double> v(values, values + n);
        auto mid = v.begin() + n / 2;
        std::nth_element(v.begin(), mid, v.end());
        double upper = *mid;
        if (n % 2) {
            *out = upper;
        } else {
            double lower = *std::max_element(v.begin(), mid);
            *out = (lower + upper) / 2.0;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        return -2;
    }
}

extern "C" std::size_t sk_unique_count(const long long *values, std::size_t n)
{
    std::unordered_set<long long> seen(values, values + n);
    return seen.size();
}

/* Linear interpolation between closest ranks (the "inclusive" method). */
extern "C" int sk_percentile(const double *values, std::size_t n, double q, double *out)
{
    if (n == 0 || !(q >= 0.0 && q <= 1.0))
        return -1;
    std::vector<double> v(values, values + n);
    std::sort(v.begin(), v.end());
    double pos = q * static_cast<double>(n - 1);
    std::size_t lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, n - 1);
    *out = v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
    return 0;
}
