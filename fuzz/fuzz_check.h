/* fuzz_check.h - the one assertion of the fuzz targets: a broken invariant stops the fuzzer as a crash would. */
#ifndef JMAKE_FUZZ_CHECK_H
#define JMAKE_FUZZ_CHECK_H

/* A trap, not assert(): it holds in every build type, and libFuzzer saves
 * the input that caused it as crash-<sha1>. */
#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) \
            __builtin_trap(); \
    } while (0)

#endif
