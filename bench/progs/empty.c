/*
 * empty.c - benchmark program: returns 0 without touching mem (`r0 = 0; exit`). Its time is the
 * fixed cost of one userbpf_prog__run call (options, entry, exit), not of any instruction.
 */
#include <stdint.h>

uint64_t empty(void *mem, uint64_t len)
{
	(void)mem;
	(void)len;
	return 0;
}
