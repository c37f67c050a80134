/*
 * bytecopy.c - benchmark program: copy the first half of mem to the second half one byte at a time
 * (memcpy of len/2 bytes). Returns the length mixed with three copied bytes so a wrong copy shows.
 * Built with -fno-builtin so clang keeps the loop instead of calling memcpy (BPF has no libc).
 */
#include <stdint.h>

uint64_t bytecopy(void *mem, uint64_t len)
{
	uint64_t n = len / 2;
	const uint8_t *src = mem;
	uint8_t *dst = (uint8_t *)mem + n;
	uint64_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		dst[i] = src[i];
	return n ^ ((uint64_t)dst[0] << 32) ^ ((uint64_t)dst[n / 2] << 40) ^ ((uint64_t)dst[n - 1] << 48);
}
