/*
 * test_ctx_kernel.c - the kernel agrees with the context-access pass on the test objects: what
 * userbpf accepts (ctx_pkt.o: xdp, tc, socket filter and cgroup skb programs reading and writing
 * their contexts, through subprograms and a spilled context) the kernel's verifier accepts, what it
 * refuses (ctx_bad.o: a socket filter writing mark) the kernel refuses too; and the kernel backend
 * refuses a host hook section with one line. Skips with one line where bpf() is refused.
 */
#include <errno.h>

#include "loader_util.h"
#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/packet.h"

static char logbuf[8192];

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[200];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

#define NEED_OBJ(name)                                                                                       \
	do {                                                                                                 \
		FILE *f_ = fopen(lu_obj_path(name), "rb");                                                   \
		if (!f_)                                                                                     \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
		fclose(f_);                                                                                  \
	} while (0)

/* Load in userbpf (0 or -errno) and in the kernel (0 or -errno). */
static void both(const char *name, int *ub, int *kern)
{
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path(name), NULL);
	CHECK(obj);
	if (!obj)
		return;
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	errno = 0;
	struct userbpf_kobject *k = userbpf_kobject__load(obj, &ko);
	*kern = k ? 0 : -errno;
	userbpf_kobject__close(k);
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(userbpf_object_load_opts);
	*ub = userbpf_object__load(obj, &lo);
	userbpf_object__close(obj);
}

TEST(kernel_accepts_what_userbpf_accepts)
{
	NEED_KERNEL();
	NEED_OBJ("ctx_pkt");
	int ub = 1, kern = 1;
	both("ctx_pkt", &ub, &kern);
	if (kern)
		fprintf(stderr, "kernel: %s\n", logbuf);
	CHECK_EQ_INT(ub, 0);
	CHECK_EQ_INT(kern, 0);
}

TEST(kernel_refuses_what_userbpf_refuses)
{
	NEED_KERNEL();
	NEED_OBJ("ctx_bad");
	int ub = 0, kern = 0;
	both("ctx_bad", &ub, &kern);
	CHECK_EQ_INT(ub, -EACCES);
	CHECK(kern < 0);
}

TEST(kernel_backend_refuses_hooks)
{
	NEED_KERNEL();
	NEED_OBJ("ctx_hook");
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path("ctx_hook"), NULL);
	CHECK(obj);
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	errno = 0;
	CHECK(!userbpf_kobject__load(obj, &ko));
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_CONTAINS(logbuf,
		       "program 'on_ev' (section 'hook/ev'): host hooks exist only in userbpf, not in the "
		       "kernel; turn its autoload off to load the rest");
	userbpf_object__close(obj);
}
