// checks.hpp - argument checks shared by the C API entry points (private to src/).
#pragma once

#include <cstddef>

namespace mathlib {
namespace detail {

inline bool all_non_null(const void *a, const void *b, const void *c) { return a && b && c; }

} // namespace detail
} // namespace mathlib
