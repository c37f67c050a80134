/*
 * capture.c - a whole capture file held in memory (benchmarks, kernel comparison): every packet's
 * bytes in one buffer, an array of struct userbpf_pkt pointing into it, read through net_src.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

#define LOAD_BATCH 256

int net_capture_load(const char *path, struct net_capture *cap, char *err, size_t err_size)
{
	struct net_pkt batch[LOAD_BATCH];
	struct userbpf_pkt *pkts = NULL;
	uint8_t *bytes = NULL;
	size_t n = 0, pcap_n = 0, used = 0, bcap = 0;
	struct net_src *src;
	int r;

	memset(cap, 0, sizeof(*cap));
	src = net_src_open_file(path, err, err_size);
	if (!src)
		return -errno;
	while ((r = net_src_next(src, batch, LOAD_BATCH, err, err_size)) > 0) {
		if (n + (size_t)r > pcap_n) {
			size_t nc = pcap_n ? pcap_n : 1024;
			while (nc < n + (size_t)r)
				nc *= 2;
			struct userbpf_pkt *t = realloc(pkts, nc * sizeof(*t));
			if (!t)
				goto nomem;
			pkts = t;
			pcap_n = nc;
		}
		for (int i = 0; i < r; i++) {
			if (used + batch[i].caplen > bcap) {
				size_t nc = bcap ? bcap : 1u << 20;
				while (nc < used + batch[i].caplen)
					nc *= 2;
				uint8_t *t = realloc(bytes, nc);
				if (!t)
					goto nomem;
				bytes = t;
				bcap = nc;
			}
			memcpy(bytes + used, batch[i].data, batch[i].caplen);
			pkts[n].data = (const void *)(uintptr_t)used; /* an offset until bytes stops moving */
			pkts[n].len = batch[i].caplen;
			pkts[n].meta = batch[i].meta;
			used += batch[i].caplen;
			n++;
		}
	}
	net_src_close(src);
	if (r < 0) {
		free(pkts);
		free(bytes);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		pkts[i].data = bytes + (uintptr_t)pkts[i].data;
	cap->pkts = pkts;
	cap->n = n;
	cap->bytes = bytes;
	return 0;
nomem:
	net_src_close(src);
	free(pkts);
	free(bytes);
	if (err && err_size)
		snprintf(err, err_size, "%s: out of memory holding the capture", path);
	return -ENOMEM;
}

void net_capture_free(struct net_capture *cap)
{
	if (!cap)
		return;
	free(cap->pkts);
	free(cap->bytes);
	memset(cap, 0, sizeof(*cap));
}
