a.o:a.c
