/* Calls the declarative plugin (libtimes-1.0): the first call starts Python. */
#include <stdio.h>

extern int times(int, int);

int main(void)
{
    int x = times(6, 7);
    printf("main: 6 * 7 = %d, 3 * -4 = %d\n", x, times(3, -4));
    return 0;
}
