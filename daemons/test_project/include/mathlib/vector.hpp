// vector.hpp - a dense vector of doubles with the operations the C API exposes.
#pragma once

#include <cstddef>
#include <vector>

namespace mathlib {

class Vector {
  public:
    Vector(const double *data, std::size_t n) : values_(data, data + n) {}
    explicit Vector(std::size_t n) : values_(n, 0.0) {}

    std::size_t size() const { return values_.size(); }
    double operator[](std::size_t i) const { return values_[i]; }
    double &operator[](std::size_t i) { return values_[i]; }

    double dot(const Vector &other) const;
    double norm() const;
    Vector operator+(const Vector &other) const;

  private:
    std::vector<double> values_;
};

} // namespace mathlib
