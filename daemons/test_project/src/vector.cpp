// vector.cpp - Vector arithmetic.
#include "mathlib/vector.hpp"

#include <cmath>
#include <stdexcept>

namespace mathlib {

double Vector::dot(const Vector &other) const
{
    if (other.size() != size())
        throw std::invalid_argument("dot: size mismatch");
    double sum = 0.0;
    for (std::size_t i = 0; i < size(); i++)
        sum += values_[i] * other.values_[i];
    return sum;
}

double Vector::norm() const { return std::sqrt(dot(*this)); }

Vector Vector::operator+(const Vector &other) const
{
    if (other.size() != size())
        throw std::invalid_argument("add: size mismatch");
    Vector out(size());
    for (std::size_t i = 0; i < size(); i++)
        out[i] = values_[i] + other.values_[i];
    return out;
}

} // namespace mathlib
