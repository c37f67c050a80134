/*
 * test_maps_kernel.c - the same map operations on a kernel map (through bpf()) and on a userbpf map,
 * comparing every return code, every value read, and the final contents: creation errors, hash and
 * array flags, per-CPU layouts, LRU eviction (pinned to CPU 0), LPM matches and get_next_key order,
 * queue/stack. Skips, visibly, where bpf() is refused.
 */
#include "test.h"

#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "maps/map.h"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int kcreate(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, uint64_t extra)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	a.map_extra = extra;
	int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : fd;
}

static int kelem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a) < 0 ? -errno : 0;
}

static int knext(int fd, const void *key, void *next)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.next_key = (uint64_t)(uintptr_t)next;
	return sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0 ? -errno : 0;
}

static int kernel_ok = -1;

static bool have_kernel(void)
{
	if (kernel_ok < 0) {
		int fd = kcreate(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 0);
		kernel_ok = fd >= 0;
		if (fd >= 0)
			close(fd);
		/* Kernel maps live on the CPU the syscall runs on: stay on CPU 0, and use slot 0. */
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
		userbpf_set_this_cpu(0);
	}
	return kernel_ok;
}

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		if (!have_kernel())                                                                          \
			SKIP("bpf() refused here: no kernel to compare with");                               \
	} while (0)

/* A kernel map and a userbpf map made alike. */
struct pair {
	int fd;
	struct userbpf_map *m;
	uint32_t ks, vs; /* vs as user space sees it */
};

static bool mkpair(struct pair *p, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct userbpf_map_create_opts o =
	    USERBPF_OPTS_INIT(userbpf_map_create_opts, .map_flags = flags, .spin_lock_off = -1);
	p->fd = kcreate(type, ks, vs, max, flags, 0);
	p->m = userbpf_map_create((enum userbpf_map_type)type, "p", ks, vs, max, &o);
	p->ks = ks;
	p->vs = vs;
	if (p->m && p->m->percpu)
		p->vs = MAP_ROUND_UP(vs, 8) * userbpf_nr_cpus();
	if (p->fd < 0 || !p->m) {
		fprintf(stderr, "create type %u: kernel %d, userbpf %s\n", type, p->fd,
			p->m ? "ok" : "failed");
		test_failed_now = 1;
		return false;
	}
	return true;
}

static void rmpair(struct pair *p)
{
	if (p->fd >= 0)
		close(p->fd);
	userbpf_map__free(p->m);
}

static int bad_ops;

static void same(int k, int u, const char *what, int step)
{
	if (k == -524) /* the kernel's internal ENOTSUPP: userbpf says EOPNOTSUPP */
		k = -EOPNOTSUPP;
	if (k != u) {
		if (bad_ops++ < 10)
			fprintf(stderr, "step %d %s: kernel %d, userbpf %d\n", step, what, k, u);
		test_failed_now = 1;
	}
}

static void op_update(struct pair *p, const void *key, const void *val, uint64_t flags, int step)
{
	same(kelem(BPF_MAP_UPDATE_ELEM, p->fd, key, (void *)(uintptr_t)val, flags),
	     userbpf_map_update_elem(p->m, key, val, flags), "update", step);
}

static void op_delete(struct pair *p, const void *key, int step)
{
	same(kelem(BPF_MAP_DELETE_ELEM, p->fd, key, NULL, 0), userbpf_map_delete_elem(p->m, key), "delete",
	     step);
}

static void op_lookup(struct pair *p, const void *key, int step)
{
	unsigned char kv[4096], uv[4096];
	memset(kv, 0xaa, p->vs);
	memset(uv, 0xaa, p->vs);
	int kr = kelem(BPF_MAP_LOOKUP_ELEM, p->fd, key, kv, 0), ur = userbpf_map_lookup_elem(p->m, key, uv);
	same(kr, ur, "lookup", step);
	if (!kr && !ur && memcmp(kv, uv, p->vs) != 0) {
		same(0, 1, "lookup value", step);
		if (bad_ops < 12) {
			for (uint32_t i = 0; i < p->vs; i++)
				fprintf(stderr, "%02x/%02x ", kv[i], uv[i]);
			fprintf(stderr, "\n");
		}
	}
}

