#include <zlib.h>
#include "crc.h"

unsigned int crc_sum(const unsigned char *data, size_t n)
{
    unsigned int s = CRC_SEED;
    for (size_t i = 0; i < n; i++)
        s += data[i];
    return s;
}

unsigned long crc_adler(const unsigned char *data, size_t n)
{
    return adler32(adler32(0L, Z_NULL, 0), data, (uInt)n);
}
