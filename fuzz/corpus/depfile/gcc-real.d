obj.o: inc.c /usr/include/stdc-predef.h hdr.h
