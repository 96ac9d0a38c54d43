/* SPDX-License-Identifier: MIT */
/*
 * IP reassembly for jitterd pcap: fragments of one datagram (IPv4: source,
 * destination, protocol, ID; IPv6: source, destination, the fragment
 * header's ID) are kept until the datagram is whole, then handed back as
 * one IP packet (header on, fragmentation gone) to be decoded as raw IP.
 * Bounded: REASM_MAX datagrams and REASM_BYTES_MAX bytes in progress; a
 * datagram not whole REASM_TIMEOUT_NS (capture time) after its first
 * fragment is given up. Every datagram given up is counted by why.
 */
#ifndef JD_PCAP_REASM_H
#define JD_PCAP_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "pcap/capture.h"

#define REASM_MAX	 1024
#define REASM_BYTES_MAX	 (64u << 20)
#define REASM_TIMEOUT_NS 30000000000ull /* Linux's ipfrag_time */

enum reasm_failure {
	RF_TIMEOUT,  /* not whole in time */
	RF_END,	     /* not whole when the capture ended */
	RF_CONFLICT, /* overlapping fragments that disagree */
	RF_SNAPPED,  /* a fragment cut by the snap length */
	RF_TOO_BIG,  /* past 65535 bytes, or a bad offset */
	RF_FULL,     /* REASM_MAX or REASM_BYTES_MAX in progress: the oldest given up */
	RF_N
};
extern const char *const reasm_failure_names[RF_N];

struct reasm;

struct reasm_stats {
	uint64_t datagrams; /* reassembled */
	uint64_t failures[RF_N];
};

struct reasm *reasm_new(void);
void reasm_free(struct reasm *r);
/*
 * A fragment (pcap_decode said PV_FRAGMENT; p->l4_off is where the IPv4
 * payload or the IPv6 fragment header starts), of a frame of len bytes on
 * the wire. Returns true when it made its datagram whole: *ip and *ip_len
 * are the datagram (valid until the next call), *wire the frame bytes of
 * all its fragments.
 */
bool reasm_add(struct reasm *r, const struct pcap_pkt *p, uint64_t ts_ns, uint32_t len,
	       const uint8_t **ip, uint32_t *ip_len, uint64_t *wire);
/* The capture ended: what is still in progress failed (RF_END). */
void reasm_finish(struct reasm *r);
const struct reasm_stats *reasm_stats(const struct reasm *r);

#endif
