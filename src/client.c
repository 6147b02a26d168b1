/* client.c - libjmake: the C client API of include/jmake.h. */
