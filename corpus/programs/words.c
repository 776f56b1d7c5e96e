/* String handling: tokenizing, reversing, counting, formatting; recursion (permutations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

static const char *text =
    "the quick brown fox jumps over the lazy dog while the cat sleeps "
    "and the dog dreams of the quick fox";

static void reverse(char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) { char t = s[i]; s[i] = s[n - 1 - i]; s[n - 1 - i] = t; }
}

static int permutations(char *s, int at, int n) {
    if (at == n) return 1;
    int count = 0;
    for (int i = at; i < n; i++) {
        char t = s[at]; s[at] = s[i]; s[i] = t;
        count += permutations(s, at + 1, n);
        t = s[at]; s[at] = s[i]; s[i] = t;
    }
    return count;
}

static unsigned long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) printf("arg %d: %s\n", i, i == 0 ? "program" : argv[i]);
    char *copy = strdup(text);
    char *words[64];
    int count = 0;
    for (char *w = strtok(copy, " "); w && count < 64; w = strtok(NULL, " ")) words[count++] = w;
    printf("%d words\n", count);
    int the = 0;
    for (int i = 0; i < count; i++) if (strcmp(words[i], "the") == 0) the++;
    printf("'the' appears %d times\n", the);
    char line[256] = "";
    for (int i = count - 1; i >= 0; i--) {
        char w[32];
        snprintf(w, sizeof w, "%s", words[i]);
        reverse(w);
        w[0] = (char)toupper((unsigned char)w[0]);
        strncat(line, w, sizeof line - strlen(line) - 2);
        strcat(line, " ");
    }
    printf("%s\n", line);
    char letters[] = "abcdef";
    printf("permutations of %s: %d\n", letters, permutations(letters, 0, 6));
    printf("fib(20) = %lu\n", fib(20));
    free(copy);
    return 0;
}
