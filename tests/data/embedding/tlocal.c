/* Four threads call the plugin 100 times each, each adding its own step: the totals
   are per thread only if Python's thread-local state lives as long as the C thread. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4

extern int add_tl(int);

static int totals[NTHREADS];

static void *worker(void *arg)
{
    int i = (int)(long)arg, n;
    for (n = 0; n < 100; n++)
        totals[i] = add_tl(i + 1);
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    int i;
    for (i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)(long)i);
    for (i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < NTHREADS; i++)
        printf("main: thread %d total %d\n", i, totals[i]);
    return 0;
}
