/* One plugin: the first call starts Python and runs the init code. */
#include <stdio.h>

extern int add1(int, int);

int main(void)
{
    int x, y;
    printf("main: before the first call\n");
    fflush(stdout);
    x = add1(40, 2);
    y = add1(100, -5);
    printf("main: got %d and %d\n", x, y);
    return 0;
}
