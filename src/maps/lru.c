/*
 * lru.c - the LRU lists behind lru_hash and lru_percpu_hash, following the kernel's bpf_lru_list
 * algorithm so that eviction picks the same victims for the same sequence of operations on one CPU.
 *
 * Common LRU (default): one global list set (active, inactive, free) plus, per CPU slot, a local free
 * list and a local pending list. A CPU takes nodes from its local free list; when empty it flushes
 * its pending nodes into the global active/inactive lists, rotates them, and moves up to target_free
 * (= clamp(max_entries / nr_cpus / 2, 1, 128)) free nodes to its local list, evicting (shrinking the
 * inactive list from its tail, skipping referenced nodes, at most 128 scanned) to make up the count.
 * So, as in the kernel, an LRU map may evict before it is full, several elements at once. When no
 * node can be found anywhere, nodes are stolen from the CPUs' local lists in turn.
 * BPF_F_NO_COMMON_LRU: one list set per CPU slot, max_entries / nr_cpus nodes each, 4 at a time.
 *
 * Locks: a local list's lock, then the global list's, then (inside `del`) a hash bucket's.
 */
#include "maps/map.h"

#include <stdlib.h>

#define LOCAL_FREE_TARGET  128
#define LOCAL_NR_SCANS	   LOCAL_FREE_TARGET
#define PERCPU_FREE_TARGET 4
#define PERCPU_NR_SCANS	   PERCPU_FREE_TARGET

struct lru_list {
	uint32_t lock;
	struct map_lru_node lists[3]; /* sentinels: active, inactive, free */
	uint32_t counts[2];	      /* active, inactive */
	struct map_lru_node *next_inactive_rotation;
};

struct lru_local {
	uint32_t lock;
	uint32_t next_steal;
	struct map_lru_node free;
	struct map_lru_node pending;
};

struct map_lru {
	bool percpu;
	uint32_t nr_cpus;
	uint32_t nr_scans;
	uint32_t target_free;
	ptrdiff_t hash_off;
	bool (*del)(void *arg, struct map_lru_node *n);
	void *arg;
	struct lru_list *lists; /* percpu: nr_cpus, else 1 */
	struct lru_local *locals;
};

/* ---- list primitives (circular, with sentinels) ------------------------------------------------ */

static inline void l_init(struct map_lru_node *h)
{
	h->prev = h->next = h;
}

static inline bool l_empty(const struct map_lru_node *h)
{
	return h->next == h;
}

