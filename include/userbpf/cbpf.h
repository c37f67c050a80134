/*
 * cbpf.h - classic BPF (tcpdump / libpcap / SO_ATTACH_FILTER programs) translated to eBPF, and BPF
 * ELF objects written from instructions.
 *
 * userbpf_cbpf_translate() validates a classic program the way the kernel's classic checker does
 * (known opcodes, jumps forward and inside the program, a final return, scratch memory M[0..15]
 * only read where every path has stored it, no constant division by zero, constant shifts below
 * 32) and produces an eBPF program for one of three packet program types:
 *
 *   - USERBPF_PROG_TYPE_XDP: packet bytes through xdp_md data/data_end (direct packet access);
 *     returns XDP_PASS when the classic program returns non-zero, XDP_DROP otherwise;
 *   - USERBPF_PROG_TYPE_SCHED_CLS: the same through __sk_buff data/data_end; TC_ACT_OK or
 *     TC_ACT_SHOT; `len` is __sk_buff wire_len (the length on the wire, as libpcap's `len`);
 *   - USERBPF_PROG_TYPE_SOCKET_FILTER: legacy LD_ABS/LD_IND loads, as the kernel's own classic
 *     conversion; returns the classic return value itself (bytes to keep).
 *
 * Semantics are libpcap's bpf_filter(): A and X start at 0, packet loads are big-endian, a load
 * past the end of the packet (offset + X + size > length, computed without wrapping) or a division
 * by X == 0 ends the program with "return 0"; shifts by X >= 32 give 0. Every direct packet load
 * carries its own `data + off + size > data_end` check, so the kernel verifier accepts the result;
 * packet offsets beyond 65535 (no XDP or TC packet is that long) always reject.
 *
 * BPF objects: userbpf_object_write() writes a relocatable ELF64 little-endian EM_BPF object with
 * one program section, its function symbol and a license section, loadable by
 * userbpf_object__open_file(), libbpf and the kernel (userbpf_kobject__load()).
 *
 * Errors: 0/-errno, with one line naming the instruction index in the caller's err buffer.
 */
#ifndef USERBPF_CBPF_H
#define USERBPF_CBPF_H

#include <stddef.h>
#include <stdint.h>

#include <userbpf/userbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One classic BPF instruction, as struct sock_filter (Linux) and struct bpf_insn (libpcap). */
struct userbpf_cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/** Longest classic program accepted (BPF_MAXINSNS) and its scratch memory words (BPF_MEMWORDS). */
#define USERBPF_CBPF_MAXINSNS 4096
#define USERBPF_CBPF_MEMWORDS 16

struct userbpf_cbpf_opts {
	size_t sz;
	/** USERBPF_PROG_TYPE_XDP (0 means XDP), _SCHED_CLS or _SOCKET_FILTER (object.h numbering). */
	unsigned int prog_type;
	/** Why the translation failed: one line, "insn 3: ...". May be NULL. */
	char *err_buf;
	size_t err_size;
};

/**
 * Validate and translate `cnt` classic instructions. On success *out (malloc'ed; free() it) and
 * *out_cnt are set and 0 is returned. -EINVAL for a program the kernel's classic checker refuses or
 * that cannot be translated for the type (an ancillary SKF_AD_* load it has no field for), -E2BIG
 * when the eBPF would exceed jump ranges, -ENOMEM.
 *
 * Ancillary loads (LD ABS at SKF_AD_OFF + n) supported: protocol, pkttype, ifindex, mark, queue,
 * rxhash, vlan_tag, vlan_tag_present (SCHED_CLS, SOCKET_FILTER); ifindex, queue (XDP).
 */
USERBPF_API int userbpf_cbpf_translate(const struct userbpf_cbpf_insn *insns, size_t cnt,
				       const struct userbpf_cbpf_opts *opts, struct userbpf_insn **out,
				       size_t *out_cnt);

struct userbpf_object_write_opts {
	size_t sz;
	/** Contents of the license section (NULL: "GPL"). */
	const char *license;
	/** Why the write failed: one line naming the file. May be NULL. */
	char *err_buf;
	size_t err_size;
};

/**
 * Write `path` (created or truncated) as a BPF object holding one program: `cnt` instructions in
 * section `sec_name` ("xdp", "tc", "socket", ...) under the global function symbol `prog_name`,
 * and a `license` section. 0, or -errno (-EINVAL bad arguments; the file's error).
 */
USERBPF_API int userbpf_object_write(const char *path, const char *prog_name, const char *sec_name,
				     const struct userbpf_insn *insns, size_t cnt,
				     const struct userbpf_object_write_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_CBPF_H */
