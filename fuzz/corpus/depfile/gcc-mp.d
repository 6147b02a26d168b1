obj.o: dir:with:colons/../inc.c dir:with:colons/../hdr.h
dir:with:colons/../hdr.h:
