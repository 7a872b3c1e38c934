/* A C program using the plugin: link it with libgreeter-1.0.so and libpython
   (README.md shows the command). Python starts at the first call. */
#include <stdio.h>

int greet(const char *name, char *out, int size);
int word_count(const char *text);

int main(int argc, char **argv)
{
    char buffer[128];
    const char *name = argc > 1 ? argv[1] : "world";
    int n = greet(name, buffer, (int)sizeof(buffer));
    if (n < 0) {
        fprintf(stderr, "greet() failed\n");
        return 1;
    }
    printf("%s\n", buffer);
    printf("%d words\n", word_count("the quick brown fox jumps"));
    return 0;
}
