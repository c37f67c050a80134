/*
 * kernel.h - the kernel backend: an object opened by userbpf (object.h) created in the Linux kernel
 * through bpf(), to run the same programs on the same maps there and compare.
 *
 * userbpf_kobject__load() creates every map of the object (legacy and BTF-defined, global data with
 * its initial contents, .rodata frozen, inner maps of map-in-map, initial `values` slots), loads the
 * object's BTF, patches the map references of the instructions with map fds and loads every program
 * whose autoload is on, with its type, expected attach type, license, kernel version, func info and
 * line info, keeping the verifier's log. Programs then run with BPF_PROG_TEST_RUN, and maps are read
 * and written back by name. Nothing is ever pinned: userbpf_kobject__close() closes every fd and
 * the kernel frees everything.
 *
 * Errors as libbpf's: 0/-errno, or NULL + errno; the reason is one line in the caller's log buffer,
 * naming the map or program, the kernel's errno and the tail of the verifier log.
 */
#ifndef USERBPF_KERNEL_H
#define USERBPF_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <userbpf/object.h>
#include <userbpf/packet.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Whether bpf() can load programs here: tries a trivial socket filter. 1 available; 0 refused, with
 * the reason in `why` (may be NULL), e.g. "bpf() refused: Operation not permitted".
 */
USERBPF_API int userbpf_kernel_available(char *why, size_t size);

/** Number of CPUs the kernel's per-CPU maps have slots for (possible CPUs), or -errno. */
USERBPF_API int userbpf_kernel_nr_cpus(void);

struct userbpf_kobject;

struct userbpf_kobject_opts {
	size_t sz;
	/** Why the load failed: one NUL-terminated line. May be NULL. */
	char *log_buf;
	size_t log_size;
	/**
	 * Verifier log level of the loads whose log is kept (0 means BPF_LOG_STATS, 4: a short
	 * summary). A refused program's kept log is always the tail of its level-1 log.
	 */
	uint32_t verifier_log_level;
	/** Room for each program's kept log (0: 64 KiB, grown up to 16 MiB when the kernel needs it). */
	size_t verifier_log_size;
	/**
	 * Load no BTF: maps without type ids, programs without func and line info. Without it, a
	 * BTF the kernel refuses fails the load (with the kernel's reason), rather than being dropped
	 * silently as libbpf does.
	 */
	bool no_btf;
};

/**
 * Create the object's maps and load its programs in the kernel. NULL + errno on failure (EPERM:
 * bpf() refused; EINVAL/EACCES...: the kernel's refusal), with nothing left in the kernel.
 * `obj` need not be loaded in userbpf and is not changed; it may be closed after this returns.
 */
USERBPF_API struct userbpf_kobject *userbpf_kobject__load(const struct userbpf_object *obj,
							  const struct userbpf_kobject_opts *opts);
/** Close every fd (maps, programs, BTF). Nothing is pinned, so nothing is left behind. */
USERBPF_API void userbpf_kobject__close(struct userbpf_kobject *kobj);

/** Fd of a loaded program by (function) name; -ENOENT if none (or its autoload was off). */
USERBPF_API int userbpf_kobject__prog_fd(const struct userbpf_kobject *kobj, const char *name);
/** Fd of a map by name (".rodata" etc. for global data); -ENOENT if none. */
USERBPF_API int userbpf_kobject__map_fd(const struct userbpf_kobject *kobj, const char *name);
/** Fd of the object's BTF in the kernel, or -ENOENT. */
USERBPF_API int userbpf_kobject__btf_fd(const struct userbpf_kobject *kobj);
/**
 * The verifier's log of program `name` (kept at load, NUL-terminated; "" when the kernel wrote none),
 * NULL + ENOENT if the object has no such program. Owned by kobj.
 */
USERBPF_API const char *userbpf_kobject__verifier_log(const struct userbpf_kobject *kobj, const char *name);

struct userbpf_ktest_run_opts {
	size_t sz;
	/** Packet in and (optional) room for the packet out; *_size_out is set to the bytes written. */
	const void *data_in;
	uint32_t data_size_in;
	void *data_out;
	uint32_t data_size_out;
	/** Context in (e.g. struct __sk_buff, struct xdp_md) and out, as the kernel takes them. */
	const void *ctx_in;
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;
	/** Runs (0 means 1); duration is the mean per run. */
	uint32_t repeat;
	/** BPF_F_TEST_* flags and CPU, passed as they are. */
	uint32_t flags;
	uint32_t cpu;
	/** Out: the program's return value (32 bits, as the kernel reports it) and ns per run. */
	uint32_t retval;
	uint32_t duration;
	/** Out on failure: one line (program, errno). May be NULL. */
	char *err_buf;
	size_t err_size;
};

