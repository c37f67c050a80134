/*
 * sieve.c - benchmark program: count the primes below `len` with the sieve of Eratosthenes, using
 * mem[0..len) as the sieve (one byte per number). Clears its sieve first, so runs are repeatable.
 * Restricted C: one function, no globals, no calls; builds both for BPF and natively.
 */
#include <stdint.h>

uint64_t sieve(void *mem, uint64_t len)
{
	uint8_t *composite = mem;
	uint64_t count = 0;
	uint64_t i, j;

	for (i = 0; i < len; i++)
		composite[i] = 0;
	for (i = 2; i * i < len; i++) {
		if (composite[i])
			continue;
		for (j = i * i; j < len; j += i)
			composite[j] = 1;
	}
	for (i = 2; i < len; i++)
		if (!composite[i])
			count++;
	return count;
}
