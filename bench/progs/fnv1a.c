/*
 * fnv1a.c - benchmark program: the 64-bit FNV-1a hash of mem[0..len), one byte per step (a serial
 * multiply chain: neither side can vectorize it). Returns the hash.
 */
#include <stdint.h>

uint64_t fnv1a(void *mem, uint64_t len)
{
	const uint8_t *p = mem;
	uint64_t h = 0xcbf29ce484222325ull;
	uint64_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
