#ifndef B64KIT_H
#define B64KIT_H

#include <stddef.h>

#ifndef B64KIT_LINE_MAX
#error "B64KIT_LINE_MAX must be defined (define-macros in pyproject.toml)"
#endif

enum b64kit_alphabet { B64KIT_STANDARD = 0, B64KIT_URLSAFE = 1 };

#define B64KIT_ERR_LENGTH (-1)
#define B64KIT_ERR_CHAR (-2)

size_t b64kit_encoded_len(size_t n);
size_t b64kit_encode(const unsigned char *in, size_t n, char *out, enum b64kit_alphabet alphabet);
/* Returns the decoded length, or a negative B64KIT_ERR_* code. */
long b64kit_decode(const char *in, size_t n, unsigned char *out, enum b64kit_alphabet alphabet);
size_t b64kit_wrap(const char *in, size_t n, char *out);

size_t b32kit_encoded_len(size_t n);
size_t b32kit_encode(const unsigned char *in, size_t n, char *out);

int b64kit_line_max(void);

#endif
