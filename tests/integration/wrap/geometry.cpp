// geometry.cpp - a C++ library without extern "C": its exported names are mangled.
#include <string>
namespace geom {
double area(double r) { return 3.0 * r * r; }
int area(int w, int h) { return w * h; }
struct Circle {
    double r;
    double circumference() const { return 6.0 * r; }
};
double use(const Circle &c) { return c.circumference(); }
std::string name() { return "geom"; }
}  // namespace geom
