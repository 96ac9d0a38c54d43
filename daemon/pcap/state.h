/* SPDX-License-Identifier: MIT */
/*
 * What analysis.c keeps and report.c reads: per class, per flow,
 * per sequence stream and per A/B feed state. Only those two include it.
 */
#ifndef JD_PCAP_STATE_H
#define JD_PCAP_STATE_H

#include "pcap/capture.h"
#include "pcap/reasm.h"

#define TIMELINE_POINTS 1024  /* throughput points per class, at any capture length */
#define SEQ_WINDOW	4096  /* sequence numbers behind the highest still told apart */
#define SEQ_STREAMS_MAX 1024  /* sequence streams (class, group, port) followed */
#define TCP_UNACKED_MAX 65536 /* segments per direction awaiting their ACK, at most */
#define AB_RING		65536
#define MAX_FILES	64

struct burst {
	uint64_t start_ns, duration_ns, peak_bps, peak_packets, bytes, packets;
};

struct seq_gap {
	uint64_t ts_ns, first, count; /* count sequence numbers from first were missing */
	uint32_t stream;
};

struct timeline_point {
	uint64_t bytes, packets, peak_window_bytes;
};

struct class_stats {
	char name[JD_NAME_MAX];
	const struct jd_socket_class *sc; /* NULL for unclassified traffic */
	int feed;			  /* the A/B feed it is a leg of, or -1 */
	uint64_t packets, bytes, flows;
	uint64_t tap_duplicates; /* left out of every other figure */
	uint64_t first_ns, last_ns;
	uint64_t interval_packets, interval_bytes; /* live mode lines */

	/* 1. throughput, per window of opts.interval_ns */
	bool win_open;
	uint64_t win_start; /* ns of the open window */
	uint64_t win_packets, win_bytes;
	struct llhist win_bps, win_pps;	    /* every window from the first packet, empty ones too */
	struct burst cur_burst;		    /* duration_ns 0: not in a burst */
	struct burst bursts[PCAP_LIST_MAX]; /* the first ones */
	uint64_t n_bursts;
	struct timeline_point timeline[TIMELINE_POINTS];
	uint64_t tl_start, tl_width; /* ns; the width doubles as the capture grows */
	unsigned tl_used;

	/* 2. inter-arrival */
	struct llhist gap_ns;

	/* 3. sequence numbers */
	uint64_t seq_received, seq_gaps, seq_missing, seq_duplicates, seq_out_of_order, seq_resets,
		seq_unreadable;
	uint64_t seq_packets, seq_heartbeats, seq_ends; /* with a count: packets, count 0, end */
	struct seq_gap gaps[PCAP_LIST_MAX];
	uint64_t n_gaps_listed;

	/* 4. TCP */
	uint64_t tcp_segments, tcp_retransmissions, tcp_out_of_order, tcp_zero_windows;
	uint64_t tcp_fast_retransmissions, tcp_spurious_retransmissions, tcp_keepalives;
	uint64_t tcp_untimed; /* segments past TCP_UNACKED_MAX in flight: no RTT sample */
	struct llhist rtt_ns, response_ns;
};

struct seq_stream {
	uint8_t dst[16];
	uint16_t port;
	int cls;
	bool started;
	uint8_t session[JD_SESSION_MAX]; /* the class's session bytes, zero-padded */
	uint64_t next;			 /* the highest sequence number received + 1 */
	uint64_t received, gaps, missing, duplicates, out_of_order, resets;
	uint64_t packets, heartbeats, ends;
	uint64_t seen[SEQ_WINDOW / 64]; /* bit s % SEQ_WINDOW: s was seen */
};

struct tcp_segment {
	uint64_t ts_ns;
	uint32_t end;
	bool retransmitted;
};

struct tcp_dir {
	/* Segments awaiting their ACK: a ring that grows (powers of two) up to
	 * TCP_UNACKED_MAX, so an idle or SYN-only flow costs a few bytes. */
	struct tcp_segment *unacked;
	uint32_t cap, head, n;
	uint32_t next;	   /* highest sequence number sent + 1 */
	uint32_t last_ack; /* this direction's latest ACK number and window */
	uint32_t window;
	uint32_t syn_seq;    /* the ISN of this direction's SYN */
	uint16_t dupacks;    /* pure ACKs in a row repeating last_ack */
	bool seen;	     /* next is known */
	bool acked;	     /* last_ack is known */
	bool syn;	     /* a SYN went this way */
	bool keepalive;	     /* the latest segment was a keep-alive */
	uint64_t next_ns;    /* when next last moved */
	uint64_t ack_ns;     /* when last_ack went */
	uint64_t min_rtt_ns; /* smallest data->ACK time of this direction's data; UINT64_MAX none */
};

