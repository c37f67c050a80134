/*
 * run_kpcap.h - `run OBJ -r FILE --kernel | --compare` (run_kpcap.c): the packets of a capture run in
 * the Linux kernel, or in userbpf and the kernel side by side, for run_pcap.c's loop and summary.
 */
#ifndef USERBPF_CLI_RUN_KPCAP_H
#define USERBPF_CLI_RUN_KPCAP_H

#include "obj.h"
#include "run_obj.h"
#include "userbpf/packet.h"

struct cli_kpcap;
struct userbpf_kobject;

/*
 * Load the object in the kernel and make its runner for a->prog. For --compare, `urun` is userbpf's
 * runner, run on every packet too. NULL with the error line printed and *exit_status set.
 */
struct cli_kpcap *cli_kpcap_open(const struct run_obj_args *a, const struct cli_obj *o,
				 struct userbpf_pktrun *urun, int *exit_status);
void cli_kpcap_free(struct cli_kpcap *k);
/* --kernel: the kernel object, whose maps the summary prints; NULL for --compare (userbpf's). */
struct userbpf_kobject *cli_kpcap_kobj(const struct cli_kpcap *k);
/*
 * As userbpf_pktrun__run_batch: on_result for each packet, with the kernel's result (--kernel) or
 * userbpf's (--compare, after both ran and were compared). A non-zero return stops and is returned.
 */
int cli_kpcap_batch(struct cli_kpcap *k, const struct userbpf_pkt *pkts, size_t n,
		    int (*on_result)(void *cookie, size_t i, const struct userbpf_pkt_result *res), void *cookie);
/* --compare: compare the maps after the last packet. The exit status: 1 if anything differed. */
int cli_kpcap_finish(struct cli_kpcap *k);
/* --compare: the report's lines ("compare: ..."), text or JSON members. */
void cli_kpcap_print(const struct cli_kpcap *k);
void cli_kpcap_json(const struct cli_kpcap *k, struct json *j);

#endif /* USERBPF_CLI_RUN_KPCAP_H */
