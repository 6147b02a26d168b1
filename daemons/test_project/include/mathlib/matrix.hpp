// matrix.hpp - a row-major dense matrix built on Vector rows.
#pragma once

#include "mathlib/vector.hpp"

#include <cstddef>
#include <vector>

namespace mathlib {

class Matrix {
  public:
    Matrix(const double *data, std::size_t rows, std::size_t cols);
    Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(rows * cols, 0.0) {}

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    double at(std::size_t r, std::size_t c) const { return data_[r * cols_ + c]; }
    double &at(std::size_t r, std::size_t c) { return data_[r * cols_ + c]; }
    const double *data() const { return data_.data(); }

    Matrix operator*(const Matrix &other) const;

  private:
    std::size_t rows_, cols_;
    std::vector<double> data_;
};

} // namespace mathlib