struct tcp_state {
	struct tcp_dir d[2];
	int client; /* the direction the SYN went, or -1 */
	bool request_pending, syn_seen;
	uint64_t request_ns;
	uint64_t syn_ns;	   /* the latest SYN (no ACK) */
	uint64_t handshake_rtt_ns; /* SYN to the ACK that ends the handshake; 0 unknown */
};

struct flow {
	bool used;
	uint8_t proto;
	int16_t cls;	/* class index, or the unclassified one */
	int32_t stream; /* sequence stream, -1 none */
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint64_t packets[2], bytes[2];
	uint64_t first_ns, last_ns;
	uint64_t tap_duplicates;
	uint64_t recent_sig[2], recent_ns[2]; /* the last two frames, for tap duplicates */
	struct tcp_state *tcp;
};

struct ab_slot {
	uint64_t seq, ts_ns;
	uint32_t session; /* a hash of the session bytes; 0 without */
	uint8_t legs;	  /* bit 0: A has it, bit 1: B has it; 0 = empty */
};

struct ab_loss {
	uint64_t seq, ts_ns;
	int leg; /* the leg that had it */
};

struct ab_feed {
	char name[JD_NAME_MAX];
	int cls[2];
	struct ab_slot *ring;	    /* AB_RING */
	uint64_t first[2];	    /* sequence numbers that leg had first */
	struct llhist margin_ns[2]; /* by how much, when leg was first */
	uint64_t only[2];	    /* on that leg only */
	struct ab_loss losses[PCAP_LIST_MAX];
	uint64_t n_losses_listed;
};

struct trigger_stats {
	uint64_t last_trigger_ns;
	bool triggered; /* last_trigger_ns is one */
	uint64_t responses, without_trigger;
	struct llhist latency_ns;
};

struct damage {
	int file; /* index in files */
	long offset;
	char why[160];
};

/* A frame whose time is far from the one before it, kept until the next
 * frame says which of the two times is wrong. */
struct held_frame {
	bool on;
	int linktype;
	uint64_t ts_ns, frame;
	uint32_t caplen, len, size;
	uint8_t *bytes;
};

struct ts_outlier {
	uint64_t frame, ts_ns;
};

struct pcap_analysis {
	struct pcap_options o;
	const struct jd_socket_classes *classes;
	int n_cls; /* classes->n + 1: the last is unclassified traffic */
	struct class_stats *cls;

	uint64_t frames, bytes, verdicts[PV_N], first_ns, last_ns;
	uint64_t frame_no; /* the frame being analysed, 1-based */
	uint64_t prev_ns;  /* the time of the frame analysed before it */

	/* timestamp disorder: frames earlier than the one before them, and
	 * outliers (a time far from both neighbours': taken as the one before's) */
	uint64_t ts_backwards, ts_backward_max_ns, ts_outliers;
	uint64_t hw_with, hw_without; /* --timestamp: frames with the gear's time, without */
	struct ts_outlier outliers[PCAP_LIST_MAX];
	struct held_frame held;
	uint64_t flows_over_limit_packets;
	uint64_t tap_duplicates;
	struct reasm *reasm;	    /* at the first fragment */
	uint64_t reasm_undecodable; /* whole datagrams that were not TCP/UDP */
	char files[MAX_FILES][JD_PATH_MAX];
	int n_files;
	struct damage damage[MAX_FILES]; /* files read only up to a damaged record */
	int n_damage;

	struct flow *flows; /* open addressing, n_slots a power of two */
	uint32_t n_slots, n_flows;

	struct seq_stream *streams;
	uint32_t n_streams;
	uint64_t streams_over_limit;

	struct ab_feed *feeds;
	int n_feeds;

	struct trigger_stats triggers[PCAP_MAX_TRIGGERS];

	uint64_t interval_start_ns; /* live lines */
	bool finished;
};

#endif