static void op_lookup_and_delete(struct pair *p, const void *key, int step)
{
	unsigned char kv[4096], uv[4096];
	memset(kv, 0xaa, p->vs);
	memset(uv, 0xaa, p->vs);
	int kr = kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, p->fd, key, kv, 0);
	int ur = userbpf_map_lookup_and_delete_elem(p->m, key, uv);
	same(kr, ur, "lookup_and_delete", step);
	if (!kr && !ur && memcmp(kv, uv, p->vs) != 0)
		same(0, 1, "lookup_and_delete value", step);
}

/* Final contents, compared as sets (iteration orders differ for hash maps). */
static void same_contents(struct pair *p)
{
	unsigned char key[64], next[64];
	int n = 0, rk, ru;
	void *prev = NULL;
	while ((rk = knext(p->fd, prev, next)) == 0 && n < 100000) {
		unsigned char kv[4096], uv[4096];
		memcpy(key, next, p->ks);
		prev = key;
		n++;
		rk = kelem(BPF_MAP_LOOKUP_ELEM, p->fd, key, kv, 0);
		ru = userbpf_map_lookup_elem(p->m, key, uv);
		same(rk, ru, "final lookup", n);
		if (!rk && !ru && memcmp(kv, uv, p->vs))
			same(0, 1, "final value", n);
	}
	int m = 0;
	prev = NULL;
	while (userbpf_map_get_next_key(p->m, prev, next) == 0 && m < 100000) {
		memcpy(key, next, p->ks);
		prev = key;
		m++;
	}
	same(n, m, "element count", 0);
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

TEST(kernel_create_errors)
{
	NEED_KERNEL();
	static const struct {
		uint32_t type, ks, vs, max, flags;
	} c[] = {
	    {BPF_MAP_TYPE_ARRAY, 8, 4, 4, 0},
	    {BPF_MAP_TYPE_ARRAY, 4, 0, 4, 0},
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 0, 0},
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 4, BPF_F_MMAPABLE},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 4, BPF_F_MMAPABLE},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40000, 4, 0},
	    {BPF_MAP_TYPE_HASH, 0, 4, 4, 0},
	    {BPF_MAP_TYPE_HASH, 4, 0, 4, 0},
	    {BPF_MAP_TYPE_HASH, 4, 4, 0, 0},
	    {BPF_MAP_TYPE_HASH, 600, 4, 4, 0},
	    {BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_NO_COMMON_LRU},
	    {BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_HASH, 4, 4, 4, 1u << 15},
	    {BPF_MAP_TYPE_LRU_HASH, 4, 4, 4, BPF_F_NO_COMMON_LRU},
	    {BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 4, 0},
	    {BPF_MAP_TYPE_QUEUE, 4, 4, 4, 0},
	    {BPF_MAP_TYPE_QUEUE, 0, 0, 4, 0},
	    {BPF_MAP_TYPE_QUEUE, 0, 4, 0, 0},
	    {BPF_MAP_TYPE_STACK, 0, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 4, 0},
	    {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_LPM_TRIE, 4, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_LPM_TRIE, 261, 4, 4, BPF_F_NO_PREALLOC},
	    {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0},
	    {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096 * 3, 0},
	    {BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0},
	    {BPF_MAP_TYPE_RINGBUF, 0, 0, 1024, 0},
	    {BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 100, 0},
	    {BPF_MAP_TYPE_BLOOM_FILTER, 4, 8, 100, 0},
	    {BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0},
	    {BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 8, 4, 0},
	    {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0},
	    {BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0},
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0},
	    {BPF_MAP_TYPE_DEVMAP, 4, 6, 4, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int fd = kcreate(c[i].type, c[i].ks, c[i].vs, c[i].max, c[i].flags, 0);
		errno = 0;
		struct userbpf_map_create_opts o =
		    USERBPF_OPTS_INIT(userbpf_map_create_opts, .map_flags = c[i].flags, .spin_lock_off = -1);
		struct userbpf_map *m = userbpf_map_create((enum userbpf_map_type)c[i].type, NULL, c[i].ks,
							   c[i].vs, c[i].max, &o);
		int u = m ? 0 : -errno;
		int k = fd >= 0 ? 0 : fd;
		/* The kernel's -ENOTSUPP (524) is -EOPNOTSUPP for user space programs here. */
		if (k == -524)
			k = -EOPNOTSUPP;
		if (k != u) {
			fprintf(stderr,
				"case %zu (type %u ks %u vs %u max %u flags 0x%x): kernel %d, userbpf %d\n",
				i, c[i].type, c[i].ks, c[i].vs, c[i].max, c[i].flags, k, u);
			test_failed_now = 1;
		}
		if (fd >= 0)
			close(fd);
		userbpf_map__free(m);
	}
}

