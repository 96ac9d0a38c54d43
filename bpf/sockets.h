/* SPDX-License-Identifier: MIT */
/* What bpf/sockets.bpf.c and daemon/collectors/sockets.c share. */
#ifndef JD_SOCKETS_H
#define JD_SOCKETS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "event.h"
#include "hist_slots.h"

#define JD_SOCK_MAX_CLASSES 32 /* a class is a bit of a __u32 mask */

/* Index of the protocol in the match tables (not IPPROTO_*). */
enum jd_sock_proto {
	JD_SOCK_TCP,
	JD_SOCK_UDP,
	JD_SOCK_PROTOS,
};

enum jd_sock_side {
	JD_SOCK_LOCAL,
	JD_SOCK_REMOTE,
	JD_SOCK_SIDES,
};

/*
 * Which sockets are in which class. A socket of protocol p is in class c
 * when
 *   (c is in any_local[p] or in the mask of (p, local, its local port))
 *   and (c is in any_remote[p] or in the mask of (p, remote, its remote port))
 *   and (c is not in by_address or in the mask of its local address);
 * of the classes it is in, the lowest (the first in the config) wins.
 * The port masks are an array map indexed by JD_SOCK_PORT_INDEX (one
 * inlined lookup: a socket in no class costs that and nothing more), the
 * address masks a hash map; the rest is set once before load (.rodata).
 */
struct jd_sock_match {
	__u32 any_local[JD_SOCK_PROTOS];  /* classes with no local_ports */
	__u32 any_remote[JD_SOCK_PROTOS]; /* classes with no remote_ports */
	__u32 by_address;		  /* classes with a local_address */
};

#define JD_SOCK_PORT_INDEX(proto, side, port) ((JD_SOCK_SIDES * (proto) + (side)) * 65536 + (port))
#define JD_SOCK_PORT_INDEXES		      (JD_SOCK_PROTOS * JD_SOCK_SIDES * 65536)

enum jd_sock_drop_reason {
	JD_SOCK_DROP_RCVBUF_FULL,	/* SKB_DROP_REASON_SOCKET_RCVBUFF */
	JD_SOCK_DROP_BACKLOG_FULL,	/* SKB_DROP_REASON_SOCKET_BACKLOG */
	JD_SOCK_DROP_ACCEPT_QUEUE_FULL, /* SKB_DROP_REASON_TCP_LISTEN_OVERFLOW */
	JD_SOCK_DROP_MEMORY_LIMIT,	/* SKB_DROP_REASON_PROTO_MEM */
	JD_SOCK_DROP_REASONS,
};

/*
 * Peak queue depths without reset-on-scrape: each CPU keeps, per class, the
 * maximum of each sub-window (slot = time / slot_ns, slot_ns = peak_window /
 * JD_SOCK_PEAK_WINDOW_SLOTS) in a ring. A scrape folds, over the CPUs, the
 * current slot and the JD_SOCK_PEAK_WINDOW_SLOTS before it: at least the
 * whole window. The ring has one slot more than that, so that a CPU that
 * starts the next slot while a scrape reads does not overwrite the oldest.
 */
#define JD_SOCK_PEAK_SLOTS	  16 /* a power of two */
#define JD_SOCK_PEAK_WINDOW_SLOTS (JD_SOCK_PEAK_SLOTS - 2)

struct jd_sock_peak {
	__u64 slot; /* time / slot_ns when max was set */
	__u64 max;
};

/* One per class and CPU (BPF_MAP_TYPE_PERCPU_ARRAY keyed by class index). */
struct jd_sock_class_cpu {
	struct jd_hist_bytes receive_queue;
	struct jd_hist_bytes send_queue;
	__u64 drops[JD_SOCK_DROP_REASONS];
	/* the memory (truesize) of the packets dropped: what the queue would
	 * have needed on top of its peak to take them */
	__u64 drop_bytes[JD_SOCK_DROP_REASONS];
	struct jd_sock_peak receive_peak[JD_SOCK_PEAK_SLOTS];
	struct jd_sock_peak send_peak[JD_SOCK_PEAK_SLOTS];
	/* Reading the clock costs more than the rest of an observation: it is
	 * read once per tick (jiffy) and CPU, and the slot kept until the next. */
	__u64 clock_jiffies, clock_slot;
	__u64 event_jiffies; /* at most one drop event per class, CPU and tick */
	/* Receive latency (collectors.sockets.latency): the kernel's arrival
	 * stamp (skb->tstamp) to the datagram's or TCP chunk's enqueue to the
	 * socket (the stack's time), enqueue to the application's copy (the
	 * reader's lateness), and arrival to copy (their sum). TCP: the time
	 * a chunk waited in the out-of-order queue for an earlier segment
	 * (head-of-line blocking) is its own, in none of the others. */
	struct jd_hist_ns receive_stack, receive_reader, receive_total;
	struct jd_hist_ns receive_hol;
	__u64 receive_unstamped;     /* datagrams and chunks queued without an arrival stamp */
	__u64 latency_event_jiffies; /* at most one latency event per class, CPU and tick */
	/* Send latency (collectors.sockets.latency): a packet's entry to its
	 * device's queueing layer (net_dev_queue, where SO_TIMESTAMPING's
	 * TX_SCHED stamps) to the driver's transmit (net_dev_start_xmit), and
	 * the driver's transmit (net_dev_xmit); the sum. */
	struct jd_hist_ns send_qdisc, send_driver, send_total;
	/* Packets of the class that entered their device's queueing layer
	 * (net_dev_queue): the send latencies count those whose departure the
	 * programs saw (docs/netlat.md). */
	__u64 send_queued;
};

