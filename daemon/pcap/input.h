/* SPDX-License-Identifier: MIT */
/* Capture files, as every pcap command opens them. */
#ifndef JD_PCAP_INPUT_H
#define JD_PCAP_INPUT_H

#include <stdbool.h>
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

/*
 * A capture as the commands read it: gzip- or zstd-compressed or not (by
 * its first bytes; standard input too), classic pcap through libpcap,
 * pcapng by cap_next() itself, so that its interfaces may each have their
 * own link type, snap length and time resolution (what mergecap makes,
 * which libpcap refuses).
 */
struct cap_reader;

struct cap_rec {
	uint64_t ts_ns;
	uint32_t caplen, len;
	int linktype;
	const uint8_t *data; /* valid until the next cap_next() */
};

/* Opens path ("-": standard input); errors printed. 0 or -errno.
 * read_ahead: read(2) and decompression on a thread of their own
 * (readahead.h), the records and errors the same as without. */
int cap_open(const char *path, bool read_ahead, struct cap_reader **out);
/* 1: a record; 0: the end; -1: damage (cap_error() says what, cap_offset() where). */
int cap_next(struct cap_reader *r, struct cap_rec *rec);
const char *cap_error(const struct cap_reader *r);
/* Where the next record starts in the (decompressed) capture. */
long cap_offset(const struct cap_reader *r);
/* The link type of the first interface. */
int cap_linktype(const struct cap_reader *r);
/* "gzip", "zstd" or NULL. */
const char *cap_compression(const struct cap_reader *r);
void cap_close(struct cap_reader *r);
/* Take the frames' times from capture gear (enum pcap_hwts) where a frame
 * has one; with, without: frames so far that had one and that did not. */
void cap_set_hw_timestamp(struct cap_reader *r, int kind);
void cap_hw_counts(const struct cap_reader *r, uint64_t *with, uint64_t *without);
/* Compressed bytes read so far from the file (for progress). */
uint64_t cap_bytes_read(const struct cap_reader *r);

#endif
