// matrix.cpp - Matrix construction and multiplication.
#include "mathlib/matrix.hpp"

#include <stdexcept>

namespace mathlib {

Matrix::Matrix(const double *data, std::size_t rows, std::size_t cols)
    : rows_(rows), cols_(cols), data_(data, data + rows * cols)
{
}

Matrix Matrix::operator*(const Matrix &other) const
{
    if (cols_ != other.rows_)
        throw std::invalid_argument("multiply: inner sizes differ");
    Matrix out(rows_, other.cols_);
    for (std::size_t r = 0; r < rows_; r++)
        for (std::size_t c = 0; c < other.cols_; c++) {
            double sum = 0.0;
            for (std::size_t k = 0; k < cols_; k++)
                sum += at(r, k) * other.at(k, c);
            out.at(r, c) = sum;
        }
    return out;
}

} // namespace mathlib
