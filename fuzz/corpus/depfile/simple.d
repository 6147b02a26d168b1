obj/a.o: src/a.c include/a.h \
 include/b.h
