a.o: a.c \
  crlf.h \
  last.h
