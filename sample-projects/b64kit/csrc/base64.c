#include <string.h>
#include "b64kit.h"

static const char STANDARD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URLSAFE[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64kit_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

size_t b64kit_encode(const unsigned char *in, size_t n, char *out, enum b64kit_alphabet alphabet)
{
    const char *table = alphabet == B64KIT_URLSAFE ? URLSAFE : STANDARD;
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = table[(v >> 6) & 63];
        out[o++] = table[v & 63];
    }
    if (i < n) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)in[i + 1] << 8;
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = i + 1 < n ? table[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

static int value_of(char c, enum b64kit_alphabet alphabet)
{
    const char *table = alphabet == B64KIT_URLSAFE ? URLSAFE : STANDARD;
    const char *p = c ? strchr(table, c) : NULL;
    return p ? (int)(p - table) : -1;
}

long b64kit_decode(const char *in, size_t n, unsigned char *out, enum b64kit_alphabet alphabet)
{
    size_t i, o = 0;
    if (n % 4 != 0)
        return B64KIT_ERR_LENGTH;
    for (i = 0; i < n; i += 4) {
        int pad = 0, k;
        unsigned long v = 0;
        for (k = 0; k < 4; k++) {
            char c = in[i + k];
            int x;
            if (c == '=' && i + 4 == n && k >= 2) {
                pad++;
                x = 0;
            } else {
                if (pad)
                    return B64KIT_ERR_CHAR;
                x = value_of(c, alphabet);
                if (x < 0)
                    return B64KIT_ERR_CHAR;
            }
            v = (v << 6) | (unsigned long)x;
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    return (long)o;
}

size_t b64kit_wrap(const char *in, size_t n, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        out[o++] = in[i];
        if ((i + 1) % B64KIT_LINE_MAX == 0 || i + 1 == n)
            out[o++] = '\n';
    }
    return o;
}

int b64kit_line_max(void) { return B64KIT_LINE_MAX; }
