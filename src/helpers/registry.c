/*
 * registry.c - the helper registry (userbpf_helpers__new/free/add/name/add_std) and helpers_find().
 *
 * Helpers are kept in an array sorted by id: ids are sparse (0..INT32_MAX, the kernel's numbers run
 * past 200), lookups happen at load time only (calls are resolved into the pre-decoded program), so
 * binary search over a compact array is all that is needed.
 * add_std registers the kernel-numbered helpers that need no maps or context.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userbpf/maps.h"
#include "vm/vm.h"

struct userbpf_helpers {
	struct helpers_entry *v; /* sorted by id */
	size_t n, cap;
};

struct userbpf_helpers *userbpf_helpers__new(void)
{
	struct userbpf_helpers *h = calloc(1, sizeof(*h));
	if (!h)
		errno = ENOMEM;
	return h;
}

void userbpf_helpers__free(struct userbpf_helpers *helpers)
{
	if (!helpers)
		return;
	for (size_t i = 0; i < helpers->n; i++)
		free(helpers->v[i].name);
	free(helpers->v);
	free(helpers);
}

/* Index of the first entry with id >= `id`. */
static size_t lower_bound(const struct userbpf_helpers *h, uint32_t id)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct helpers_entry *helpers_find(const struct userbpf_helpers *helpers, uint32_t id)
{
	if (!helpers)
		return NULL;
	size_t i = lower_bound(helpers, id);
	return i < helpers->n && helpers->v[i].id == id ? &helpers->v[i] : NULL;
}

int userbpf_helpers__add(struct userbpf_helpers *helpers, uint32_t id, const char *name, userbpf_helper_fn fn,
			 void *cookie)
{
	if (!helpers || !name || !fn || id > INT32_MAX)
		return -EINVAL;
	size_t i = lower_bound(helpers, id);
	if (i < helpers->n && helpers->v[i].id == id)
		return -EEXIST;
	if (helpers->n == helpers->cap) {
		size_t cap = helpers->cap ? helpers->cap * 2 : 16;
		struct helpers_entry *v = realloc(helpers->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		helpers->v = v;
		helpers->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	memmove(&helpers->v[i + 1], &helpers->v[i], (helpers->n - i) * sizeof(helpers->v[0]));
	helpers->v[i] = (struct helpers_entry){.id = id, .name = copy, .fn = fn, .cookie = cookie};
	helpers->n++;
	return 0;
}

const char *userbpf_helpers__name(const struct userbpf_helpers *helpers, uint32_t id)
{
	const struct helpers_entry *e = helpers_find(helpers, id);
	return e ? e->name : NULL;
}

/* ---- the standard helpers ---------------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     const struct userbpf_call *call)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t ktime_get_boot_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *call)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static uint64_t ktime_get_coarse_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				    const struct userbpf_call *call)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

static uint64_t ktime_get_tai_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *call)
{
	return clock_ns(CLOCK_TAI);
}

/* Per-thread xorshift64*, seeded from the clock and the thread's own address: cheap, lock-free and
 * good enough for what bpf_get_prandom_u32 promises (not cryptographic). */
static __thread uint64_t prandom_state;

static uint64_t get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *call)
{
	uint64_t x = prandom_state;
	if (!x) {
		x = clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)&prandom_state ^ 0x9e3779b97f4a7c15u;
		if (!x)
			x = 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	prandom_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1du) >> 32);
}

/* The per-CPU slot of the calling thread (userbpf_this_cpu()), the one per-CPU maps use. */
static uint64_t get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				     const struct userbpf_call *call)
{
	return userbpf_this_cpu();
}

int helpers_add_table(struct userbpf_helpers *helpers, const struct helpers_def *tab, size_t n)
{
	if (!helpers)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int err = userbpf_helpers__add(helpers, tab[i].id, tab[i].name, tab[i].fn, NULL);
		if (err)
			return err;
	}
	return 0;
}

int userbpf_helpers__add_std(struct userbpf_helpers *helpers)
{
	/* Numbers from the kernel's enum bpf_func_id (include/uapi/linux/bpf.h). */
	static const struct helpers_def std[] = {
	    {5, "ktime_get_ns", ktime_get_ns},
	    {7, "get_prandom_u32", get_prandom_u32},
	    {8, "get_smp_processor_id", get_smp_processor_id},
	    {125, "ktime_get_boot_ns", ktime_get_boot_ns},
	    {160, "ktime_get_coarse_ns", ktime_get_coarse_ns},
	    {208, "ktime_get_tai_ns", ktime_get_tai_ns},
	};
	return helpers_add_table(helpers, std, sizeof(std) / sizeof(std[0]));
}
