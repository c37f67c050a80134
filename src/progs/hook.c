/*
 * hook.c - host hooks (packet.h): a context the host describes, the USERBPF_PROG_TYPE_HOOK programs
 * attached to it in order, and firing them on the host's struct.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "vm/vm.h"

struct userbpf_hook {
	char *name;
	uint32_t size;
	const struct userbpf_prog **progs;
	size_t nr_progs, cap;
};

struct userbpf_hook *userbpf_hook__new(const struct userbpf_ctx_desc *desc)
{
	if (!desc || progs_desc_check(desc, NULL, 0)) {
		errno = EINVAL;
		return NULL;
	}
	struct userbpf_hook *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->name = strdup(desc->name ? desc->name : "");
	if (!h->name) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->size = desc->size;
	return h;
}

void userbpf_hook__free(struct userbpf_hook *hook)
{
	if (!hook)
		return;
	free(hook->name);
	free(hook->progs);
	free(hook);
}

int userbpf_hook__attach(struct userbpf_hook *hook, const struct userbpf_prog *prog)
{
	if (!hook || !prog || prog->prog_type != USERBPF_PROG_TYPE_HOOK || prog->hook_size != hook->size ||
	    strcmp(prog->hook_name ? prog->hook_name : "", hook->name))
		return -EINVAL;
	for (size_t i = 0; i < hook->nr_progs; i++)
		if (hook->progs[i] == prog)
			return -EEXIST;
	if (hook->nr_progs == hook->cap) {
		size_t cap = hook->cap ? hook->cap * 2 : 4;
		const struct userbpf_prog **v = realloc(hook->progs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		hook->progs = v;
		hook->cap = cap;
	}
	hook->progs[hook->nr_progs++] = prog;
	return 0;
}

int userbpf_hook__detach(struct userbpf_hook *hook, const struct userbpf_prog *prog)
{
	if (!hook || !prog)
		return -EINVAL;
	for (size_t i = 0; i < hook->nr_progs; i++)
		if (hook->progs[i] == prog) {
			memmove(&hook->progs[i], &hook->progs[i + 1],
				(hook->nr_progs - i - 1) * sizeof(*hook->progs));
			hook->nr_progs--;
			return 0;
		}
	return -ENOENT;
}

int userbpf_hook__fire(struct userbpf_hook *hook, void *ctx, struct userbpf_hook_fire_opts *opts)
{
	if (!hook || (!ctx && hook->size) || (opts && !vm_opts_valid(opts, opts->sz, sizeof(*opts))))
		return -EINVAL;
	enum userbpf_exec exec = VM_OPTS_GET(opts, exec, USERBPF_EXEC_DEFAULT);
	uint64_t *retvals = VM_OPTS_GET(opts, retvals, NULL);
	size_t nr_retvals = retvals ? VM_OPTS_GET(opts, nr_retvals, 0) : 0;
	char *err_buf = VM_OPTS_GET(opts, err_buf, NULL);
	size_t err_size = err_buf ? VM_OPTS_GET(opts, err_size, 0) : 0;
	if (err_size)
		err_buf[0] = '\0';
	for (size_t i = 0; i < hook->nr_progs; i++) {
		char why[256] = "";
		struct userbpf_run_opts ro =
		    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx, .ctx_size = hook->size, .exec = exec,
				      .err_buf = why, .err_size = sizeof(why));
		int err = userbpf_prog__run(hook->progs[i], &ro);
		if (err) {
			if (err_size)
				snprintf(err_buf, err_size, "hook %s: program %zu (id %u): %s", hook->name, i,
					 userbpf_prog__id(hook->progs[i]), why[0] ? why : strerror(-err));
			return err;
		}
		if (i < nr_retvals)
			retvals[i] = ro.retval;
	}
	return (int)hook->nr_progs;
}