static void random_hash_ops(struct pair *p, uint32_t keyspace, int steps, uint32_t seed)
{
	unsigned char key[64] = {0}, val[4096];
	for (int i = 0; i < steps; i++) {
		uint32_t k = rnd(&seed) % keyspace, op = rnd(&seed) % 10;
		memset(key, 0, sizeof(key));
		memcpy(key, &k, 4);
		key[p->ks - 1] ^= (unsigned char)(k * 7);
		for (uint32_t j = 0; j < p->vs; j++)
			val[j] = (unsigned char)(k + j + (uint32_t)i);
		static const uint64_t flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, BPF_F_LOCK, 8};
		if (op < 5)
			op_update(p, key, val, op < 3 ? flags[op] : flags[rnd(&seed) % 6], i);
		else if (op < 7)
			op_delete(p, key, i);
		else if (op < 8)
			op_lookup_and_delete(p, key, i);
		else
			op_lookup(p, key, i);
	}
	same_contents(p);
}

TEST(kernel_hash_ops)
{
	NEED_KERNEL();
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH};
	for (int t = 0; t < 2; t++) {
		for (uint32_t flags = 0; flags <= BPF_F_NO_PREALLOC; flags += BPF_F_NO_PREALLOC) {
			struct pair p;
			if (!mkpair(&p, types[t], 6, 12, 16, flags))
				return;
			random_hash_ops(&p, 40, 3000, 7 + (uint32_t)t);
			rmpair(&p);
		}
	}
}

TEST(kernel_lru_eviction)
{
	NEED_KERNEL();
	static const struct {
		uint32_t type, max, flags, keyspace;
	} c[] = {
	    {BPF_MAP_TYPE_LRU_HASH, 4, 0, 10},
	    {BPF_MAP_TYPE_LRU_HASH, 32, 0, 100},
	    {BPF_MAP_TYPE_LRU_HASH, 300, 0, 1000},
	    {BPF_MAP_TYPE_LRU_HASH, 7, BPF_F_NO_COMMON_LRU, 30},
	    {BPF_MAP_TYPE_LRU_HASH, 64, BPF_F_NO_COMMON_LRU, 200},
	    {BPF_MAP_TYPE_LRU_PERCPU_HASH, 32, 0, 100},
	    {BPF_MAP_TYPE_LRU_PERCPU_HASH, 16, BPF_F_NO_COMMON_LRU, 60},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pair p;
		if (!mkpair(&p, c[i].type, 8, 8, c[i].max, c[i].flags))
			return;
		random_hash_ops(&p, c[i].keyspace, 4000, 100 + (uint32_t)i);
		rmpair(&p);
	}
}

TEST(kernel_array_ops)
{
	NEED_KERNEL();
	static const uint32_t types[] = {BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY};
	for (int t = 0; t < 2; t++) {
		struct pair p;
		if (!mkpair(&p, types[t], 4, 12, 8, 0))
			return;
		uint32_t seed = 3;
		unsigned char val[256];
		for (int i = 0; i < 500; i++) {
			uint32_t k = rnd(&seed) % 10, op = rnd(&seed) % 4;
			memset(val, i, sizeof(val));
			static const uint64_t flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, BPF_F_LOCK, 16};
			if (op < 2)
				op_update(&p, &k, val, flags[rnd(&seed) % 6], i);
			else if (op == 2)
				op_delete(&p, &k, i);
			else
				op_lookup(&p, &k, i);
		}
		uint32_t k = 7, next_k, next_u;
		same(knext(p.fd, &k, &next_k), userbpf_map_get_next_key(p.m, &k, &next_u), "next last", 0);
		k = 100;
		same(knext(p.fd, &k, &next_k), userbpf_map_get_next_key(p.m, &k, &next_u), "next out", 0);
		same((int)next_k, (int)next_u, "next out key", 0);
		same(knext(p.fd, NULL, &next_k), userbpf_map_get_next_key(p.m, NULL, &next_u), "next null",
		     0);
		same_contents(&p);
		rmpair(&p);
	}
}

struct lkey {
	uint32_t plen;
	uint8_t a[4];
};

