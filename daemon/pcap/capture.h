/* SPDX-License-Identifier: MIT */
/*
 * jitterd pcap: latency and throughput from packet captures.
 *
 *   cmd.c      the command line, reading files and interfaces (libpcap)
 *   decode.c   frame bytes -> struct pcap_pkt, every read bounds-checked
 *   analysis.c flows named by socket classes, and the six analyses
 *   match.c    the same packets at two capture points
 *   report.c   terminal, JSON, OpenMetrics and HTML out
 *
 * Memory is bounded by flows (max_flows), streams and windows, never by
 * packets: nothing is kept per packet.
 */
#ifndef JD_PCAP_H
#define JD_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/buf.h"
#include "core/config.h"
#include "lib/metrics.h"

/* ---- decoding ----------------------------------------------------------- */

enum pcap_verdict {
	PV_OK,	      /* IPv4/IPv6 + TCP/UDP, headers whole */
	PV_NOT_IP,    /* ARP, LLDP, ... */
	PV_OTHER_L4,  /* ICMP, SCTP, ... */
	PV_FRAGMENT,  /* an IP fragment: its ports are not (all) there */
	PV_SNAPPED,   /* cut by the snap length before the headers ended */
	PV_MALFORMED, /* a header that contradicts itself */
	PV_LINKTYPE,  /* a link type this tool does not decode */
	PV_N
};
extern const char *const pcap_verdict_names[PV_N];

#define PCAP_TCP_FIN 0x01
#define PCAP_TCP_SYN 0x02
#define PCAP_TCP_RST 0x04
#define PCAP_TCP_ACK 0x10

