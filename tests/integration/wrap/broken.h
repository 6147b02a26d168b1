/* broken.h - one good declaration, then a syntax error, then another good one. */
int feat_sum(int count, ...);
struct broken { int a;
double oops(int x;
uint64_t feat_area(const void *shape);