TEST(kernel_lpm_trie)
{
	NEED_KERNEL();
	struct pair p;
	if (!mkpair(&p, BPF_MAP_TYPE_LPM_TRIE, 8, 4, 24, BPF_F_NO_PREALLOC))
		return;
	uint32_t seed = 11;
	for (int i = 0; i < 4000; i++) {
		struct lkey k = {rnd(&seed) % 34,
				 {10, (uint8_t)(rnd(&seed) & 0xf0), (uint8_t)(rnd(&seed) & 3), 0}};
		uint32_t v = (uint32_t)i, op = rnd(&seed) % 8;
		if (rnd(&seed) % 4 == 0)
			k.a[0] = (uint8_t)rnd(&seed);
		if (op < 3) {
			static const uint64_t flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3};
			op_update(&p, &k, &v, flags[rnd(&seed) % 4], i);
		} else if (op < 5) {
			op_delete(&p, &k, i);
		} else {
			k.plen = op == 7 ? 32 : k.plen;
			op_lookup(&p, &k, i);
		}
		if (i % 200 == 199) {
			/* get_next_key: the same keys in the same (postorder) order */
			struct lkey kk, ku, prevk, prevu;
			int rk = knext(p.fd, NULL, &kk), ru = userbpf_map_get_next_key(p.m, NULL, &ku), n = 0;
			while (!rk && !ru && n++ < 100) {
				if (memcmp(&kk, &ku, sizeof(kk))) {
					same(0, 1, "lpm next key", i);
					fprintf(stderr,
						"  #%d kernel %u.%u.%u.%u/%u userbpf %u.%u.%u.%u/%u\n", n,
						kk.a[0], kk.a[1], kk.a[2], kk.a[3], kk.plen, ku.a[0], ku.a[1],
						ku.a[2], ku.a[3], ku.plen);
				}
				prevk = kk;
				prevu = ku;
				rk = knext(p.fd, &prevk, &kk);
				ru = userbpf_map_get_next_key(p.m, &prevu, &ku);
			}
			same(rk, ru, "lpm next end", i);
		}
	}
	rmpair(&p);
}

TEST(kernel_queue_stack)
{
	NEED_KERNEL();
	static const uint32_t types[] = {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK};
	for (int t = 0; t < 2; t++) {
		struct pair p;
		if (!mkpair(&p, types[t], 0, 4, 5, 0))
			return;
		uint32_t seed = 5;
		for (int i = 0; i < 1000; i++) {
			uint32_t v = (uint32_t)i, kv = 0xdead, uv = 0xbeef, op = rnd(&seed) % 5;
			static const uint64_t flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, 4};
			if (op < 2) {
				op_update(&p, NULL, &v, flags[rnd(&seed) % 5], i);
			} else if (op == 2) {
				same(kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, p.fd, NULL, &kv, 0),
				     userbpf_map_lookup_and_delete_elem(p.m, NULL, &uv), "pop", i);
				same((int)kv, (int)(kv == 0xdead ? 0xdead : uv), "pop value", i);
			} else if (op == 3) {
				same(kelem(BPF_MAP_LOOKUP_ELEM, p.fd, NULL, &kv, 0),
				     userbpf_map_lookup_elem(p.m, NULL, &uv), "peek", i);
				same((int)kv, (int)(kv == 0xdead ? 0xdead : uv), "peek value", i);
			} else {
				same(kelem(BPF_MAP_DELETE_ELEM, p.fd, NULL, NULL, 0),
				     userbpf_map_delete_elem(p.m, NULL), "delete", i);
			}
		}
		rmpair(&p);
	}
}

/* A kernel program that looks up, in `lru_fd`, the u64 key stored at index 0 of `key_fd`: lookups
 * from programs set the LRU reference bit, host lookups do not. */
