/*
 * filter_util.h - what the tcpdump-filter tests and benchmark share: the list of test expressions,
 * compiling one with libpcap (DLT_EN10MB, snaplen 262144, optimized, as `userbpf filter` does) and
 * libpcap's own verdict on a packet (pcap_offline_filter).
 */
#ifndef USERBPF_TEST_FILTER_UTIL_H
#define USERBPF_TEST_FILTER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "userbpf/cbpf.h"

extern const char *const filter_exprs[];
extern const size_t filter_nr_exprs;

struct filter_prog {
	void *bpf; /* struct bpf_program of libpcap */
	struct userbpf_cbpf_insn *insns;
	size_t cnt;
};

/* Compile `expr`. 0, or -EINVAL with libpcap's message in err. */
int filter_compile(const char *expr, struct filter_prog *fp, char *err, size_t err_size);
void filter_free(struct filter_prog *fp);
/* pcap_offline_filter on one packet: caplen bytes captured of wirelen. Non-zero: match. */
int filter_ref(const struct filter_prog *fp, const void *data, uint32_t caplen, uint32_t wirelen);

#endif /* USERBPF_TEST_FILTER_UTIL_H */