/* A packet of a socket of a class between net_dev_queue and net_dev_xmit
 * (the sending map, keyed by the skb's address). */
struct jd_sock_sending {
	__u64 queued; /* CLOCK_MONOTONIC ns at net_dev_queue */
	__u64 start;  /* at net_dev_start_xmit, 0 before */
	__u32 class_id;
	__u32 pad;
};

#define JD_SOCK_SENDING_MAX 16384 /* packets of the classes in qdiscs */

/*
 * Receive latency pairs a datagram's enqueue with its read by order: UDP
 * queues are first in, first out, and the read's hook (sock_recv_length)
 * does not say which datagram was read. Each socket of a class numbers the
 * datagrams it sees queued (enqueued); the one a read took is the newest
 * numbered less those numbered and still queued (enqueued_map).
 */
struct jd_sock_rx_state {
	__u64 version;	   /* odd while sk_data_ready writes the rest: a read retries */
	__u64 enqueued;	   /* datagrams numbered so far */
	__u64 last_tail;   /* the last datagram numbered (an skb address) */
	__u64 last_tstamp; /* and its arrival stamp, to tell it from a reused address */
};

struct jd_sock_rx_key {
	__u64 sk;
	__u64 seq; /* the datagram's number in its socket */
};

struct jd_sock_enqueued {
	__u64 tstamp;  /* skb->tstamp: CLOCK_REALTIME ns, 0 for none */
	__u64 enqueue; /* CLOCK_REALTIME ns */
	__u32 class_id;
	__u32 pad;
};

#define JD_SOCK_ENQUEUED_MAX 16384 /* datagrams waiting in the classes' queues */
#define JD_SOCK_RX_SOCKETS   4096  /* sockets of the classes */
#define JD_SOCK_ENQUEUE_WALK 8	   /* datagrams numbered at one sk_data_ready */

/*
 * TCP receive latency is per chunk: the data that one sk_data_ready run
 * finds newly queued (rcv_nxt moved past where the last run left it), in
 * order, or a segment that waited out of order (recorded at its arrival,
 * tcp_probe, and queued when the gap before it is filled). Chunks follow
 * each other in sequence: each is keyed by its socket and first sequence
 * number and knows its end, so the reads (tcp_rcv_space_adjust, after each
 * skb copied, with copied_seq moved) take them in order from read_seq.
 * Everything here runs under the socket's lock: no two at once.
 */
struct jd_sock_tcp_rx {
	__u32 next_seq;	   /* rcv_nxt at the last enqueue: where the next chunk starts */
	__u32 read_seq;	   /* the first sequence of the oldest chunk not fully read */
	__u32 ofo_seq;	   /* the lowest sequence recorded out of order and not queued */
	__u32 arrival_end; /* end_seq of the last in-order segment tcp_probe saw */
	__u64 arrival;	   /* and its arrival stamp (for a segment that fills a gap) */
	__u8 ofo_waiting;  /* ofo_seq is valid */
	__u8 resync;	   /* a chunk was lost: the reads restart at the next enqueue */
	__u8 fin;	   /* the FIN (one sequence number, never read) was queued */
	__u8 pad[5];
};

struct jd_sock_tcp_key {
	__u64 sk;
	__u32 seq; /* the chunk's first sequence number */
	__u32 pad;
};

struct jd_sock_tcp_chunk {
	__u64 tstamp;  /* arrival, CLOCK_REALTIME ns; 0: unknown (counted as unstamped) */
	__u64 ofo;     /* when it was found out of order (tcp_probe); 0: in order */
	__u64 enqueue; /* when it reached the receive queue; 0 while out of order */
	__u32 end_seq;
	__u32 class_id;
};

#define JD_SOCK_TCP_CHUNKS    16384 /* chunks waiting in the classes' queues */
#define JD_SOCK_TCP_READ_WALK 1024  /* chunks taken by one copy, at most */

/* The events of this collector (jd_event_hdr.type). */
enum jd_sock_event {
	JD_SOCK_EVENT_DROP,    /* struct jd_sock_drop_event */
	JD_SOCK_EVENT_LATENCY, /* struct jd_sock_latency_event */
};

/* JD_SOCK_EVENT_DROP: a packet that a socket of a class dropped. */
struct jd_sock_drop_event {
	struct jd_event_hdr hdr;
	__u8 class_id;
	__u8 reason;		       /* enum jd_sock_drop_reason */
	__u8 protocol;		       /* enum jd_sock_proto */
	__u8 family;		       /* 4 or 6; 0 when the packet's headers could not be read */
	__u16 local_port, remote_port; /* the packet's destination and source */
	__u32 local_addr[4], remote_addr[4]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	/* The socket's inode (socket:[N] in /proc/PID/fd, ino: in ss -e), which
	 * says whose it is; 0 when the kernel did not name the socket (before
	 * 6.11's rx_sk) or it has no file. */
	__u64 inode;
};

/* JD_SOCK_EVENT_LATENCY: a datagram of a class whose arrival -> read took
 * events.socket_latency_threshold or longer. */
struct jd_sock_latency_event {
	struct jd_event_hdr hdr; /* cpu: where it was read */
	__u64 stack_ns;		 /* arrival -> the socket's queue */
	__u64 reader_ns;	 /* queue -> the read */
	__u32 tid;		 /* the reader's thread */
	__u8 class_id;
	__u8 pad[3];
	char comm[16]; /* the reader's thread's name */
	__u64 hol_ns;  /* TCP: in the out-of-order queue (in none of the others) */
};

#endif
