/* qsort through function pointers, malloc/free growing the heap (memory.grow), printf of floats. */
#include <stdio.h>
#include <stdlib.h>

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int descending(const void *a, const void *b) { return ascending(b, a); }

int main(void) {
    int (*orders[2])(const void *, const void *) = {ascending, descending};
    unsigned seed = 12345;
    for (int round = 0; round < 2; round++) {
        size_t n = 3000 + 2000 * round;
        double *values = malloc(n * sizeof *values);
        if (!values) { puts("malloc failed"); return 1; }
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            values[i] = (double)(seed >> 8) / 65536.0 - 128.0;
        }
        qsort(values, n, sizeof *values, orders[round]);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += values[i];
        printf("round %d: n=%zu first=%.4f last=%.4f mean=%.6f\n", round, n, values[0], values[n - 1], sum / n);
        free(values);
    }
    /* A big block forces memory.grow. */
    char *big = malloc(1 << 20);
    if (!big) { puts("big malloc failed"); return 1; }
    for (int i = 0; i < (1 << 20); i += 4096) big[i] = (char)i;
    printf("big block ok, checksum %d\n", big[4096 * 3] + big[4096 * 7]);
    free(big);
    printf("%g %e %.3f\n", 1.0 / 3.0, 6.02214076e23, -0.0005);
    return 0;
}