static int load_lookup_prog(int key_fd, int lru_fd)
{
	struct bpf_insn p[] = {
	    {.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = key_fd},
	    {0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
	    {.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 8, .imm = 0},
	    {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 3, .src_reg = 0},
	    {.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 3, .off = -16},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -16},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = lru_fd},
	    {0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = sizeof(p) / sizeof(p[0]);
	a.license = (uint64_t)(uintptr_t) "GPL";
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

static int run_prog(int fd)
{
	unsigned char pkt[64] = {0};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	return sys_bpf(BPF_PROG_TEST_RUN, &a) < 0 ? -errno : 0;
}

static uint32_t kmax_entries(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0 ? 0 : info.max_entries;
}

TEST(kernel_lru_reference_bits)
{
	NEED_KERNEL();
	static const struct {
		uint32_t type, max, flags, keyspace;
	} c[] = {
	    {BPF_MAP_TYPE_LRU_HASH, 8, 0, 20},		{BPF_MAP_TYPE_LRU_HASH, 64, 0, 150},
	    {BPF_MAP_TYPE_LRU_HASH, 600, 0, 1500},	{BPF_MAP_TYPE_LRU_HASH, 9, BPF_F_NO_COMMON_LRU, 40},
	    {BPF_MAP_TYPE_LRU_PERCPU_HASH, 64, 0, 150},
	};
	int key_fd = kcreate(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, 0);
	CHECK(key_fd >= 0);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]) && key_fd >= 0; i++) {
		struct pair p;
		if (!mkpair(&p, c[i].type, 8, 8, c[i].max, c[i].flags))
			break;
		same((int)kmax_entries(p.fd), (int)userbpf_map__max_entries(p.m), "max_entries", 0);
		int prog = load_lookup_prog(key_fd, p.fd);
		if (prog < 0) {
			rmpair(&p);
			SKIP("the kernel refused the lookup program (%d)", prog);
		}
		uint32_t seed = 77 + (uint32_t)i;
		uint64_t val[64] = {0};
		for (int s = 0; s < 6000; s++) {
			uint64_t k = rnd(&seed) % c[i].keyspace;
			uint32_t op = rnd(&seed) % 10, zero = 0;
			val[0] = k + (uint64_t)s;
			if (op < 4) {
				op_update(&p, &k, val, rnd(&seed) % 3, s);
			} else if (op < 5) {
				op_delete(&p, &k, s);
			} else if (op < 6) {
				op_lookup(&p, &k, s);
			} else {
				/* a lookup from a program on both sides */
				kelem(BPF_MAP_UPDATE_ELEM, key_fd, &zero, &k, 0);
				same(run_prog(prog), 0, "test run", s);
				(void)map_lookup(p.m, &k);
			}
		}
		same_contents(&p);
		close(prog);
		rmpair(&p);
	}
	if (key_fd >= 0)
		close(key_fd);
}

static int kbatch(int cmd, int fd, void *in, void *out, void *keys, void *values, uint32_t *count,
		  uint64_t elem_flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.batch.map_fd = (uint32_t)fd;
	a.batch.in_batch = (uint64_t)(uintptr_t)in;
	a.batch.out_batch = (uint64_t)(uintptr_t)out;
	a.batch.keys = (uint64_t)(uintptr_t)keys;
	a.batch.values = (uint64_t)(uintptr_t)values;
	a.batch.count = *count;
	a.batch.elem_flags = elem_flags;
	int r = sys_bpf(cmd, &a) < 0 ? -errno : 0;
	*count = a.batch.count;
	return r;
}

TEST(kernel_array_batch)
{
	NEED_KERNEL();
	struct pair p;
	if (!mkpair(&p, BPF_MAP_TYPE_ARRAY, 4, 8, 10, 0))
		return;
	uint32_t keys[16], kk[16], uk[16], nk, nu, inb = 0, kout = 0, uout = 0;
	uint64_t vals[16], kv[16], uv[16];
	for (uint32_t i = 0; i < 16; i++) {
		keys[i] = i;
		vals[i] = i * 11;
	}
	nk = nu = 12; /* the last two keys are out of range */
	same(kbatch(BPF_MAP_UPDATE_BATCH, p.fd, NULL, NULL, keys, vals, &nk, 0),
	     userbpf_map_update_batch(p.m, keys, vals, &nu, NULL), "update batch", 0);
	same((int)nk, (int)nu, "update batch count", 0);
	for (int round = 0; round < 5; round++) {
		nk = nu = 4;
		memset(kv, 0, sizeof(kv));
		memset(uv, 0, sizeof(uv));
		int rk = kbatch(BPF_MAP_LOOKUP_BATCH, p.fd, round ? &inb : NULL, &kout, kk, kv, &nk, 0);
		int ru = userbpf_map_lookup_batch(p.m, round ? &inb : NULL, &uout, uk, uv, &nu, NULL);
		same(rk, ru, "lookup batch", round);
		same((int)nk, (int)nu, "lookup batch count", round);
		if (nk == nu && (memcmp(kk, uk, nk * 4) || memcmp(kv, uv, nk * 8)))
			same(0, 1, "lookup batch contents", round);
		same((int)kout, (int)uout, "out_batch", round);
		inb = kout;
		if (rk)
			break;
	}
	nk = nu = 3;
	same(kbatch(BPF_MAP_DELETE_BATCH, p.fd, NULL, NULL, keys, NULL, &nk, 0),
	     userbpf_map_delete_batch(p.m, keys, &nu, NULL), "delete batch", 0);
	same((int)nk, (int)nu, "delete batch count", 0);
	rmpair(&p);
}

