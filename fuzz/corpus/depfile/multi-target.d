a.o b.o: shared.c x.h x.h
c.o: c.c x.h
