/*
 * synflood.h - maps and alert records of the SYN flood / port-scan detector (examples/synflood.bpf.c).
 *
 *   sources  LRU hash, source address (16 bytes, IPv4 as ::ffff:a.b.c.d) -> struct syn_source
 *   alerts   ring buffer of struct syn_alert
 *   stats    array, index enum syn_stat -> __u64
 *   .rodata  syn_threshold, port_threshold, window_ns, drop_flagged
 *
 * Only pure SYNs (SYN set, ACK clear) count, over IPv4 and IPv6. Within one window of window_ns
 * starting at a source's first SYN, a source that sends syn_threshold SYNs is flagged SYN_FLOOD and
 * one that reaches port_threshold distinct destination ports is flagged PORT_SCAN; each flag raises
 * one alert, at the SYN that reached the threshold. A SYN after the window starts a new window with
 * cleared counts and flags. Distinct ports are counted in a 256-bit bitmap indexed by
 * syn_port_bit(port): ports that share a bit count once.
 */
#ifndef USERBPF_EXAMPLES_SYNFLOOD_H
#define USERBPF_EXAMPLES_SYNFLOOD_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define SYN_SOURCES_MAX 16384
#define SYN_PORT_BITS	256

/* Bit of the port bitmap for a destination port in host byte order. */
#define syn_port_bit(port) ((__u32)(((port)*40503u) >> 8) & (SYN_PORT_BITS - 1))

enum syn_reason {
	SYN_REASON_FLOOD = 1,
	SYN_REASON_SCAN = 2,
};

struct syn_source {
	__u64 window_start; /* bpf_ktime_get_ns() of the first SYN of the window */
	__u32 syns;	    /* pure SYNs in the window */
	__u32 ports;	    /* distinct destination-port bits set in the window */
	__u64 bitmap[SYN_PORT_BITS / 64];
	__u32 flags; /* 1 << SYN_REASON_* already alerted in this window */
	__u32 pad;
};

struct syn_alert {
	__u8 saddr[16];
	__u8 family; /* 4 or 6 */
	__u8 reason; /* enum syn_reason */
	__u16 dport; /* destination port of the SYN that crossed the threshold, host order */
	__u32 count; /* SYNs (FLOOD) or distinct ports (SCAN) at that SYN */
	__u64 window_start;
	__u64 ts; /* bpf_ktime_get_ns() of that SYN */
};

enum syn_stat {
	SYN_STAT_SYNS = 0,   /* pure SYNs seen */
	SYN_STAT_ALERTS = 1, /* alerts written */
	SYN_STAT_LOST = 2,   /* alerts the ring buffer had no room for */
	SYN_STAT_DROPS = 3,  /* packets dropped from flagged sources (drop_flagged) */
	SYN_STAT_MAX = 4,
};

#endif /* USERBPF_EXAMPLES_SYNFLOOD_H */
