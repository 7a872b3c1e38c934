/* Eight threads make their first call at the same moment: the init code must run once
   and every call must see it done. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 8

extern int twice(int);
extern int init_runs(void);

static pthread_barrier_t start;
static int results[NTHREADS];

static void *worker(void *arg)
{
    int i = (int)(long)arg;
    pthread_barrier_wait(&start);
    results[i] = twice(i + 1);
    return NULL;
}

int main(void)
{
    pthread_t threads[NTHREADS];
    int i, wrong = 0;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)(long)i);
    for (i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < NTHREADS; i++)
        if (results[i] != 2 * (i + 1)) {
            printf("main: thread %d got %d\n", i, results[i]);
            wrong++;
        }
    printf("main: %d threads, %d wrong results, init code ran %d time(s)\n", NTHREADS, wrong, init_runs());
    return 0;
}
