/*
 * prog_ids.c - program ids and references: every loaded program gets a unique id (never reused, as
 * the kernel's), found through a global registry so that prog_array values (u32 program ids) resolve
 * to programs. A program lives while the host's handle or a prog_array slot holds a reference;
 * userbpf_prog__free drops the host's. (As in the kernel, a program that references a prog_array
 * holding itself keeps both alive until the slot is cleared.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "vm.h"

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static struct userbpf_prog **ids_v; /* sorted by id (ids only grow) */
static size_t ids_n, ids_cap;
static uint32_t ids_last;

static size_t ids_lower_bound(uint32_t id)
{
	size_t lo = 0, hi = ids_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids_v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* prog_array's view: the program with `id`, with a reference taken, or NULL (errno ENOENT). */
static void *ids_get(uint32_t id)
{
	struct userbpf_prog *p = NULL;
	pthread_mutex_lock(&ids_lock);
	size_t i = ids_lower_bound(id);
	if (i < ids_n && ids_v[i]->id == id) {
		p = ids_v[i];
		p->refcnt++;
	}
	pthread_mutex_unlock(&ids_lock);
	if (!p)
		errno = ENOENT;
	return p;
}

static void ids_put(void *prog)
{
	vm_prog_put(prog);
}

static void ids_init(void)
{
	map_set_prog_resolver(ids_get, ids_put);
}

int vm_prog_register(struct userbpf_prog *prog)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, ids_init);
	int err = 0;
	pthread_mutex_lock(&ids_lock);
	if (ids_n == ids_cap) {
		size_t cap = ids_cap ? ids_cap * 2 : 64;
		struct userbpf_prog **v = realloc(ids_v, cap * sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		ids_v = v;
		ids_cap = cap;
	}
	if (ids_last == UINT32_MAX) {
		err = -ENOSPC;
		goto out;
	}
	prog->id = ++ids_last;
	prog->refcnt = 1;
	ids_v[ids_n++] = prog;
out:
	pthread_mutex_unlock(&ids_lock);
	return err;
}

void vm_prog_put(struct userbpf_prog *prog)
{
	if (!prog)
		return;
	bool last = false;
	if (prog->id) {
		pthread_mutex_lock(&ids_lock);
		last = --prog->refcnt == 0;
		if (last) {
			size_t i = ids_lower_bound(prog->id);
			if (i < ids_n && ids_v[i] == prog) {
				memmove(&ids_v[i], &ids_v[i + 1], (ids_n - i - 1) * sizeof(ids_v[0]));
				ids_n--;
			}
		}
		pthread_mutex_unlock(&ids_lock);
	} else
		last = true; /* never registered (a failed load) */
	if (last)
		vm_prog_destroy(prog);
}

uint32_t userbpf_prog__id(const struct userbpf_prog *prog)
{
	return prog ? prog->id : 0;
}
