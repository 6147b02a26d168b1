// statistics.cpp - mean, variance, median and a one-line summary.
#include "mathlib/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mathlib {

double mean(const Vector &v)
{
    if (v.size() == 0)
        return std::numeric_limits<double>::quiet_NaN();
    double sum = 0.0;
    for (std::size_t i = 0; i < v.size(); i++)
        sum += v[i];
    return sum / static_cast<double>(v.size());
}

double variance(const Vector &v)
{
    if (v.size() < 2)
        return std::numeric_limits<double>::quiet_NaN();
    double m = mean(v), sum = 0.0;
    for (std::size_t i = 0; i < v.size(); i++)
        sum += (v[i] - m) * (v[i] - m);
    return sum / static_cast<double>(v.size() - 1);
}

double median(const Vector &v)
{
    if (v.size() == 0)
        return std::numeric_limits<double>::quiet_NaN();
    std::vector<double> sorted(v.size());
    for (std::size_t i = 0; i < v.size(); i++)
        sorted[i] = v[i];
    std::sort(sorted.begin(), sorted.end());
    std::size_t mid = sorted.size() / 2;
    return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
}

std::string describe(const Vector &v)
{
    char buf[128];
    std::snprintf(buf, sizeof buf, "n=%zu mean=%g var=%g", v.size(), mean(v), variance(v));
    return buf;
}

} // namespace mathlib
