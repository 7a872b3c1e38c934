/* Run-length coding: pairs of (count, byte), count 1..255. */
size_t rle_encoded_size(const unsigned char *src, size_t len);
size_t rle_encode(const unsigned char *src, size_t len, unsigned char *dst);
/* Returns the decoded size, or (size_t)-1 on malformed input or a too small buffer. */
size_t rle_decode(const unsigned char *src, size_t len, unsigned char *dst, size_t cap);