struct pcap_pkt {
	uint64_t ts_ns;
	uint32_t caplen, len; /* captured and on-the-wire frame bytes */
	uint8_t ip_version;   /* 4 or 6 */
	uint8_t proto;	      /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t n_vlans;
	uint8_t tunnels; /* VXLAN, GRE, MPLS pseudowire: the inner packet is this one */
	uint8_t tcp_flags;
	uint8_t src[16], dst[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t sport, dport;
	uint16_t vlan[2];
	uint32_t seq, ack; /* TCP */
	uint32_t window;   /* TCP, unscaled */
	/* The IP packet (header on), bytes captured of it and its own length. */
	const uint8_t *ip;
	uint32_t ip_caplen, ip_len;
	uint32_t l4_off; /* where TCP/UDP starts in ip (a fragment: its fragment part) */
	/* The L4 payload: its length by the headers, and what of it was captured. */
	const uint8_t *payload;
	uint32_t payload_len, payload_caplen;
};

/* Decodes one frame of a capture of link type linktype (DLT_*) into p,
 * all of which it sets (ts_ns to 0: the caller's to fill). */
enum pcap_verdict pcap_decode(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t len,
			      struct pcap_pkt *p);
bool pcap_linktype_supported(int linktype);

/* Capture gear's own timestamps (docs/pcap.md, --timestamp):
 * Arista's EtherType header (0xd28b), Arista 7130/Metamako and
 * ExaBlaze/Cisco Nexus 3550 trailers. */
enum pcap_hwts { HWTS_NONE, HWTS_ARISTA, HWTS_METAMAKO, HWTS_EXABLAZE, HWTS_N };
extern const char *const pcap_hwts_names[HWTS_N];
/* The gear's time of an Ethernet frame in ns (UTC), or false when the
 * frame has none: the capture host's host_ns stays. */
bool pcap_hw_timestamp(enum pcap_hwts kind, int linktype, const uint8_t *frame, uint32_t caplen,
		       uint32_t len, uint64_t host_ns, uint64_t *ns);

/* "10.0.0.1:80" or "[::1]:80" */
void pcap_endpoint(char *buf, size_t size, const uint8_t addr[16], uint16_t port);

/* ---- a log-linear histogram --------------------------------------------- */

/*
 * Values below 64 are exact; above, each power of two is split in 32
 * buckets, so a percentile (the middle of its bucket) is within 1/64 =
 * 1.6% of the true value. A bucket holds (lo, hi]: folding into the
 * daemon's power-of-two buckets (le = 2^k) is exact.
 */
#define LLH_SUB_BITS 5
#define LLH_LINEAR   64
#define LLH_BUCKETS  (LLH_LINEAR + (64 - 6) * (1 << LLH_SUB_BITS))

struct llhist {
	uint64_t count, sum, min, max;
	uint64_t *b; /* LLH_BUCKETS, allocated at the first value */
};

void llh_add(struct llhist *h, uint64_t v);
void llh_merge(struct llhist *dst, const struct llhist *src);
uint64_t llh_quantile(const struct llhist *h, double q); /* 0 when empty */
void llh_free(struct llhist *h);
/* The bucket upper bound of index i (its values are <= this). */
uint64_t llh_upper(unsigned i);
unsigned llh_index(uint64_t v);

/* ---- analysis ----------------------------------------------------------- */

#define PCAP_MAX_TRIGGERS 8
#define PCAP_LIST_MAX	  1000 /* bursts, gaps, losses listed per class */

struct pcap_options {
	uint64_t interval_ns;	 /* throughput window (1ms) */
	uint64_t burst_bps;	 /* a window above this is a microburst; 0 = off */
	uint64_t burst_packets;	 /* or above this many packets; 0 = off */
	uint64_t trigger_window; /* tick-to-trade: how far back a trigger counts */
	uint64_t match_window;	 /* match: how long a packet at A waits for B */
	int64_t clock_offset;	 /* match: B's clock minus A's, taken off B's times */
	bool clock_offset_auto;	 /* match: estimate it (both ways), then take it off */
	uint64_t dup_window;	 /* a frame equal to a recent one of its flow: a tap's copy */
	uint32_t max_flows;	 /* flows followed; more are counted apart */
	uint32_t top;		 /* unclassified flows shown */
	bool all_flows;		 /* --json lists every flow */
	bool no_reassembly;	 /* IP fragments counted only, as before reasm.c */
	enum pcap_hwts hw_ts;	 /* --timestamp: whose time a frame has */
	uint32_t threads;	 /* --threads: 1 = all on one; more: files read ahead */
	int n_triggers;
	struct {
		int trigger, response; /* class indexes */
	} triggers[PCAP_MAX_TRIGGERS];
	FILE *samples; /* a line per latency sample, or NULL */
};

void pcap_options_defaults(struct pcap_options *o);

struct pcap_analysis;

/* classes is kept (not copied): it must outlive the analysis. */
struct pcap_analysis *pcap_analysis_new(const struct pcap_options *o,
					const struct jd_socket_classes *classes);
/* One frame, in capture order; frame is 1-based, as tshark numbers them. */
void pcap_analysis_frame(struct pcap_analysis *a, int linktype, uint64_t ts_ns,
			 const uint8_t *bytes, uint32_t caplen, uint32_t len);
/* The end of the input: close open windows, gaps, pending requests. */
void pcap_analysis_finish(struct pcap_analysis *a);
void pcap_analysis_free(struct pcap_analysis *a);
/* A file being read, for the report. */
void pcap_analysis_add_file(struct pcap_analysis *a, const char *name);
/* The file last added could not be read past offset: the report says so. */
void pcap_analysis_damage(struct pcap_analysis *a, long offset, const char *why);
/* Frames read so far. */
uint64_t pcap_analysis_frames(const struct pcap_analysis *a);
/* --timestamp: frames of a file that had the gear's time, and not. */
void pcap_analysis_hw_counts(struct pcap_analysis *a, uint64_t with, uint64_t without);

/* A class index of the packet (first class that matches), or -1. */
int pcap_classify(const struct jd_socket_classes *classes, const struct pcap_pkt *p);
/* Live mode: one line with what the last interval saw, and start a new one. */
void pcap_analysis_interval_line(struct pcap_analysis *a, FILE *out, uint64_t now_ns);

/* ---- reports ------------------------------------------------------------ */

void pcap_report_text(const struct pcap_analysis *a, FILE *out);
/* Everything as a jansson object (the --json schema, docs/pcap.md). */
struct json_t;
struct json_t *pcap_report_json(const struct pcap_analysis *a);
int pcap_report_openmetrics(const struct pcap_analysis *a, struct buf *out);
int pcap_report_html(struct json_t *report, const char *path);
/* {count, min, p50, p90, p99, p999, max, mean, histogram: [[le, count]...]} */
struct json_t *pcap_dist_json(const struct llhist *h);
/* The daemon's power-of-two buckets (le = 2^k ns from 128 ns), for metric_hist(). */
struct jd_hist_ns;
struct metric_hist pcap_fold(const struct llhist *h, struct jd_hist_ns *pow2);

/* ---- what a command prints ---------------------------------------------- */

enum pcap_output { PCAP_OUT_TEXT, PCAP_OUT_JSON, PCAP_OUT_OPENMETRICS };

#endif
