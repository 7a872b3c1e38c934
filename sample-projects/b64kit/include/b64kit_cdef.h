/* The declarations Python sees (a cdef: no preprocessor guards). */
enum b64kit_alphabet { B64KIT_STANDARD, B64KIT_URLSAFE, ... };

#define B64KIT_ERR_LENGTH ...
#define B64KIT_ERR_CHAR ...
#define B64KIT_LINE_MAX ...

size_t b64kit_encoded_len(size_t n);
size_t b64kit_encode(const unsigned char *in, size_t n, char *out, enum b64kit_alphabet alphabet);
long b64kit_decode(const char *in, size_t n, unsigned char *out, enum b64kit_alphabet alphabet);
size_t b64kit_wrap(const char *in, size_t n, char *out);

size_t b32kit_encoded_len(size_t n);
size_t b32kit_encode(const unsigned char *in, size_t n, char *out);

int b64kit_line_max(void);
