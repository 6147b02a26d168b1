/* main.c - the jmake executable: command-line dispatch for clients and daemons alike. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("jmake %s\n", JMAKE_VERSION);
        return 0;
    }
    fprintf(stderr, "jmake: no command given (try jmake --help)\n");
    return 2;
}
