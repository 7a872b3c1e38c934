long core_mul_add(long acc, long a, long b);
int core_bias(void);
