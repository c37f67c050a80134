/*
 * kern.h - internals of the kernel backend shared by its files:
 *   kern_btf.c   the object's BTF made loadable (DATASEC sizes and variable offsets) and loaded
 *   kobject.c    maps, programs, test runs and map access through bpf() (libbpf's low-level API)
 */
#ifndef USERBPF_KERN_H
#define USERBPF_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "userbpf/kernel.h"

/*
 * Load the object's BTF into the kernel. 0 with *fd set (-1 when the object has no BTF), or -errno
 * with the reason (the kernel's errno and the tail of its BTF log) in `err`.
 */
USERBPF_HIDDEN int kern_btf_load(const struct userbpf_object *obj, int *fd, char *err, size_t err_size);

/* The last meaningful lines of a kernel log (verifier or BTF), one line joined by " | ", in `out`. */
USERBPF_HIDDEN void kern_log_tail(const char *log, char *out, size_t size);

#endif /* USERBPF_KERN_H */
