/* zstream_size.c - prints sizeof(z_stream) as the C compiler sees it. */
#include <stdio.h>
#include <zlib.h>
int main(void) { printf("%zu\n", sizeof(z_stream)); return 0; }
