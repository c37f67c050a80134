/*
 * kernel_helpers.c - the kernel-numbered helpers that act on the run or the host process, registered
 * by userbpf_helpers__add_kernel(): fault-safe reads of host memory (probe_read and its _user,
 * _kernel and _str forms), current pid/tgid, uid/gid and comm of the calling thread, trace_printk
 * and snprintf (the kernel's format rules), strncmp, and the checksum helpers csum_diff and
 * l3/l4_csum_replace (on the run's packet: opts->packet, else ctx); tail_call (12) is registered
 * here and carried out by the engines (see vm_tail_call_target).
 *
 * Host memory is read with process_vm_readv() on the own process, so a bad address gives -EFAULT
 * (and a zeroed destination, as the kernel does) instead of a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vm/vm.h"

#define PTR(r) ((void *)(uintptr_t)(r))
#define RET(x) ((uint64_t)(int64_t)(x))

/* ---- fault-safe reads of host memory --------------------------------------------------------- */

/* Copy n bytes from host address src; 0 or -EFAULT (dst contents undefined on failure). */
static int safe_read(void *dst, uint64_t src, size_t n)
{
	if (!n)
		return 0;
	if (!src || src + n < src)
		return -EFAULT;
	struct iovec l = {.iov_base = dst, .iov_len = n};
	struct iovec r = {.iov_base = PTR(src), .iov_len = n};
	ssize_t got = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return got == (ssize_t)n ? 0 : -EFAULT;
}

/*
 * Copy a NUL-terminated string of at most size - 1 bytes from src and terminate it. Returns the
 * length including the NUL, or -EFAULT. Reads page by page so a string ending before an unmapped
 * page is read whole.
 */
static long safe_read_str(char *dst, uint64_t src, size_t size)
{
	if (!size)
		return 0;
	size_t done = 0, max = size - 1;
	while (done < max) {
		uint64_t a = src + done;
		size_t chunk = 4096 - (size_t)(a & 4095);
		if (chunk > max - done)
			chunk = max - done;
		if (safe_read(dst + done, a, chunk))
			return -EFAULT;
		char *nul = memchr(dst + done, 0, chunk);
		if (nul)
			return (long)(nul - dst) + 1;
		done += chunk;
	}
	dst[max] = '\0';
	return (long)size;
}

/* bpf_probe_read{,_user,_kernel}(dst, size, unsafe_ptr) */
static uint64_t h_probe_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     const struct userbpf_call *c)
{
	uint32_t size = (uint32_t)r2;
	int err = safe_read(PTR(r1), r3, size);
	if (err)
		memset(PTR(r1), 0, size);
	return RET(err);
}

/* bpf_probe_read{,_user,_kernel}_str(dst, size, unsafe_ptr): length with the NUL, or -EFAULT */
static uint64_t h_probe_read_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *c)
{
	uint32_t size = (uint32_t)r2;
	long n = safe_read_str(PTR(r1), r3, size);
	if (n < 0)
		memset(PTR(r1), 0, size);
	return RET(n);
}

/* ---- the current task: the calling thread of the host -------------------------------------- */

static uint64_t h_get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				       const struct userbpf_call *c)
{
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	return (uint64_t)(uint32_t)getpid() << 32 | tid;
}

static uint64_t h_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				      const struct userbpf_call *c)
{
	return (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
}

/* bpf_get_current_comm(buf, size): the thread name, NUL-terminated and zero-padded to size */
static uint64_t h_get_current_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   const struct userbpf_call *c)
{
	char comm[17] = {0};
	uint32_t size = (uint32_t)r2;
	if (!size)
		return RET(-EINVAL);
	if (prctl(PR_GET_NAME, comm, 0, 0, 0))
		comm[0] = '\0';
	char *dst = PTR(r1);
	memset(dst, 0, size);
	size_t len = strnlen(comm, 16);
	if (len > size - 1)
		len = size - 1;
	memcpy(dst, comm, len);
	return 0;
}

