/*
 * ilog2.c - benchmark program: integer log2 (index of the highest set bit, 0 for 0) of len/8 64-bit
 * values in mem, by a branchy binary search over the bit width. Returns a rolling sum of the results.
 */
#include <stdint.h>

uint64_t ilog2(void *mem, uint64_t len)
{
	const uint64_t *v = mem;
	uint64_t n = len / 8;
	uint64_t sum = 0;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t x = v[i];
		uint64_t r = 0;

		if (x >> 32) {
			x >>= 32;
			r += 32;
		}
		if (x >> 16) {
			x >>= 16;
			r += 16;
		}
		if (x >> 8) {
			x >>= 8;
			r += 8;
		}
		if (x >> 4) {
			x >>= 4;
			r += 4;
		}
		if (x >> 2) {
			x >>= 2;
			r += 2;
		}
		if (x >> 1)
			r += 1;
		sum = sum * 31 + r;
	}
	return sum;
}