/** BPF_PROG_TEST_RUN of program `prog_name`. 0 with opts->retval set, or -errno (-ENOENT: no such program).
 */
USERBPF_API int userbpf_kobject__test_run(const struct userbpf_kobject *kobj, const char *prog_name,
					  struct userbpf_ktest_run_opts *opts);

/*
 * Maps by name, as bpf_map_*_elem on their fds. Values of per-CPU maps are read and written as the
 * kernel presents them: value_size rounded up to 8, times userbpf_kernel_nr_cpus().
 */
/** Bytes a lookup writes for one value of map `name` (per-CPU aware), or -ENOENT. */
USERBPF_API long userbpf_kobject__map_value_size(const struct userbpf_kobject *kobj, const char *name);
USERBPF_API int userbpf_kobject__map_lookup(const struct userbpf_kobject *kobj, const char *name,
					    const void *key, void *value);
USERBPF_API int userbpf_kobject__map_update(const struct userbpf_kobject *kobj, const char *name,
					    const void *key, const void *value, uint64_t flags);
USERBPF_API int userbpf_kobject__map_delete(const struct userbpf_kobject *kobj, const char *name,
					    const void *key);
/** Queue/stack pop (key NULL), hash lookup-and-delete. */
USERBPF_API int userbpf_kobject__map_lookup_and_delete(const struct userbpf_kobject *kobj, const char *name,
						       const void *key, void *value);
/** First key for key == NULL, else the key after it; -ENOENT at the end. */
USERBPF_API int userbpf_kobject__map_get_next_key(const struct userbpf_kobject *kobj, const char *name,
						  const void *key, void *next_key);


/*
 * Packet programs in the kernel (kpkt.c): the kernel's twin of struct userbpf_pktrun (packet.h).
 * A struct userbpf_kpktrun runs one XDP, TC (SCHED_CLS/SCHED_ACT), socket filter or CGROUP_SKB
 * program of a kobject on packet after packet with BPF_PROG_TEST_RUN, building the context the
 * kernel accepts from a struct userbpf_pkt_meta and mapping the return value to the same
 * enum userbpf_pkt_action as the userbpf runner, so that the two results can be compared:
 *
 *   - XDP: ctx_in struct xdp_md with data 0, data_end = len, ingress_ifindex = meta->ifindex (0:
 *     1, loopback, the kernel's default device) and rx_queue_index = meta->rx_queue. The packet out is what
 *     lies between the ctx_out's data and data_end (metadata left out, as in userbpf's result);
 *   - skb programs: ctx_in struct __sk_buff with mark, priority, cb[], tstamp, wire_len (0: the
 *     captured length), and ifindex/ingress_ifindex = meta->ifindex (0: 1, loopback) - the fields
 *     the kernel's test run lets a caller set. meta->hash, meta->rx_queue and a stripped VLAN tag
 *     cannot be given to the kernel: such a packet is refused (-EOPNOTSUPP). The packet out is the kernel's
 *     data_out. Socket filters and CGROUP_SKB see the packet from its network header (the test run
 *     pulls the Ethernet header, and pushes back a zeroed one): the packet out is the frame's own
 *     Ethernet header followed by what the program saw, for socket filters cut to the first
 *     retval bytes (when retval is smaller), as userbpf's runner gives it.
 *
 * What the kernel does not report is left zero in the result: redirect_ifindex/_map_id/_flags
 * (BPF_PROG_TEST_RUN does not redirect) and the high 32 bits of retval (it returns 32 bits).
 */

/** The kernel runner (opaque). */
struct userbpf_kpktrun;

struct userbpf_kpktrun_opts {
	size_t sz;
	/** Largest packet accepted (0: 65535); larger ones get -EMSGSIZE without a syscall. */
	uint32_t max_len;
	/** Why new failed: one line. May be NULL. */
	char *err_buf;
	size_t err_size;
};

/**
 * A runner for program `prog_name` of `kobj` (which must outlive it). Its type is read from the
 * kernel. NULL + errno: ENOENT (no such loaded program), EINVAL (not a packet type), ENOMEM.
 */
USERBPF_API struct userbpf_kpktrun *userbpf_kpktrun__new(const struct userbpf_kobject *kobj, const char *prog_name,
							 const struct userbpf_kpktrun_opts *opts);