/* A kernel program: ringbuf_output(rb, stack, size, 0); return the error, or PROD_POS when it worked. */
static int load_rb_prog(int rb_fd, int32_t size)
{
	struct bpf_insn p[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -256},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = rb_fd},
	    {0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = size},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = 0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ringbuf_output},
	    {.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 0, .off = 5, .imm = 0},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = rb_fd},
	    {0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = BPF_RB_PROD_POS},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ringbuf_query},
	    {.code = BPF_JMP | BPF_EXIT},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	/* the stack bytes must be initialised for the verifier: zero 256 bytes first */
	struct bpf_insn full[64 + sizeof(p) / sizeof(p[0])];
	size_t n = 0;
	for (int off = -256; off < 0; off += 8)
		full[n++] =
		    (struct bpf_insn){.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = (int16_t)off};
	memcpy(full + n, p, sizeof(p));
	n += sizeof(p) / sizeof(p[0]);
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)full;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

static int64_t run_prog_ret(int fd)
{
	unsigned char pkt[64] = {0};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		return -10000 - errno;
	return (int64_t)(int32_t)a.test.retval;
}

TEST(kernel_ringbuf_fill)
{
	NEED_KERNEL();
	static const int32_t sizes[] = {1, 8, 13, 100, 248, 256};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = kcreate(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0);
		struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
		CHECK(fd >= 0 && m);
		int prog = fd >= 0 ? load_rb_prog(fd, sizes[i]) : -1;
		if (prog < 0) {
			if (fd >= 0)
				close(fd);
			userbpf_map__free(m);
			SKIP("the kernel refused the ringbuf program (%d)", prog);
		}
		unsigned char data[256] = {0};
		for (int s = 0; s < 600; s++) {
			int64_t k = run_prog_ret(prog);
			long u = map_ringbuf_output(m, data, (uint64_t)sizes[i], 0);
			int64_t uv = u ? u : (int64_t)map_ringbuf_query(m, MAP_RB_PROD_POS);
			same((int)k, (int)uv, "ringbuf_output / prod_pos", s);
			if (k < 0 && uv < 0)
				break;
		}
		close(prog);
		close(fd);
		userbpf_map__free(m);
	}
}

TEST(kernel_bloom_create)
{
	NEED_KERNEL();
	for (uint64_t extra = 0; extra <= 17; extra++) {
		int fd = kcreate(BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 100, 0, extra);
		struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(
		    userbpf_map_create_opts, .map_extra = (uint32_t)extra, .spin_lock_off = -1);
		errno = 0;
		struct userbpf_map *m =
		    userbpf_map_create(USERBPF_MAP_TYPE_BLOOM_FILTER, NULL, 0, 8, 100, &o);
		same(fd >= 0 ? 0 : fd, m ? 0 : -errno, "bloom create", (int)extra);
		if (fd >= 0 && m) {
			/* push flags, and no false negatives */
			uint64_t v = extra * 1000, flags[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3};
			for (int f = 0; f < 4; f++)
				op_update(&(struct pair){fd, m, 0, 8}, NULL, &v, flags[f], f);
			uint64_t kv = v, uv = v;
			same(kelem(BPF_MAP_LOOKUP_ELEM, fd, NULL, &kv, 0),
			     userbpf_map_lookup_elem(m, NULL, &uv), "bloom peek", (int)extra);
			same(kelem(BPF_MAP_DELETE_ELEM, fd, NULL, NULL, 0), userbpf_map_delete_elem(m, NULL),
			     "bloom delete", (int)extra);
		}
		if (fd >= 0)
			close(fd);
		userbpf_map__free(m);
	}
}

/* Hash batches go bucket by bucket (the buckets differ: the hash functions do), so compare what a
 * whole walk returns, and the errors: -ENOSPC when the first bucket does not fit, -ENOENT at the end. */