/* ---- strings --------------------------------------------------------------------------------- */

/* bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp, so -1, 0 or 1 */
static uint64_t h_strncmp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  const struct userbpf_call *c)
{
	const unsigned char *a = PTR(r1), *b = PTR(r3);
	for (uint32_t i = 0; i < (uint32_t)r2; i++) {
		if (a[i] != b[i])
			return RET(a[i] < b[i] ? -1 : 1);
		if (!a[i])
			break;
	}
	return 0;
}

/* Output of the formatter: a bounded buffer that counts what would have been written. */
struct fmt_out {
	char *buf;
	size_t size, len;
};

static void out_bytes(struct fmt_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->buf[o->len] = s[i];
}

/* One conversion's flags and width. */
struct conv {
	bool zero, plus, left, space;
	int width;
};

/* `n` bytes of s, padded with spaces to the width. */
static void out_pad(struct fmt_out *o, const struct conv *cv, const char *str, size_t n)
{
	size_t pad = (size_t)cv->width > n ? (size_t)cv->width - n : 0;
	for (size_t k = 0; !cv->left && k < pad; k++)
		out_bytes(o, " ", 1);
	out_bytes(o, str, n);
	for (size_t k = 0; cv->left && k < pad; k++)
		out_bytes(o, " ", 1);
}

