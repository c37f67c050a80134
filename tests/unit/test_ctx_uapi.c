/*
 * test_ctx_uapi.c - the context mirrors of packet.h (struct userbpf_xdp_md, struct userbpf_sk_buff)
 * have the layout of the kernel's UAPI structs in <linux/bpf.h>: the offset of every field and the
 * sizes. Kept apart from the other tests: linux/bpf.h clashes with userbpf's own instruction macros.
 */
#include <linux/bpf.h>
#include <stddef.h>

#include "test.h"
#include "userbpf/packet.h"

#define SAME_X(F) CHECK_EQ_INT(offsetof(struct userbpf_xdp_md, F), offsetof(struct xdp_md, F))
#define SAME_S(F) CHECK_EQ_INT(offsetof(struct userbpf_sk_buff, F), offsetof(struct __sk_buff, F))

TEST(xdp_md_layout)
{
	CHECK_EQ_INT(sizeof(struct userbpf_xdp_md), sizeof(struct xdp_md));
	SAME_X(data);
	SAME_X(data_end);
	SAME_X(data_meta);
	SAME_X(ingress_ifindex);
	SAME_X(rx_queue_index);
	SAME_X(egress_ifindex);
}

TEST(sk_buff_layout)
{
	CHECK_EQ_INT(sizeof(struct userbpf_sk_buff), sizeof(struct __sk_buff));
	SAME_S(len);
	SAME_S(pkt_type);
	SAME_S(mark);
	SAME_S(queue_mapping);
	SAME_S(protocol);
	SAME_S(vlan_present);
	SAME_S(vlan_tci);
	SAME_S(vlan_proto);
	SAME_S(priority);
	SAME_S(ingress_ifindex);
	SAME_S(ifindex);
	SAME_S(tc_index);
	SAME_S(cb);
	SAME_S(cb[4]);
	SAME_S(hash);
	SAME_S(tc_classid);
	SAME_S(data);
	SAME_S(data_end);
	SAME_S(napi_id);
	SAME_S(family);
	SAME_S(remote_ip4);
	SAME_S(local_ip4);
	SAME_S(remote_ip6);
	SAME_S(local_ip6);
	SAME_S(remote_port);
	SAME_S(local_port);
	SAME_S(data_meta);
	SAME_S(flow_keys);
	SAME_S(tstamp);
	SAME_S(wire_len);
	SAME_S(gso_segs);
	SAME_S(sk);
	SAME_S(gso_size);
	SAME_S(tstamp_type);
	SAME_S(hwtstamp);
}
