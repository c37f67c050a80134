/*
 * strmatch.c - benchmark program: strcmp of two long strings that match. mem holds string a in
 * [0, len/2) and string b in [len/2, len), each NUL-terminated. The byte loop stops at the first
 * difference or at the NUL, like strcmp. Returns (stop index << 16) ^ (strcmp-style difference).
 */
#include <stdint.h>

uint64_t strmatch(void *mem, uint64_t len)
{
	uint64_t n = len / 2;
	const uint8_t *a = mem;
	const uint8_t *b = (const uint8_t *)mem + n;
	int64_t diff = 0;
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (a[i] != b[i] || a[i] == 0)
			break;
	}
	if (i < n)
		diff = (int64_t)a[i] - (int64_t)b[i];
	return (i << 16) ^ (uint64_t)diff;
}