static inline void l_del(struct map_lru_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline void l_add(struct map_lru_node *h, struct map_lru_node *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static inline void l_move(struct map_lru_node *h, struct map_lru_node *n)
{
	l_del(n);
	l_add(h, n);
}

static inline uint8_t type_of(const struct map_lru_node *n)
{
	return __atomic_load_n(&n->type, __ATOMIC_RELAXED);
}

static inline void set_type(struct map_lru_node *n, uint8_t t)
{
	__atomic_store_n(&n->type, t, __ATOMIC_RELAXED);
}

static inline bool is_ref(const struct map_lru_node *n)
{
	return __atomic_load_n(&n->ref, __ATOMIC_RELAXED);
}

static inline void clear_ref(struct map_lru_node *n)
{
	__atomic_store_n(&n->ref, 0, __ATOMIC_RELAXED);
}

static inline void count_inc(struct lru_list *l, uint8_t t)
{
	if (t < 2)
		l->counts[t]++;
}

static inline void count_dec(struct lru_list *l, uint8_t t)
{
	if (t < 2)
		l->counts[t]--;
}

/* ---- moves within a list set ------------------------------------------------------------------- */

/* Between or within active and inactive (and to free), clearing the reference bit. */
static void node_move(struct lru_list *l, struct map_lru_node *n, uint8_t tgt)
{
	uint8_t t = type_of(n);
	if (t != tgt) {
		count_dec(l, t);
		count_inc(l, tgt);
		set_type(n, tgt);
	}
	clear_ref(n);
	if (n == l->next_inactive_rotation)
		l->next_inactive_rotation = n->prev;
	l_move(&l->lists[tgt], n);
}

/* From a local list into the list set. */
static void node_move_in(struct lru_list *l, struct map_lru_node *n, uint8_t tgt)
{
	count_inc(l, tgt);
	set_type(n, tgt);
	clear_ref(n);
	l_move(&l->lists[tgt], n);
}

static void node_move_to_free(struct lru_list *l, struct map_lru_node *n, struct map_lru_node *free_head,
			      uint8_t free_type)
{
	if (n == l->next_inactive_rotation)
		l->next_inactive_rotation = n->prev;
	count_dec(l, type_of(n));
	set_type(n, free_type);
	l_move(free_head, n);
}

/* Tail of active: referenced nodes back to its head, the others to the inactive list. */
static void rotate_active(struct map_lru *lru, struct lru_list *l)
{
	struct map_lru_node *active = &l->lists[MAP_LRU_ACTIVE], *first = active->next, *n, *prev;
	uint32_t i = 0;
	for (n = active->prev; n != active; n = prev) {
		prev = n->prev;
		node_move(l, n, is_ref(n) ? MAP_LRU_ACTIVE : MAP_LRU_INACTIVE);
		if (++i == lru->nr_scans || n == first)
			break;
	}
}

/* From the rotation point backwards: referenced inactive nodes go to the active list. */
static void rotate_inactive(struct map_lru *lru, struct lru_list *l)
{
	struct map_lru_node *inactive = &l->lists[MAP_LRU_INACTIVE], *cur, *last, *next = inactive;
	uint32_t i = 0;
	if (l_empty(inactive))
		return;
	last = l->next_inactive_rotation->next;
	if (last == inactive)
		last = last->next;
	cur = l->next_inactive_rotation;
	while (i < lru->nr_scans) {
		if (cur == inactive) {
			cur = cur->prev;
			continue;
		}
		next = cur->prev;
		if (is_ref(cur))
			node_move(l, cur, MAP_LRU_ACTIVE);
		if (cur == last)
			break;
		cur = next;
		i++;
	}
	l->next_inactive_rotation = next;
}

static void rotate(struct map_lru *lru, struct lru_list *l)
{
	if (l->counts[MAP_LRU_INACTIVE] < l->counts[MAP_LRU_ACTIVE])
		rotate_active(lru, l);
	rotate_inactive(lru, l);
}

static uint32_t shrink_inactive(struct map_lru *lru, struct lru_list *l, uint32_t tgt,
				struct map_lru_node *free_head, uint8_t free_type)
{
	struct map_lru_node *inactive = &l->lists[MAP_LRU_INACTIVE], *n, *prev;
	uint32_t done = 0, i = 0;
	for (n = inactive->prev; n != inactive; n = prev) {
		prev = n->prev;
		if (is_ref(n)) {
			node_move(l, n, MAP_LRU_ACTIVE);
		} else if (lru->del(lru->arg, n)) {
			node_move_to_free(l, n, free_head, free_type);
			if (++done == tgt)
				break;
		}
		if (++i == lru->nr_scans)
			break;
	}
	return done;
}

/* Evict up to `tgt` nodes onto free_head; if none would go, force out one (inactive first). */
static uint32_t shrink(struct map_lru *lru, struct lru_list *l, uint32_t tgt, struct map_lru_node *free_head,
		       uint8_t free_type)
{
	uint32_t done = shrink_inactive(lru, l, tgt, free_head, free_type);
	if (done)
		return done;
	struct map_lru_node *h =
	    !l_empty(&l->lists[MAP_LRU_INACTIVE]) ? &l->lists[MAP_LRU_INACTIVE] : &l->lists[MAP_LRU_ACTIVE];
	for (struct map_lru_node *n = h->prev, *prev; n != h; n = prev) {
		prev = n->prev;
		if (lru->del(lru->arg, n)) {
			node_move_to_free(l, n, free_head, free_type);
			return 1;
		}
	}
	return 0;
}

/* ---- common LRU -------------------------------------------------------------------------------- */

static void local_flush(struct lru_list *l, struct lru_local *loc)
{
	for (struct map_lru_node *n = loc->pending.prev, *prev; n != &loc->pending; n = prev) {
		prev = n->prev;
		node_move_in(l, n, is_ref(n) ? MAP_LRU_ACTIVE : MAP_LRU_INACTIVE);
	}
}

/* Refill a CPU's local free list from the global lists (loc's lock held). */
static void pop_free_to_local(struct map_lru *lru, struct lru_local *loc)
{
	struct lru_list *l = &lru->lists[0];
	struct map_lru_node tmp, *n, *next;
	uint32_t nfree = 0;
	l_init(&tmp);
	map_spin_lock(&l->lock);
	local_flush(l, loc);
	rotate(lru, l);
	for (n = l->lists[MAP_LRU_FREE].next; n != &l->lists[MAP_LRU_FREE]; n = next) {
		next = n->next;
		node_move_to_free(l, n, &tmp, MAP_LRU_LOCAL_FREE);
		if (++nfree == lru->target_free)
			break;
	}
	if (nfree < lru->target_free)
		shrink(lru, l, lru->target_free - nfree, &tmp, MAP_LRU_LOCAL_FREE);
	map_spin_unlock(&l->lock);
	/* The kernel hands them over through a LIFO llist: the same order here. */
	for (n = tmp.next; n != &tmp; n = next) {
		next = n->next;
		l_move(&loc->free, n);
	}
}

static struct map_lru_node *local_pop_free(struct lru_local *loc)
{
	struct map_lru_node *n = loc->free.next;
	if (n == &loc->free)
		return NULL;
	l_del(n);
	return n;
}

static struct map_lru_node *local_pop_pending(struct map_lru *lru, struct lru_local *loc)
{
	for (int force = 0; force < 2; force++) {
		for (struct map_lru_node *n = loc->pending.prev; n != &loc->pending; n = n->prev) {
			if ((!is_ref(n) || force) && lru->del(lru->arg, n)) {
				l_del(n);
				return n;
			}
		}
	}
	return NULL;
}

static void add_pending(struct map_lru *lru, struct lru_local *loc, uint32_t cpu, struct map_lru_node *n,
			uint32_t hash)
{
	__atomic_store_n((uint32_t *)(void *)((char *)n + lru->hash_off), hash, __ATOMIC_RELAXED);
	__atomic_store_n(&n->cpu, cpu, __ATOMIC_RELAXED);
	set_type(n, MAP_LRU_LOCAL_PENDING);
	clear_ref(n);
	l_add(&loc->pending, n);
}

static struct map_lru_node *common_pop_free(struct map_lru *lru, uint32_t hash)
{
	uint32_t cpu = userbpf_this_cpu() % lru->nr_cpus;
	struct lru_local *loc = &lru->locals[cpu];
	struct map_lru_node *n;

	map_spin_lock(&loc->lock);
	n = local_pop_free(loc);
	if (!n) {
		pop_free_to_local(lru, loc);
		n = local_pop_free(loc);
	}
	if (n)
		add_pending(lru, loc, cpu, n, hash);
	map_spin_unlock(&loc->lock);
	if (n)
		return n;

	/* Nothing free anywhere: steal from the CPUs' local lists in turn. */
	uint32_t first = __atomic_load_n(&loc->next_steal, __ATOMIC_RELAXED), steal = first;
	do {
		struct lru_local *sl = &lru->locals[steal];
		map_spin_lock(&sl->lock);
		n = local_pop_free(sl);
		if (!n)
			n = local_pop_pending(lru, sl);
		map_spin_unlock(&sl->lock);
		steal = (steal + 1) % lru->nr_cpus;
	} while (!n && steal != first);
	__atomic_store_n(&loc->next_steal, steal, __ATOMIC_RELAXED);
	if (n) {
		map_spin_lock(&loc->lock);
		add_pending(lru, loc, cpu, n, hash);
		map_spin_unlock(&loc->lock);
	}
	return n;
}

static void common_push_free(struct map_lru *lru, struct map_lru_node *n)
{
	if (type_of(n) == MAP_LRU_LOCAL_PENDING) {
		struct lru_local *loc = &lru->locals[__atomic_load_n(&n->cpu, __ATOMIC_RELAXED)];
		map_spin_lock(&loc->lock);
		if (type_of(n) == MAP_LRU_LOCAL_PENDING) {
			set_type(n, MAP_LRU_LOCAL_FREE);
			clear_ref(n);
			l_move(&loc->free, n);
			map_spin_unlock(&loc->lock);
			return;
		}
		map_spin_unlock(&loc->lock);
	}
	struct lru_list *l = &lru->lists[0];
	map_spin_lock(&l->lock);
	node_move(l, n, MAP_LRU_FREE);
	map_spin_unlock(&l->lock);
}

/* ---- per-CPU LRU (BPF_F_NO_COMMON_LRU) --------------------------------------------------------- */

static struct map_lru_node *percpu_pop_free(struct map_lru *lru, uint32_t hash)
{
	struct lru_list *l = &lru->lists[userbpf_this_cpu() % lru->nr_cpus];
	struct map_lru_node *fl = &l->lists[MAP_LRU_FREE], *n = NULL;
	map_spin_lock(&l->lock);
	rotate(lru, l);
	if (l_empty(fl))
		shrink(lru, l, PERCPU_FREE_TARGET, fl, MAP_LRU_FREE);
	if (!l_empty(fl)) {
		n = fl->next;
		__atomic_store_n((uint32_t *)(void *)((char *)n + lru->hash_off), hash, __ATOMIC_RELAXED);
		clear_ref(n);
		node_move(l, n, MAP_LRU_INACTIVE);
	}
	map_spin_unlock(&l->lock);
	return n;
}

static void percpu_push_free(struct map_lru *lru, struct map_lru_node *n)
{
	struct lru_list *l = &lru->lists[__atomic_load_n(&n->cpu, __ATOMIC_RELAXED)];
	map_spin_lock(&l->lock);
	node_move(l, n, MAP_LRU_FREE);
	map_spin_unlock(&l->lock);
}

/* ---- interface --------------------------------------------------------------------------------- */

struct map_lru_node *map_lru_pop_free(struct map_lru *lru, uint32_t hash)
{
	return lru->percpu ? percpu_pop_free(lru, hash) : common_pop_free(lru, hash);
}

void map_lru_push_free(struct map_lru *lru, struct map_lru_node *n)
{
	if (lru->percpu)
		percpu_push_free(lru, n);
	else
		common_push_free(lru, n);
}

void map_lru_populate(struct map_lru *lru, char *buf, size_t node_off, size_t elem_size, uint32_t nr)
{
	if (!nr)
		return;
	if (!lru->percpu) {
		struct lru_list *l = &lru->lists[0];
		for (uint32_t i = 0; i < nr; i++) {
			struct map_lru_node *n =
			    (struct map_lru_node *)(void *)(buf + node_off + (size_t)i * elem_size);
			n->type = MAP_LRU_FREE;
			n->ref = 0;
			l_add(&l->lists[MAP_LRU_FREE], n);
		}
		uint32_t t = nr / lru->nr_cpus / 2;
		lru->target_free = t < 1 ? 1 : t > LOCAL_FREE_TARGET ? LOCAL_FREE_TARGET : t;
		return;
	}
	uint32_t per = nr / lru->nr_cpus, i = 0;
	if (!per)
		per = 1;
	for (uint32_t cpu = 0; cpu < lru->nr_cpus && i < nr; cpu++) {
		for (uint32_t k = 0; k < per && i < nr; k++, i++) {
			struct map_lru_node *n =
			    (struct map_lru_node *)(void *)(buf + node_off + (size_t)i * elem_size);
			n->cpu = cpu;
			n->type = MAP_LRU_FREE;
			n->ref = 0;
			l_add(&lru->lists[cpu].lists[MAP_LRU_FREE], n);
		}
	}
}

struct map_lru *map_lru_new(bool percpu, uint32_t nr_cpus, ptrdiff_t hash_off,
			    bool (*del)(void *arg, struct map_lru_node *n), void *arg)
{
	struct map_lru *lru = calloc(1, sizeof(*lru));
	if (!lru)
		return NULL;
	lru->percpu = percpu;
	lru->nr_cpus = nr_cpus ? nr_cpus : 1;
	lru->nr_scans = percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
	lru->target_free = 1;
	lru->hash_off = hash_off;
	lru->del = del;
	lru->arg = arg;
	uint32_t nl = percpu ? lru->nr_cpus : 1;
	lru->lists = calloc(nl, sizeof(*lru->lists));
	if (!percpu)
		lru->locals = calloc(lru->nr_cpus, sizeof(*lru->locals));
	if (!lru->lists || (!percpu && !lru->locals)) {
		map_lru_destroy(lru);
		return NULL;
	}
	for (uint32_t i = 0; i < nl; i++) {
		struct lru_list *l = &lru->lists[i];
		for (int t = 0; t < 3; t++)
			l_init(&l->lists[t]);
		l->next_inactive_rotation = &l->lists[MAP_LRU_INACTIVE];
	}
	for (uint32_t i = 0; !percpu && i < lru->nr_cpus; i++) {
		l_init(&lru->locals[i].free);
		l_init(&lru->locals[i].pending);
		lru->locals[i].next_steal = i;
	}
	return lru;
}

void map_lru_destroy(struct map_lru *lru)
{
	if (!lru)
		return;
	free(lru->lists);
	free(lru->locals);
	free(lru);
}
