a.o: a.c my\ file.h dollar$$sign.h hash\#tag.h back\\ slash.h
