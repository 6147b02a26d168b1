// statistics.hpp - descriptive statistics over a Vector.
#pragma once

#include "mathlib/vector.hpp"

#include <string>

namespace mathlib {

double mean(const Vector &v);
double variance(const Vector &v); // sample variance, divides by n - 1
double median(const Vector &v);
std::string describe(const Vector &v);

} // namespace mathlib
