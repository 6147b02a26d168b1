/* nothing.h - declares only what the library does not export. */
int not_here(int);
