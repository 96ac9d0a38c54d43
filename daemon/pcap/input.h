/* SPDX-License-Identifier: MIT */
/* Capture files, as every pcap command opens them. */
#ifndef JD_PCAP_INPUT_H
#define JD_PCAP_INPUT_H

#include <stdint.h>

struct pcap; /* libpcap's pcap_t */

/*
 * Opens a capture file (pcap or pcapng) at nanosecond precision, in a link
 * type the decoder knows. Errors (file and byte offset) are printed on
 * stderr. 0 or -errno.
 */
int pcap_open_file(const char *path, struct pcap **out);

/* A record's time in ns since 1970. Classic pcap's seconds are unsigned 32
 * bits (to 2106), which libpcap hands over as a signed int: past 2^31
 * (2038) they come negative. */
struct timeval;
uint64_t pcap_record_ns(const struct timeval *ts);

/* Says on stderr that reading path stopped at offset, and why. -EINVAL. */
int pcap_read_error(const char *path, long offset, const char *msg);

#endif
