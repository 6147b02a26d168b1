a.o: a.c b.h
b.h:

c.h:
