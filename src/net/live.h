/*
 * live.h - internal to src/net: the live AF_PACKET capture (live.c) that a struct net_src of kind
 * live (source.c) delegates to.
 */
#ifndef USERBPF_NET_LIVE_H
#define USERBPF_NET_LIVE_H

#include "net/net.h"

struct net_live;

struct net_live *net_live_open(const char *ifname, const struct net_live_opts *opts, char *err,
			       size_t err_size);
int net_live_next(struct net_live *l, struct net_pkt *pkts, size_t max, char *err, size_t err_size);
uint64_t net_live_drops(struct net_live *l);
void net_live_break(struct net_live *l);
void net_live_close(struct net_live *l);

#endif /* USERBPF_NET_LIVE_H */
