#include <stddef.h>
unsigned int crc_sum(const unsigned char *data, size_t n);
unsigned long crc_adler(const unsigned char *data, size_t n);
