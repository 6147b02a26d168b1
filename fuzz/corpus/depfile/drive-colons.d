C:/win/a.o: C:/win/a.c C:/win/a.h
