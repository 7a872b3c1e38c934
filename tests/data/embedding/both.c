/* Two plugins in one process: the second finds Python already running. */
#include <stdio.h>

typedef struct { int a; double b; } pair_t;
extern int add1(int, int);
extern double add2(int, pair_t *);
extern int add2_started(void);

int main(void)
{
    pair_t pair = { 10, 0.5 };
    int x = add1(1, 2);
    int started;
    double y;
    fflush(stdout);
    started = add2_started();
    y = add2(100, &pair);
    fflush(stdout);
    printf("main: add1 %d, add2_started %d, add2 %.2f, add1 again %d\n", x, started, y, add1(3, 4));
    return 0;
}
