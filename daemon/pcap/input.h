/* SPDX-License-Identifier: MIT */
/* Capture files, as every pcap command opens them. */
#ifndef JD_PCAP_INPUT_H
#define JD_PCAP_INPUT_H

struct pcap; /* libpcap's pcap_t */

/*
 * Opens a capture file (pcap or pcapng) at nanosecond precision, in a link
 * type the decoder knows. Errors (file and byte offset) are printed on
 * stderr. 0 or -errno.
 */
int pcap_open_file(const char *path, struct pcap **out);

/* Says on stderr that reading path stopped at offset, and why. -EINVAL. */
int pcap_read_error(const char *path, long offset, const char *msg);

#endif