/* A number in base 10 or 16 with sign, flags and width, as printf does. */
static void out_num(struct fmt_out *o, const struct conv *cv, bool neg, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	char sign = neg ? '-' : base == 10 && cv->plus ? '+' : base == 10 && cv->space ? ' ' : 0;
	size_t n = (size_t)(e - p) + (sign != 0);
	size_t pad = (size_t)cv->width > n ? (size_t)cv->width - n : 0;
	if (!cv->left && !cv->zero)
		for (; pad; pad--)
			out_bytes(o, " ", 1);
	if (sign)
		out_bytes(o, &sign, 1);
	if (!cv->left)
		for (; pad; pad--)
			out_bytes(o, "0", 1);
	out_bytes(o, p, (size_t)(e - p));
	for (; pad; pad--)
		out_bytes(o, " ", 1);
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Format like the kernel's bpf_bprintf_prepare + bstr_printf: conversions %d %i %u %x %X with
 * optional l/ll, %c, %s (a fault-safe read of a host string; a fault prints nothing), %p/%px/%pK
 * (the address in hex), %%, each with optional flags "0+- " and a width; at most max_args
 * conversions, which take args[0..nr_args). Anything else, a non-printable byte, or more
 * conversions than arguments: -EINVAL. Returns the full length (without the NUL).
 */
static long bformat(struct fmt_out *o, const char *fmt, size_t fmt_len, const uint64_t *args, int nr_args)
{
	int spec = 0;
	for (size_t i = 0; i < fmt_len; i++) {
		unsigned char ch = (unsigned char)fmt[i];
		if (ch >= 0x80 || (ch < 0x20 && !(ch >= '\t' && ch <= '\r')) || ch == 0x7f)
			return -EINVAL;
		if (ch != '%') {
			out_bytes(o, fmt + i, 1);
			continue;
		}
		if (i + 1 < fmt_len && fmt[i + 1] == '%') {
			out_bytes(o, "%", 1);
			i++;
			continue;
		}
		if (spec >= nr_args)
			return -EINVAL;
		uint64_t arg = args[spec++];
		struct conv cv = {0};
		i++;
		for (; i < fmt_len && strchr("0+- ", fmt[i]); i++) {
			cv.zero |= fmt[i] == '0';
			cv.plus |= fmt[i] == '+';
			cv.left |= fmt[i] == '-';
			cv.space |= fmt[i] == ' ';
		}
		while (i < fmt_len && is_digit(fmt[i])) {
			cv.width = cv.width * 10 + (fmt[i++] - '0');
			if (cv.width > 999)
				return -EINVAL; /* the kernel has no use for such widths either */
		}
		if (i >= fmt_len)
			return -EINVAL;
		if (fmt[i] == 'p') {
			/* %p, %px, %pK: the address; other %p extensions (%pI4, %ps...) are not provided */
			if (i + 1 < fmt_len && (fmt[i + 1] == 'x' || fmt[i + 1] == 'K'))
				i++;
			else if (i + 1 < fmt_len && is_alpha(fmt[i + 1]))
				return -EINVAL;
			cv.zero = true;
			cv.width = 16;
			out_bytes(o, "0x", 2);
			out_num(o, &cv, false, arg, 16, false);
			continue;
		}
		if (fmt[i] == 'c') {
			char c8 = (char)arg;
			out_pad(o, &cv, &c8, 1);
			continue;
		}
		if (fmt[i] == 's') {
			char str[256];
			long n = safe_read_str(str, arg, sizeof(str));
			out_pad(o, &cv, str, n < 0 ? 0 : strlen(str));
			continue;
		}
		int longs = 0;
		while (i < fmt_len && fmt[i] == 'l' && longs < 2)
			i++, longs++;
		if (i >= fmt_len)
			return -EINVAL;
		char conv = fmt[i];
		if (conv == 'd' || conv == 'i') {
			int64_t v = longs ? (int64_t)arg : (int64_t)(int32_t)arg;
			out_num(o, &cv, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, false);
		} else if (conv == 'u' || conv == 'x' || conv == 'X') {
			uint64_t v = longs ? arg : (uint32_t)arg;
			out_num(o, &cv, false, v, conv == 'u' ? 10 : 16, conv == 'X');
		} else
			return -EINVAL;
	}
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return (long)o->len;
}

/* The kernel's buffer for one trace_printk line. */
#define TRACE_LINE_MAX 1024

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): bytes written, or -EINVAL */
static uint64_t h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       const struct userbpf_call *c)
{
	const char *fmt = PTR(r1);
	uint32_t fmt_size = (uint32_t)r2;
	if (!fmt || !fmt_size || !memchr(fmt, 0, fmt_size))
		return RET(-EINVAL);
	const uint64_t args[3] = {r3, r4, r5};
	char line[TRACE_LINE_MAX];
	struct fmt_out o = {.buf = line, .size = sizeof(line)};
	long n = bformat(&o, fmt, strlen(fmt), args, 3);
	if (n < 0)
		return RET(n);
	size_t len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	void (*fn)(void *, const char *, size_t) = VM_OPTS_GET(c->run, trace_fn, NULL);
	if (fn)
		fn(VM_OPTS_GET(c->run, trace_cookie, NULL), line, len);
	else
		fprintf(stderr, "%s\n", line);
	return RET(n < TRACE_LINE_MAX ? n : TRACE_LINE_MAX - 1);
}

/* The kernel's MAX_BPRINTF_VARARGS. */
#define SNPRINTF_MAX_ARGS 12

/* bpf_snprintf(str, str_size, fmt, data, data_len): the untruncated length with the NUL, or -EINVAL */
static uint64_t h_snprintf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   const struct userbpf_call *c)
{
	const char *fmt = PTR(r3);
	uint32_t data_len = (uint32_t)r5;
	if (!fmt || (data_len & 7) || data_len > SNPRINTF_MAX_ARGS * 8 || (data_len && !r4))
		return RET(-EINVAL);
	uint64_t args[SNPRINTF_MAX_ARGS];
	if (data_len)
		memcpy(args, PTR(r4), data_len);
	struct fmt_out o = {.buf = PTR(r1), .size = (uint32_t)r2};
	if (!o.buf)
		o.size = 0;
	long n = bformat(&o, fmt, strnlen(fmt, 65536), args, (int)(data_len / 8));
	if (n < 0) {
		if (o.size)
			o.buf[0] = '\0';
		return RET(n);
	}
	return RET(n + 1);
}

/* ---- bpf_loop --------------------------------------------------------------------------------- */

