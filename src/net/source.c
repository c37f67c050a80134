/*
 * source.c - packet sources: capture files (pcap and pcapng, "-" for stdin) read through libpcap with
 * nanosecond timestamps, and the dispatch to live interfaces (live.c). Packets come out in batches
 * copied into one buffer the source owns, so a batch stays valid while the program runs on it.
 *
 * A capture that ends inside a record, or whose record header libpcap refuses, is an error naming
 * the file and the number of packets delivered before it: never an early, silent end of file.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "live.h"
#include "net/net.h"

struct net_src {
	bool is_live;
	char *name; /* as shown in messages ("<stdin>" for "-") */
	uint64_t count;
	/* files */
	pcap_t *pcap;
	uint8_t *buf; /* the current batch's bytes */
	size_t buf_cap;
	size_t *offs; /* offsets of the batch's packets in buf (pointers are set once buf stops moving) */
	size_t offs_cap;
	bool eof;
	volatile sig_atomic_t stop; /* net_src_break */
	char damage[PCAP_ERRBUF_SIZE + 256]; /* the error the next call returns */
	/* live */
	struct net_live *live;
};

static const char *display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* libpcap's open error without a leading "PATH: " (it often repeats the file name). */
static const char *strip_path(const char *msg, const char *path)
{
	size_t n = strlen(path);
	if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

struct net_src *net_src_open_file(const char *path, char *err, size_t err_size)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct net_src *src;
	int dlt;

	if (!path || !*path) {
		net_errf(err, err_size, "empty capture file name");
		errno = EINVAL;
		return NULL;
	}
	src = calloc(1, sizeof(*src));
	if (!src || !(src->name = strdup(display_name(path)))) {
		free(src);
		net_errf(err, err_size, "%s: out of memory", display_name(path));
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	src->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!src->pcap) {
		int e = errno;
		/* libpcap reports an unreadable file with strerror and a bad header with its own words. */
		if (e == ENOENT || e == EACCES || e == EISDIR || e == ENOTDIR || e == ENOMEM)
			net_errf(err, err_size, "%s: %s", src->name, strerror(e));
		else
			net_errf(err, err_size, "%s: not a pcap or pcapng capture: %s", src->name,
				strip_path(perr, path));
		if (e != ENOENT && e != EACCES && e != EISDIR && e != ENOTDIR && e != ENOMEM)
			e = EINVAL;
		errno = e;
		net_src_close(src);
		errno = e;
		return NULL;
	}
	dlt = pcap_datalink(src->pcap);
	if (dlt != DLT_EN10MB) {
		const char *dn = pcap_datalink_val_to_name(dlt);
		const char *dd = pcap_datalink_val_to_description(dlt);
		net_errf(err, err_size, "%s: link type %s%s%s%s (%d) is not Ethernet: packet programs need "
				       "Ethernet frames",
			src->name, dn ? dn : "unknown", dd ? " (" : "", dd ? dd : "", dd ? ")" : "", dlt);
		net_src_close(src);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	return src;
}

struct net_src *net_src_open_live(const char *ifname, const struct net_live_opts *opts, char *err,
				  size_t err_size)
{
	struct net_src *src = calloc(1, sizeof(*src));
	if (!src || !(src->name = strdup(ifname ? ifname : ""))) {
		free(src);
		net_errf(err, err_size, "%s: out of memory", ifname ? ifname : "");
		errno = ENOMEM;
		return NULL;
	}
	src->is_live = true;
	src->live = net_live_open(ifname, opts, err, err_size);
	if (!src->live) {
		int e = errno;
		net_src_close(src);
		errno = e;
		return NULL;
	}
	return src;
}

/* Room for `need` more bytes after `used` in the batch buffer. */
static int grow_buf(struct net_src *src, size_t used, size_t need)
{
	if (used + need <= src->buf_cap)
		return 0;
	size_t cap = src->buf_cap ? src->buf_cap : 65536;
	while (cap < used + need)
		cap *= 2;
	uint8_t *b = realloc(src->buf, cap);
	if (!b)
		return -ENOMEM;
	src->buf = b;
	src->buf_cap = cap;
	return 0;
}

/* The damage libpcap found, as one line naming the file and what was read before it. */
static void damage_err(const struct net_src *src, uint64_t count, char *err, size_t err_size)
{
	const char *msg = pcap_geterr(src->pcap);
	const char *what = strstr(msg, "truncated") ? "truncated packet record" : "corrupt packet record";
	net_errf(err, err_size, "%s: %s after %llu packet%s (%s)", src->name, what, (unsigned long long)count,
		count == 1 ? "" : "s", msg);
}

static int file_next(struct net_src *src, struct net_pkt *pkts, size_t max, char *err, size_t err_size)
{
	size_t n = 0, used = 0;

	if (src->damage[0]) {
		net_errf(err, err_size, "%s", src->damage);
		src->damage[0] = '\0';
		return -EIO;
	}
	if (src->eof || src->stop)
		return 0;
	if (max > src->offs_cap) {
		size_t *o = realloc(src->offs, max * sizeof(*o));
		if (!o) {
			net_errf(err, err_size, "%s: out of memory", src->name);
			return -ENOMEM;
		}
		src->offs = o;
		src->offs_cap = max;
	}
	while (n < max) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(src->pcap, &h, &d);
		if (r == PCAP_ERROR_BREAK) { /* end of file */
			src->eof = true;
			break;
		}
		if (r != 1) {
			/* The good packets before the damage are delivered first; the error comes with
			 * the next call, so that the count in it is what the caller has seen. */
			damage_err(src, src->count + n, src->damage, sizeof(src->damage));
			src->eof = true;
			break;
		}
		if (grow_buf(src, used, h->caplen)) {
			net_errf(err, err_size, "%s: out of memory", src->name);
			return -ENOMEM;
		}
		memcpy(src->buf + used, d, h->caplen);
		src->offs[n] = used;
		struct net_pkt *p = &pkts[n];
		memset(p, 0, sizeof(*p));
		p->caplen = h->caplen;
		p->meta.wire_len = h->len;
		/* With nanosecond precision libpcap puts nanoseconds in tv_usec. */
		p->meta.tstamp_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		used += h->caplen;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		pkts[i].data = src->buf + src->offs[i];
	src->count += n;
	if (n == 0 && src->damage[0])
		return file_next(src, pkts, max, err, err_size);
	return (int)n;
}

int net_src_next(struct net_src *src, struct net_pkt *pkts, size_t max, char *err, size_t err_size)
{
	if (!src || (!pkts && max)) {
		net_errf(err, err_size, "net_src_next: no source");
		return -EINVAL;
	}
	if (max == 0)
		return 0;
	if (max > 1u << 20)
		max = 1u << 20;
	if (src->is_live) {
		int n = net_live_next(src->live, pkts, max, err, err_size);
		if (n > 0)
			src->count += (uint64_t)n;
		return n;
	}
	return file_next(src, pkts, max, err, err_size);
}

bool net_src_is_live(const struct net_src *src)
{
	return src && src->is_live;
}

uint64_t net_src_count(const struct net_src *src)
{
	return src ? src->count : 0;
}

uint64_t net_src_drops(const struct net_src *src)
{
	if (!src || !src->is_live)
		return 0;
	return net_live_drops(src->live);
}

void net_src_break(struct net_src *src)
{
	if (src && src->is_live)
		net_live_break(src->live);
	else if (src)
		src->stop = 1;
}

void net_src_close(struct net_src *src)
{
	if (!src)
		return;
	if (src->pcap)
		pcap_close(src->pcap);
	if (src->live)
		net_live_close(src->live);
	free(src->buf);
	free(src->offs);
	free(src->name);
	free(src);
}

void net_errf(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;
	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}
