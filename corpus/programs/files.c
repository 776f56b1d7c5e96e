/* Files in the preopened directory: create, write, append, seek, read back, stat, remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(void) {
    FILE *f = fopen("data.txt", "w");
    if (!f) { perror("fopen w"); return 1; }
    for (int i = 0; i < 50; i++) fprintf(f, "line %d: %d squared is %d\n", i, i, i * i);
    fclose(f);
    f = fopen("data.txt", "a");
    if (!f) { perror("fopen a"); return 1; }
    fputs("appended\n", f);
    fclose(f);
    struct stat st;
    if (stat("data.txt", &st) != 0) { perror("stat"); return 1; }
    printf("size %lld\n", (long long)st.st_size);
    f = fopen("data.txt", "r");
    if (!f) { perror("fopen r"); return 1; }
    char line[128];
    int lines = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        int a, b, c;
        if (sscanf(line, "line %d: %d squared is %d", &a, &b, &c) == 3) sum += c;
    }
    printf("%d lines, sum of squares %ld\n", lines, sum);
    fseek(f, 10, SEEK_SET);
    if (fgets(line, sizeof line, f)) printf("from offset 10: %s", line);
    fclose(f);
    if (fopen("missing.txt", "r") == NULL) printf("missing.txt: not found, as expected\n");
    if (remove("data.txt") != 0) { perror("remove"); return 1; }
    printf("removed: %s\n", fopen("data.txt", "r") == NULL ? "yes" : "no");
    f = fopen("result.txt", "w");
    if (!f) { perror("fopen result"); return 1; }
    fprintf(f, "%d %ld\n", lines, sum);
    fclose(f);
    return 3; /* a nonzero exit code travels through proc_exit */
}