/* The kernel's BPF_MAX_LOOPS. */
#define LOOP_MAX (1u << 23)

/* bpf_loop(nr, callback, ctx, flags): callback(i, ctx) for i < nr until it returns non-zero;
 * the number of iterations done (the stopping one included). */
static uint64_t h_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       const struct userbpf_call *c)
{
	uint32_t nr = (uint32_t)r1;
	if (r4)
		return RET(-EINVAL);
	if (nr > LOOP_MAX)
		return RET(-E2BIG);
	for (uint32_t i = 0; i < nr; i++) {
		const uint64_t args[5] = {i, r3, 0, 0, 0};
		uint64_t ret;
		int err = vm_call_func(c, r2, args, &ret);
		if (err)
			return RET(err);
		if (ret)
			return i + 1;
	}
	return nr;
}

/* ---- checksums ------------------------------------------------------------------------------- */

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

static uint16_t csum_fold(uint32_t c)
{
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (uint16_t)~c;
}

/* The one's-complement sum of n bytes (n a multiple of 4) plus seed, accumulated in 64 bits with
 * end-around carry and folded to 32, as the kernel's x86-64 csum_partial does. */
static uint32_t csum_partial(const uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t s = seed, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		s += w;
		s += s < w;
	}
	if (i < n) {
		uint32_t w32;
		memcpy(&w32, p + i, 4);
		s += w32;
		s += s < w32;
	}
	uint64_t f = (s >> 32) + (s & 0xffffffffu);
	f = (f >> 32) + (f & 0xffffffffu);
	return (uint32_t)f;
}

/*
 * bpf_csum_diff(from, from_size, to, to_size, seed): sum(to) - sum(from) + seed in one's complement,
 * folded to 16 bits (not inverted), as kernels since 6.12 return it on every architecture (older
 * x86-64 kernels returned the same sum unfolded in 32 bits).
 */
static uint64_t h_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    const struct userbpf_call *c)
{
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5, ret;
	if (((from_size | to_size) & 3) || (uint64_t)from_size + to_size > 512)
		return RET(-EINVAL);
	const uint8_t *from = PTR(r1), *to = PTR(r3);
	if (from_size && to_size)
		ret = csum_add(csum_partial(to, to_size, seed), ~csum_partial(from, from_size, 0));
	else if (to_size)
		ret = csum_partial(to, to_size, seed);
	else if (from_size)
		ret = ~csum_partial(from, from_size, ~seed);
	else
		ret = seed;
	ret = (ret & 0xffff) + (ret >> 16);
	ret = (ret & 0xffff) + (ret >> 16);
	return ret;
}

/* The kernel's BPF_F_* flags of the csum_replace helpers. */
#define F_HDR_FIELD_MASK 0xfull
#define F_PSEUDO_HDR	 (1ull << 4)
#define F_MARK_MANGLED_0 (1ull << 5)
#define F_MARK_ENFORCE	 (1ull << 6)
#define F_IPV6		 (1ull << 7)

/* The 16-bit checksum field at `off` of the run's packet, or NULL. */
static uint8_t *csum_field(const struct userbpf_call *c, uint64_t off)
{
	uint8_t *pkt = (uint8_t *)(uintptr_t)VM_OPTS_GET(c->run, packet, NULL);
	size_t size = VM_OPTS_GET(c->run, packet_size, 0);
	if (!pkt) {
		pkt = VM_OPTS_GET(c->run, ctx, NULL);
		size = VM_OPTS_GET(c->run, ctx_size, 0);
	}
	if (!pkt || off > 0xffff || off + 2 > size)
		return NULL;
	return pkt + off;
}

