#ifndef FASTHASH_H
#define FASTHASH_H

#include <stddef.h>
#include <stdint.h>

uint32_t fh_fnv1a_32(const unsigned char *data, size_t len);
uint64_t fh_fnv1a_64(const unsigned char *data, size_t len);
uint32_t fh_murmur3_32(const unsigned char *data, size_t len, uint32_t seed);
/* Hashes `count` consecutive records of `width` bytes into `out`. */
void fh_fnv1a_32_many(const unsigned char *data, size_t width, size_t count, uint32_t *out);

#endif
