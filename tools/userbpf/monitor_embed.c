/*
 * monitor_embed.c - the flow-accounting program (examples/flows.bpf.c compiled to an object) built
 * into the CLI, so that `userbpf monitor` needs no file once installed. The Makefile defines
 * MONITOR_FLOWS_OBJ as the path of $(BUILD)/examples/flows.o and makes this file depend on it; the
 * assembler's .incbin copies its bytes into .rodata. Without clang-19 there is no object and
 * mon_flows_obj() says so.
 */
#include <stddef.h>

#include "monitor.h"

#ifdef MONITOR_FLOWS_OBJ
__asm__(".pushsection .rodata.userbpf_flows_obj, \"a\"\n"
	".balign 16\n"
	"mon_flows_obj_start:\n"
	".incbin \"" MONITOR_FLOWS_OBJ "\"\n"
	"mon_flows_obj_end:\n"
	".byte 0\n"
	".popsection\n");
extern const unsigned char mon_flows_obj_start[] __asm__("mon_flows_obj_start")
    __attribute__((visibility("hidden")));
extern const unsigned char mon_flows_obj_end[] __asm__("mon_flows_obj_end")
    __attribute__((visibility("hidden")));

const unsigned char *mon_flows_obj(size_t *len)
{
	*len = (size_t)(mon_flows_obj_end - mon_flows_obj_start);
	return *len ? mon_flows_obj_start : NULL;
}
#else
const unsigned char *mon_flows_obj(size_t *len)
{
	*len = 0;
	return NULL;
}
#endif
