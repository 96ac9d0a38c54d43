/* SPDX-License-Identifier: MIT */
/* `jitterd pcap merge A.json B.json ...`: reports of captures made one. */
#ifndef JD_PCAP_MERGE_H
#define JD_PCAP_MERGE_H

/* paths: n --json reports of `jitterd pcap`. The merged report on stdout;
 * returns the exit code (2: a file that is not such a report). */
int pcap_merge_main(int n, char **paths);

#endif
