#include "b64kit.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t b32kit_encoded_len(size_t n) { return (n + 4) / 5 * 8; }

size_t b32kit_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i += 5) {
        unsigned char block[5] = {0, 0, 0, 0, 0};
        size_t k, take = n - i < 5 ? n - i : 5;
        /* Characters carrying data for 1..5 input bytes. */
        static const int used[6] = {0, 2, 4, 5, 7, 8};
        unsigned long long v = 0;
        for (k = 0; k < take; k++)
            block[k] = in[i + k];
        for (k = 0; k < 5; k++)
            v = (v << 8) | block[k];
        for (k = 0; k < 8; k++)
            out[o++] = (int)k < used[take] ? ALPHABET[(v >> (35 - 5 * k)) & 31] : '=';
    }
    return o;
}
