// A library module (no WASI imports, no entry point): `checksum(n, order)` fills an array
// with n pseudo-random numbers, sorts it with a recursive quicksort through a comparison
// function pointer (ascending for order 0, descending otherwise: a call_indirect through the
// module's table), and returns an FNV-1a hash of the sorted array. The migration test
// (harness/tests/instrumented_migration.rs) stops it at sampled events on one engine and
// finishes it on others.
#include <stdint.h>

#define CAPACITY 4096

typedef int (*compare_fn)(uint32_t, uint32_t);

static uint32_t numbers[CAPACITY];
static uint32_t state;

static uint32_t next_random(void) {
  state = state * 1103515245u + 12345u;
  return state >> 8;
}

static int ascending(uint32_t a, uint32_t b) { return a < b ? -1 : a > b; }
static int descending(uint32_t a, uint32_t b) { return ascending(b, a); }

static void sort(uint32_t *a, int lo, int hi, compare_fn compare) {
  if (lo >= hi) return;
  uint32_t pivot = a[lo + (hi - lo) / 2];
  int i = lo, j = hi;
  while (i <= j) {
    while (compare(a[i], pivot) < 0) i++;
    while (compare(a[j], pivot) > 0) j--;
    if (i <= j) {
      uint32_t t = a[i];
      a[i++] = a[j];
      a[j--] = t;
    }
  }
  sort(a, lo, j, compare);
  sort(a, i, hi, compare);
}

__attribute__((export_name("checksum"))) uint32_t checksum(int n, int order) {
  if (n < 0) n = 0;
  if (n > CAPACITY) n = CAPACITY;
  state = 12345u;
  for (int i = 0; i < n; i++) numbers[i] = next_random();
  compare_fn compare = order == 0 ? ascending : descending;
  sort(numbers, 0, n - 1, compare);
  uint32_t hash = 2166136261u;
  for (int i = 0; i < n; i++) hash = (hash ^ numbers[i]) * 16777619u;
  return hash;
}
