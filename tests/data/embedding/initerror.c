/* The init code raises: calls return zeroes, the program goes on. */
#include <stdio.h>

extern int broken(int);
extern double broken_double(void);

int main(void)
{
    int x = broken(41);
    double y = broken_double();
    int z = broken(1);
    printf("main: got %d, %.1f, %d\n", x, y, z);
    return 0;
}
