/*
 * version.c - userbpf_version(): the library's version string, from the macros of userbpf.h.
 */
#include "userbpf/userbpf.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

const char *userbpf_version(void)
{
	return STR(USERBPF_VERSION_MAJOR) "." STR(USERBPF_VERSION_MINOR) "." STR(USERBPF_VERSION_PATCH);
}