USERBPF_API void userbpf_kpktrun__free(struct userbpf_kpktrun *run);
/** The program's type as the kernel reports it (enum userbpf_prog_type numbering). */
USERBPF_API unsigned int userbpf_kpktrun__prog_type(const struct userbpf_kpktrun *run);

/**
 * Run the program once in the kernel on `len` bytes at `pkt` (meta may be NULL: all zero). 0 with
 * *res filled (res->data and res->ctx_out point into the runner, valid until its next run), or
 * -errno with res->action = USERBPF_PKT_ABORTED and one line in err_buf: -EMSGSIZE (too long),
 * -EOPNOTSUPP (meta the kernel cannot take), or the kernel's refusal (-EINVAL for a frame shorter
 * than an Ethernet header, -ENODEV for an ifindex not in this network namespace...).
 */
USERBPF_API int userbpf_kpktrun__run(struct userbpf_kpktrun *run, const void *pkt, uint32_t len,
				     const struct userbpf_pkt_meta *meta, struct userbpf_pkt_result *res,
				     char *err_buf, size_t err_size);

/**
 * Time the program on one packet: BPF_PROG_TEST_RUN with `repeat` runs of the same packet (maps
 * change as the program changes them; the packet is not reset between runs). *ns_per_run is the
 * kernel's own mean, whole ns, which leaves out the syscall and the packet's setup and copy.
 * *retval (may be NULL) the last run's. 0 or -errno as userbpf_kpktrun__run. For XDP with repeat
 * > 1 the kernel adds the program to its XDP dispatcher for the call and removes it after, each a
 * synchronize_rcu (milliseconds), unless the program is attached to a device meanwhile (see
 * bench/pkt_xdp.c): time many packets of an XDP program with it attached.
 */
USERBPF_API int userbpf_kpktrun__time(struct userbpf_kpktrun *run, const void *pkt, uint32_t len,
				      const struct userbpf_pkt_meta *meta, uint32_t repeat, uint32_t *ns_per_run,
				      uint32_t *retval, char *err_buf, size_t err_size);

/*
 * Maps compared (kcompare.c): after the same packets ran in userbpf and in the kernel, every map of
 * the object is read on both sides, by name, and compared:
 *   - hash, LRU hash, LPM trie, array and their per-CPU variants, global data: the sets of keys and
 *     each key's value (entries sorted by key, as the two iterate in different orders);
 *   - per-CPU values: userbpf has one slot per worker thread (userbpf_set_nr_cpus), the kernel one
 *     per possible CPU, and the runs land on whatever CPU ran them; so each value is folded into
 *     the sum over its slots of every 64-bit word (exact for counters, the usual per-CPU content);
 *   - ring buffers: every record consumed on both sides, compared in order (this empties them);
 *   - queues and stacks: popped empty on both sides, compared in order.
 * Maps of other types (prog arrays, perf event arrays, map-in-map, devmap, cpumap, xskmap, bloom
 * filters: nothing to iterate, or fds and ids that differ by nature) are left out and named in
 * skipped_buf.
 */
struct userbpf_kcompare_opts {
	size_t sz;
	/**
	 * Called on each value of both sides before comparing (per-CPU: the folded value; ring buffer
	 * records and queue/stack values with key NULL): may check fields that cannot be equal (a
	 * bpf_ktime_get_ns() value) and clear them. A non-zero return stops the comparison and is
	 * returned, with the callback's reason in diff_buf. May be NULL.
	 */
	int (*mask)(void *cookie, const char *map, const void *key, void *value, uint32_t value_size,
		    char *why, size_t why_size);
	void *cookie;
	/** Out: the first difference, one line ("map 'flows': ..."). May be NULL. */
	char *diff_buf;
	size_t diff_size;
	/** Out: the maps left out, "name (type), ..." ("" if none). May be NULL. */
	char *skipped_buf;
	size_t skipped_size;
	/** Out: entries (keys, records, popped values) compared on each side. */
	uint64_t entries;
};

/**
 * Compare every map of `obj` (loaded in userbpf) with its namesake in `kobj` (the kernel). 0 when
 * all are the same, 1 on the first difference (described in diff_buf), -errno on failure (a read
 * refused: the reason in diff_buf).
 */
USERBPF_API int userbpf_kobject__compare_maps(const struct userbpf_kobject *kobj, const struct userbpf_object *obj,
					      struct userbpf_kcompare_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_KERNEL_H */