static int walk_batches(struct pair *p, bool kernel, uint32_t room, uint64_t *sum, int *first_err, bool del)
{
	uint32_t in = 0, out = 0, keys[64], total = 0;
	uint64_t vals[64];
	bool first = true;
	*sum = 0;
	for (int guard = 0; guard < 1000; guard++) {
		uint32_t n = room;
		int cmd = del ? BPF_MAP_LOOKUP_AND_DELETE_BATCH : BPF_MAP_LOOKUP_BATCH;
		int r = kernel ? kbatch(cmd, p->fd, first ? NULL : &in, &out, keys, vals, &n, 0)
			: del
			    ? userbpf_map_lookup_and_delete_batch(p->m, first ? NULL : &in, &out, keys, vals,
								  &n, NULL)
			    : userbpf_map_lookup_batch(p->m, first ? NULL : &in, &out, keys, vals, &n, NULL);
		if (first)
			*first_err = r;
		first = false;
		for (uint32_t i = 0; i < n; i++)
			*sum += keys[i] * 1000003ull + vals[i];
		total += n;
		in = out;
		if (r)
			return r == -ENOENT ? (int)total : r;
	}
	return -1;
}

TEST(kernel_hash_batch)
{
	NEED_KERNEL();
	struct pair p;
	if (!mkpair(&p, BPF_MAP_TYPE_HASH, 4, 8, 64, 0))
		return;
	for (uint32_t k = 0; k < 50; k++) {
		uint64_t v = k * 3;
		op_update(&p, &k, &v, 0, (int)k);
	}
	uint64_t ks, us;
	int kf, uf;
	/* room for 0: nothing done, success */
	same(walk_batches(&p, true, 0, &ks, &kf, false) >= 0,
	     walk_batches(&p, false, 0, &us, &uf, false) >= 0, "batch room 0", 0);
	same(kf, uf, "batch room 0 error", 0);
	/* room for 1 element at a time: fine unless a bucket holds two (then -ENOSPC, on both sides
	 * only if their buckets collide alike, so only the error kinds are compared) */
	int kt = walk_batches(&p, true, 64, &ks, &kf, false),
	    ut = walk_batches(&p, false, 64, &us, &uf, false);
	same(kt, ut, "batch total", 0);
	same(ks == us, 1, "batch contents", 0);
	kt = walk_batches(&p, true, 16, &ks, &kf, true);
	ut = walk_batches(&p, false, 16, &us, &uf, true);
	same(kt, ut, "lookup_and_delete batch total", 0);
	same(ks == us, 1, "lookup_and_delete batch contents", 0);
	same_contents(&p);
	rmpair(&p);
}

/* A kernel program: map_update_elem(map, &key, &value, flags) with key and value as immediates. */
static int load_update_prog(int map_fd, uint32_t key, uint64_t value, int32_t flags)
{
	struct bpf_insn p[] = {
	    {.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = (int32_t)key},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 3, .imm = (int32_t)(uint32_t)value},
	    {.imm = (int32_t)(uint32_t)(value >> 32)},
	    {.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 3, .off = -16},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 3, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 3, .imm = -16},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd},
	    {0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = flags},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_update_elem},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = sizeof(p) / sizeof(p[0]);
	a.license = (uint64_t)(uintptr_t) "GPL";
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

TEST(kernel_percpu_updates_from_programs)
{
	NEED_KERNEL();
	static const uint32_t types[] = {BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
					 BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct pair p;
		if (!mkpair(&p, types[t], 4, 8, 4, 0))
			return;
		uint32_t seed = 9;
		for (int s = 0; s < 40; s++) {
			uint32_t key = rnd(&seed) % 6;
			uint64_t value = 0x1111111100000000ull + (uint64_t)s;
			int32_t flags = (int32_t)(rnd(&seed) % 3);
			int prog = load_update_prog(p.fd, key, value, flags);
			if (prog < 0) {
				rmpair(&p);
				SKIP("the kernel refused the update program (%d)", prog);
			}
			int64_t k = run_prog_ret(prog);
			long u = map_update(p.m, &key, &value, (uint64_t)flags);
			same((int)k, (int)u, "program update", s);
			close(prog);
			if (rnd(&seed) % 4 == 0) {
				uint64_t all[64];
				for (unsigned int c = 0; c < userbpf_nr_cpus(); c++)
					all[c] = 0x2222000000000000ull + c + (uint64_t)s;
				op_update(&p, &key, all, 0, s);
			}
			op_lookup(&p, &key, s);
		}
		same_contents(&p);
		rmpair(&p);
	}
}