/* *field = fold(~field + ~from + to), the RFC 1624 update (from = 0: `to` is a diff). */
static void csum_update(uint8_t *field, uint32_t from, uint32_t to)
{
	uint16_t sum;
	memcpy(&sum, field, 2);
	uint32_t c = csum_add(csum_add(~(uint32_t)sum, ~from), to);
	sum = csum_fold(c);
	memcpy(field, &sum, 2);
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags): flags hold the field size (0, 2 or 4) */
static uint64_t h_l3_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (r5 & ~F_HDR_FIELD_MASK)
		return RET(-EINVAL);
	uint8_t *f = csum_field(c, r2);
	if (!f)
		return RET(-EFAULT);
	switch (r5 & F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return RET(-EINVAL);
		csum_update(f, 0xffffffffu, (uint32_t)r4); /* ~0xffffffff adds nothing */
		break;
	case 2: {
		/* 16-bit arithmetic, as the kernel's csum_replace2 */
		uint16_t sum, from = (uint16_t)r3, to = (uint16_t)r4;
		memcpy(&sum, f, 2);
		uint16_t a = (uint16_t)~sum, nf = (uint16_t)~from;
		uint16_t s = (uint16_t)(a + nf);
		s = (uint16_t)(s + (s < nf));
		uint16_t t = (uint16_t)(s + to);
		t = (uint16_t)(t + (t < to));
		sum = (uint16_t)~t;
		memcpy(f, &sum, 2);
		break;
	}
	case 4:
		csum_update(f, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return RET(-EINVAL);
	}
	return 0;
}

/*
 * bpf_l4_csum_replace(skb, offset, from, to, flags). userbpf's packets carry no skb->csum and are
 * never CHECKSUM_PARTIAL, so BPF_F_PSEUDO_HDR changes nothing in the packet (as for the kernel's
 * test runs); BPF_F_MARK_MANGLED_0 writes 0xffff for a result of 0 and skips a field that is 0.
 */
static uint64_t h_l4_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (r5 & ~(F_HDR_FIELD_MASK | F_PSEUDO_HDR | F_MARK_MANGLED_0 | F_MARK_ENFORCE | F_IPV6))
		return RET(-EINVAL);
	uint8_t *f = csum_field(c, r2);
	if (!f)
		return RET(-EFAULT);
	bool mmzero = r5 & F_MARK_MANGLED_0;
	uint16_t cur;
	memcpy(&cur, f, 2);
	if (mmzero && !(r5 & F_MARK_ENFORCE) && !cur)
		return 0;
	switch (r5 & F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return RET(-EINVAL);
		csum_update(f, 0xffffffffu, (uint32_t)r4);
		break;
	case 2:
		csum_update(f, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		csum_update(f, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return RET(-EINVAL);
	}
	memcpy(&cur, f, 2);
	if (mmzero && !cur) {
		cur = 0xffff;
		memcpy(f, &cur, 2);
	}
	return 0;
}

int userbpf_helpers__add_kernel(struct userbpf_helpers *helpers)
{
	/* Numbers from the kernel's enum bpf_func_id (include/uapi/linux/bpf.h). */
	static const struct helpers_def tab[] = {
	    {4, "probe_read", h_probe_read},
	    {6, "trace_printk", h_trace_printk},
	    {10, "l3_csum_replace", h_l3_csum_replace},
	    {11, "l4_csum_replace", h_l4_csum_replace},
	    {12, "tail_call", vm_helper_tail_call},
	    {14, "get_current_pid_tgid", h_get_current_pid_tgid},
	    {15, "get_current_uid_gid", h_get_current_uid_gid},
	    {16, "get_current_comm", h_get_current_comm},
	    {28, "csum_diff", h_csum_diff},
	    {45, "probe_read_str", h_probe_read_str},
	    {112, "probe_read_user", h_probe_read},
	    {113, "probe_read_kernel", h_probe_read},
	    {114, "probe_read_user_str", h_probe_read_str},
	    {115, "probe_read_kernel_str", h_probe_read_str},
	    {165, "snprintf", h_snprintf},
	    {181, "loop", h_loop},
	    {182, "strncmp", h_strncmp},
	};
	return helpers_add_table(helpers, tab, sizeof(tab) / sizeof(tab[0]));
}
