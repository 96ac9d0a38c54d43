// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Sockets collector, kernel side: queue depths and drops of the sockets that
 * a configured class selects, the same quantities `ss` shows.
 *
 *   sk_data_ready     data queued to a socket: TCP rcv_nxt - copied_seq,
 *                     UDP rmem_alloc (less the part already read)
 *   sock_send_length  the application sent: TCP write_seq - snd_una
 *   tcp_probe         a segment (an ACK) arrived: TCP write_seq - snd_una,
 *                     before the ACK frees what it acknowledges; and, for
 *                     the peak only, rcv_nxt - copied_seq
 *   kfree_skb         a packet was dropped, for a reason we count
 *   sock_recv_length  the application read (collectors.sockets.latency;
 *                     before 6.3 skb_consume_udp, by fentry or kprobe):
 *                     with sk_data_ready's enqueue and the packet's
 *                     arrival stamp, where a datagram's time went
 *                     (docs/netlat.md)
 *
 * Each hook comes in the flavours the probe layer may choose from: tp_btf,
 * raw_tp and the classic tracepoint, and, for the tracepoints that Linux
 * 6.3 added, fentry and kprobe on the kernel function the tracepoint sits
 * in (sock_def_readable) or one that sees every send (tcp_push).
 *
 * Most sockets are in no class: for them a hook costs reading the protocol
 * and the local port and one array lookup, and nothing else.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.bpf.h"
#include "flavours.bpf.h"
#include "hist.bpf.h"
#include "sockets.h"

#define AF_INET	   2
#define AF_INET6   10
#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86DD
#define MSG_PEEK   2

/* Rewritten by the daemon on a reload (daemon/collectors/sockets.c), so not const. */
struct jd_sock_match match = {};
/* Set by the daemon before load. */
const volatile __u64 peak_slot_ns = 1;
const volatile bool peak_clock_exact = false; /* read the clock at every observation */
/* From BTF: what skb:kfree_skb passes to tp_btf and raw_tp programs. */
const volatile bool kfree_has_reason = false; /* 5.17+ */
const volatile bool kfree_has_rx_sk = false;  /* 6.11+ */
/* Receive latency of UDP classes (collectors.sockets.latency). */
const volatile bool rx_latency = false;
/* CLOCK_TAI - CLOCK_REALTIME: skb->tstamp is CLOCK_REALTIME, which BPF can
 * only read as TAI (bpf_ktime_get_tai_ns, 6.1+). */
const volatile __s64 tai_offset_ns = 0;
/* events.socket_latency_threshold; rewritten on a reload, so not const. */
__u64 latency_threshold_ns = 1000000;

/* JD_SOCK_PORT_INDEX(protocol, side, port) -> mask of the classes that list it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, JD_SOCK_PORT_INDEXES);
	__type(key, __u32);
	__type(value, __u32);
} class_ports SEC(".maps");

/* Local address (IPv4 as ::ffff:a.b.c.d) -> mask of the classes that name it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* set by the daemon: the number of addresses */
	__type(key, __u32[4]);
	__type(value, __u32);
} class_addresses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries,
	       JD_SOCK_MAX_CLASSES); /* key: the class's slot (daemon/probes/slots.h) */
	__type(key, __u32);
	__type(value, struct jd_sock_class_cpu);
} class_stats SEC(".maps");

/* A socket of a class (its address) -> how far its datagrams are numbered. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JD_SOCK_RX_SOCKETS); /* 1 a CPU without rx_latency */
	__type(key, __u64);
	__type(value, struct jd_sock_rx_state);
} rx_state SEC(".maps");

/* A datagram (socket, number) -> its stamps, from its enqueue to its read
 * (LRU: one that is never read, dropped with its socket, is evicted). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JD_SOCK_ENQUEUED_MAX); /* 1 a CPU without rx_latency */
	__type(key, struct jd_sock_rx_key);
	__type(value, struct jd_sock_enqueued);
} enqueued_map SEC(".maps");

/* A TCP socket of a class (its address) -> its chunks' bounds (struct
 * jd_sock_tcp_rx: the chunks follow each other in sequence). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JD_SOCK_RX_SOCKETS); /* 1 a CPU without rx_latency */
	__type(key, __u64);
	__type(value, struct jd_sock_tcp_rx);
} tcp_rx SEC(".maps");

/* A TCP chunk (socket, first sequence number) -> its stamps, from its
 * arrival (out of order) or enqueue to its last byte's copy. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JD_SOCK_TCP_CHUNKS); /* 1 a CPU without rx_latency */
	__type(key, struct jd_sock_tcp_key);
	__type(value, struct jd_sock_tcp_chunk);
} tcp_chunks SEC(".maps");

/* skb address -> when a packet of a class entered its device's queue. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, JD_SOCK_SENDING_MAX); /* 1 a CPU without latency */
	__type(key, __u64);
	__type(value, struct jd_sock_sending);
} sending SEC(".maps");

/* Before 6.11 the stamp's clock was one bit (5.18+). */
struct sk_buff___mono {
	__u8 mono_delivery_time : 1;
} __attribute__((preserve_access_index));

/*
 * An integer field, loaded directly where the program has BTF-typed
 * pointers (tp_btf, fentry) and through bpf_probe_read_kernel() elsewhere.
 * The bitfield form also reads fields that once were bitfields
 * (sk_protocol, sk_type before 5.6) and volatile ones (skc_state).
 */
#define FIELD(direct, p, field)                                                                    \
	((direct) ? BPF_CORE_READ_BITFIELD(p, field) : BPF_CORE_READ_BITFIELD_PROBED(p, field))

/* ---- which class ------------------------------------------------------- */

static __always_inline int sock_proto(struct sock *sk, bool direct)
{
	__u64 proto = FIELD(direct, sk, sk_protocol);

	if (proto == IPPROTO_TCP)
		return JD_SOCK_TCP;
	if (proto == IPPROTO_UDP)
		return JD_SOCK_UDP;
	return -1;
}

static __always_inline __u32 port_classes(int proto, int side, __u16 port)
{
	__u32 index = JD_SOCK_PORT_INDEX(proto, side, port);
	__u32 *classes = bpf_map_lookup_elem(&class_ports, &index);

	return classes ? *classes : 0;
}

/* proto & 1 keeps the verifier sure of the index. */
_Static_assert(JD_SOCK_PROTOS == 2, "protocol indexes are masked with 1");

/* The classes that admit this local port: for most sockets, none. */
static __always_inline __u32 by_local_port(int proto, __u16 lport)
{
	return match.any_local[proto & 1] | port_classes(proto, JD_SOCK_LOCAL, lport);
}

/* Of classes, those that admit this remote port. */
static __always_inline __u32 by_remote_port(__u32 classes, int proto, __u16 rport)
{
	__u32 admit = match.any_remote[proto & 1];

	if (classes & ~admit)
		admit |= port_classes(proto, JD_SOCK_REMOTE, rport);
	return classes & admit;
}

/* Of classes, those that admit this local address (IPv4 as ::ffff:a.b.c.d). */
static __always_inline __u32 by_address(__u32 classes, const __u32 addr[4])
{
	__u32 *admit = bpf_map_lookup_elem(&class_addresses, addr);

	return (classes & ~match.by_address) | (admit ? classes & *admit : 0);
}

/*
 * The first class in config order: the index of the lowest bit, counted
 * without branches (a branch per bit would have the verifier walk a path
 * per bit through everything that follows).
 */
static __always_inline int first_class(__u32 classes)
{
	__u32 below = (classes & -classes) - 1; /* the bits under the lowest */

	if (!classes)
		return -1;
	below = below - ((below >> 1) & 0x55555555);
	below = (below & 0x33333333) + ((below >> 2) & 0x33333333);
	return (((below + (below >> 4)) & 0x0f0f0f0f) * 0x01010101) >> 24;
}

static __always_inline void v4_mapped(__u32 addr[4], __be32 v4)
{
	addr[0] = 0;
	addr[1] = 0;
	addr[2] = bpf_htonl(0xffff);
	addr[3] = v4;
}

/* The address the socket is bound to (its local address once connected). */
static __always_inline void sock_local_address(struct sock *sk, __u32 addr[4])
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == AF_INET6)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		v4_mapped(addr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
}

static __always_inline int sock_class(struct sock *sk, int proto, bool direct)
{
	__u32 classes = by_local_port(proto, FIELD(direct, sk, __sk_common.skc_num));
	__u32 addr[4];

	if (!classes)
		return -1;
	classes =
		by_remote_port(classes, proto, bpf_ntohs(FIELD(direct, sk, __sk_common.skc_dport)));
	if (classes & match.by_address) {
		sock_local_address(sk, addr);
		classes = by_address(classes, addr);
	}
	return first_class(classes);
}

/* A packet's side of things: local is its destination. */
struct flow {
	__u32 local[4], remote[4];
	__u16 lport, rport;
	int proto;
	__u8 family;
};

/* The flow of a received packet, from its IP and TCP/UDP headers. */
static __always_inline int skb_flow(struct sk_buff *skb, struct flow *f)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	__be16 ports[2];
	__u8 l4;

	if (BPF_CORE_READ(skb, protocol) == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return -1;
		v4_mapped(f->local, ip.daddr);
		v4_mapped(f->remote, ip.saddr);
		l4 = ip.protocol;
		f->family = 4;
	} else if (BPF_CORE_READ(skb, protocol) == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return -1;
		__builtin_memcpy(f->local, &ip6.daddr, sizeof(f->local));
		__builtin_memcpy(f->remote, &ip6.saddr, sizeof(f->remote));
		l4 = ip6.nexthdr; /* extension headers: not a flow we can tell */
		f->family = 6;
	} else {
		return -1;
	}
	if (l4 == IPPROTO_TCP)
		f->proto = JD_SOCK_TCP;
	else if (l4 == IPPROTO_UDP)
		f->proto = JD_SOCK_UDP;
	else
		return -1;
	/* TCP and UDP both start with the source and destination ports. */
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + transport))
		return -1;
	f->rport = bpf_ntohs(ports[0]);
	f->lport = bpf_ntohs(ports[1]);
	return 0;
}

static __always_inline int flow_class(const struct flow *f)
{
	__u32 classes = by_local_port(f->proto, f->lport);

	if (!classes)
		return -1;
	classes = by_remote_port(classes, f->proto, f->rport);
	if (classes & match.by_address)
		classes = by_address(classes, f->local);
	return first_class(classes);
}

/* ---- what to record ---------------------------------------------------- */

static __always_inline void peak_add(struct jd_sock_peak *ring, __u64 slot, __u64 bytes)
{
	struct jd_sock_peak *p = &ring[slot & (JD_SOCK_PEAK_SLOTS - 1)];

	if (p->slot != slot) {
		p->slot = slot;
		p->max = bytes;
	} else if (bytes > p->max) {
		p->max = bytes;
	}
}

static __always_inline __u64 jiffies(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_jiffies64)) /* 5.5+ */
		return bpf_jiffies64(); /* inlined by the verifier: a load */
	return bpf_ktime_get_ns();
}

/* The peak slot of now: to within a tick where slots are long enough
 * for a tick (at most 10 ms) not to matter. */
static __always_inline __u64 peak_slot(struct jd_sock_class_cpu *c)
{
	__u64 j;

	if (peak_clock_exact)
		return bpf_ktime_get_ns() / peak_slot_ns;
	j = jiffies();
	if (c->clock_jiffies != j) {
		__u64 slot = bpf_ktime_get_ns() / peak_slot_ns;

		/* The slot first, then the tick it is for: a program of this
		 * class that interrupts this one between the two (the send
		 * hook runs in process context, the ACK hook in softirq)
		 * finds the old tick and reads the clock itself, rather
		 * than an old slot under the new tick. */
		c->clock_slot = slot;
		barrier();
		c->clock_jiffies = j;
		return slot;
	}
	return c->clock_slot;
}

static __always_inline struct jd_sock_class_cpu *class_cpu(int cls)
{
	__u32 key = cls;

	return bpf_map_lookup_elem(&class_stats, &key);
}

/* An observation of a queue: into its histogram and its peak. */
static __always_inline void observe(int cls, bool send, __u64 bytes)
{
	struct jd_sock_class_cpu *c = class_cpu(cls);
	__u64 slot;

	if (!c)
		return;
	slot = peak_slot(c);
	if (send) {
		hist_bytes_add(&c->send_queue, bytes);
		peak_add(c->send_peak, slot, bytes);
	} else {
		hist_bytes_add(&c->receive_queue, bytes);
		peak_add(c->receive_peak, slot, bytes);
	}
}

/* The tcp_sock of sk, or NULL (a raw socket also has protocol TCP). */
static __always_inline struct tcp_sock *tcp_of(struct sock *sk, bool direct)
{
	if (FIELD(direct, sk, sk_type) != SOCK_STREAM)
		return NULL;
	/* Direct loads beyond struct sock need the helper's tcp_sock type. */
	return direct ? bpf_skc_to_tcp_sock(sk) : (struct tcp_sock *)sk;
}

/* ss's Recv-Q of a TCP socket; false for a listener (its queue is the
 * accept queue, which this is not about) */
static __always_inline bool tcp_receive_queue(struct sock *sk, bool direct, __u64 *bytes)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	__s32 queued;

	if (!tp || FIELD(direct, sk, __sk_common.skc_state) == TCP_LISTEN)
		return false;
	queued = (__u32)FIELD(direct, tp, rcv_nxt) - (__u32)FIELD(direct, tp, copied_seq);
	*bytes = queued > 0 ? queued : 0;
	return true;
}

/* ss's Send-Q of a TCP socket. */
static __always_inline bool tcp_send_queue(struct sock *sk, bool direct, __u64 *bytes)
{
	struct tcp_sock *tp = tcp_of(sk, direct);

	if (!tp)
		return false;
	*bytes = (__u32)((__u32)FIELD(direct, tp, write_seq) - (__u32)FIELD(direct, tp, snd_una));
	return true;
}

/* ss's Recv-Q of a UDP socket: memory charged less what was read but not
 * yet released (forward_deficit, 4.13+). */
static __always_inline bool udp_receive_queue(struct sock *sk, bool direct, __u64 *bytes)
{
	__s64 queued;

	if (FIELD(direct, sk, sk_type) != SOCK_DGRAM)
		return false;
	queued = (int)FIELD(direct, sk, sk_backlog.rmem_alloc.counter);
	if (bpf_core_field_exists(struct udp_sock, forward_deficit))
		queued -= BPF_CORE_READ((struct udp_sock *)sk, forward_deficit);
	*bytes = queued > 0 ? queued : 0;
	return true;
}

/* ---- receive latency --------------------------------------------------- */

/* CLOCK_REALTIME, skb->tstamp's clock. */
static __always_inline __u64 realtime_ns(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_tai_ns))
		return bpf_ktime_get_tai_ns() - tai_offset_ns;
	return 0;
}

/*
 * The kernel's arrival stamp of a received packet (net_timestamp_check(),
 * while software RX timestamping is on somewhere on the host), or 0: none,
 * or a delivery time in another clock that a forwarded packet kept.
 */
static __always_inline __u64 arrival_stamp(struct sk_buff *skb)
{
	__u64 t = BPF_CORE_READ(skb, tstamp);

	if (bpf_core_field_exists(skb->tstamp_type)) {
		if (BPF_CORE_READ_BITFIELD_PROBED(skb, tstamp_type))
			return 0;
	} else if (bpf_core_field_exists(((struct sk_buff___mono *)skb)->mono_delivery_time)) {
		if (BPF_CORE_READ_BITFIELD_PROBED((struct sk_buff___mono *)skb, mono_delivery_time))
			return 0;
	}
	return t;
}

/*
 * A datagram's stack time. A function of its own (global: verified once):
 * inlined in stamp_queued()'s loop, the histogram's branches times the
 * walk's steps are more paths than the verifier walks.
 */
__noinline int stack_add(struct jd_hist_ns *h, __u64 ns)
{
	if (h)
		hist_ns_add(h, ns);
	return 0;
}

/*
 * The datagrams queued after the last one numbered: from the queue's tail
 * back to that one or the queue's head, at most JD_SOCK_ENQUEUE_WALK and
 * the queue's length. The walk holds no lock: a reader that moves the
 * queue to its own (udp_sock::reader_queue) meanwhile leaves it in that
 * list, whose head ends it too.
 */
static __always_inline int unnumbered(struct sock *sk, const struct jd_sock_rx_state *st,
				      struct sk_buff **tail, __u64 stamps[JD_SOCK_ENQUEUE_WALK])
{
	struct sk_buff *head =
		(struct sk_buff *)__builtin_preserve_access_index(&sk->sk_receive_queue);
	struct sk_buff *reader = head;
	struct sk_buff *skb = BPF_CORE_READ(sk, sk_receive_queue.prev);
	__u32 len = BPF_CORE_READ(sk, sk_receive_queue.qlen);
	int n = 0;

	if (bpf_core_field_exists(struct udp_sock, reader_queue))
		reader = (struct sk_buff *)__builtin_preserve_access_index(
			&((struct udp_sock *)sk)->reader_queue);
	*tail = skb;
	for (int i = 0; i < JD_SOCK_ENQUEUE_WALK; i++) {
		__u64 t;

		if (!skb || skb == head || skb == reader || i >= len)
			break;
		t = arrival_stamp(skb);
		if (st && (__u64)skb == st->last_tail && t == st->last_tstamp)
			break;
		stamps[i] = t;
		n++;
		skb = BPF_CORE_READ(skb, prev);
	}
	return n;
}

/*
 * Data was queued to a UDP socket of class cls: number the datagrams queued
 * since the last time and note when. Mostly that is the tail alone; 6.18's
 * UDP queues a batch of datagrams from several CPUs at once and calls
 * sk_data_ready once for all. The queue is walked without its lock: a
 * reader that takes datagrams meanwhile ends the walk early, and those it
 * took are not numbered (nor counted at their read, see on_recv()).
 */
static __always_inline void stamp_queued(struct sock *sk, int cls)
{
	__u64 key = (__u64)sk, stamps[JD_SOCK_ENQUEUE_WALK] = {}, now = realtime_ns();
	struct jd_sock_rx_state *st = bpf_map_lookup_elem(&rx_state, &key), fresh = {};
	struct jd_sock_class_cpu *c = class_cpu(cls);
	struct sk_buff *tail;
	int n;

	if (!c || !now)
		return;
	n = unnumbered(sk, st, &tail, stamps);
	if (!n)
		return;
	if (!st) {
		bpf_map_update_elem(&rx_state, &key, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&rx_state, &key);
		if (!st)
			return;
	}
	/* stamps[0] is the newest: number n - 1 - i after those before. */
	for (int i = 0; i < JD_SOCK_ENQUEUE_WALK; i++) {
		struct jd_sock_rx_key k = { .sk = key };
		struct jd_sock_enqueued v = { .enqueue = now, .class_id = cls };

		if (i >= n)
			break;
		k.seq = st->enqueued + n - i;
		v.tstamp = stamps[i];
		if (!v.tstamp)
			c->receive_unstamped++;
		else if (v.tstamp <= now)
			stack_add(&c->receive_stack, now - v.tstamp);
		else
			v.tstamp = 0; /* not a datagram's stamp: not counted at the read */
		bpf_map_update_elem(&enqueued_map, &k, &v, BPF_ANY);
	}
	/* x86 keeps stores in order; barrier() keeps the compiler from moving them. */
	st->version++;
	barrier();
	st->enqueued += n;
	st->last_tail = (__u64)tail;
	st->last_tstamp = stamps[0];
	barrier();
	st->version++;
}

static __always_inline __u32 queue_len(struct sk_buff_head *q)
{
	return BPF_CORE_READ(q, qlen);
}

/*
 * The application read a datagram from a UDP socket (sock_recv_length:
 * recvmsg() returned). The datagram it took is the oldest it had queued:
 * the newest numbered less those numbered that are still queued, in the
 * socket's queue or its reader's (udp_sock::reader_queue, 4.13+). The
 * datagrams queued before the socket's first one numbered (before jitterd
 * started) pair with numbers below it: none.
 */
/* A slow datagram, read on this CPU by the current thread. At most one
 * a class, CPU and tick: a late reader's backlog is one event, not many. */
static __always_inline void latency_event(struct jd_sock_class_cpu *c, __u32 cls, __u64 stack_ns,
					  __u64 hol_ns, __u64 reader_ns)
{
	struct jd_sock_latency_event *e;
	__u64 now = jiffies();

	if (c->latency_event_jiffies == now)
		return;
	c->latency_event_jiffies = now;
	e = event_reserve(sizeof(*e), JD_SOCK_EVENT_LATENCY);
	if (!e)
		return;
	e->stack_ns = stack_ns;
	e->hol_ns = hol_ns;
	e->reader_ns = reader_ns;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->class_id = cls;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	event_submit(e);
}

static __always_inline void on_recv(struct sock *sk, int ret, int flags)
{
	__u64 key = (__u64)sk, stamps[JD_SOCK_ENQUEUE_WALK], now, queued, enqueued = 0;
	struct jd_sock_rx_key k = { .sk = key };
	struct jd_sock_rx_state *st;
	struct jd_sock_class_cpu *c;
	struct jd_sock_enqueued *e, v;
	struct sk_buff *tail;
	bool steady = false;

	if (ret < 0 || (flags & MSG_PEEK))
		return;
	st = bpf_map_lookup_elem(&rx_state, &key);
	if (!st) /* not a socket of a UDP class, or none of its datagrams numbered */
		return;
	/*
	 * The numbering, the queue's length and its datagrams not numbered yet
	 * as of one moment: sk_data_ready on another CPU may queue and number
	 * datagrams meanwhile; then this is read again (twice at most, else
	 * the read is not counted).
	 */
	for (int attempt = 0; attempt < 2 && !steady; attempt++) {
		__u64 version = st->version;

		barrier();
		queued = queue_len(__builtin_preserve_access_index(&sk->sk_receive_queue));
		if (bpf_core_field_exists(struct udp_sock, reader_queue))
			queued += queue_len(__builtin_preserve_access_index(
				&((struct udp_sock *)sk)->reader_queue));
		/* Queued but not numbered yet: its sk_data_ready has not run. */
		queued -= unnumbered(sk, st, &tail, stamps);
		enqueued = st->enqueued;
		barrier();
		steady = !(version & 1) && version == st->version &&
			 tail == BPF_CORE_READ(sk, sk_receive_queue.prev);
	}
	if (!steady || queued >= enqueued)
		return;
	k.seq = enqueued - queued;
	e = bpf_map_lookup_elem(&enqueued_map, &k);
	if (!e)
		return;
	v = *e;
	bpf_map_delete_elem(&enqueued_map, &k);
	now = realtime_ns();
	c = class_cpu(v.class_id);
	if (!c || !v.tstamp || now < v.enqueue)
		return;
	hist_ns_add(&c->receive_reader, now - v.enqueue);
	hist_ns_add(&c->receive_total, now - v.tstamp);
	if (now - v.tstamp >= latency_threshold_ns)
		latency_event(c, v.class_id, v.enqueue - v.tstamp, 0, now - v.enqueue);
}

/* ---- TCP receive latency ----------------------------------------------- */

#define RCV_SHUTDOWN 1
#define TCPHDR_FIN   0x01

/* Sequence numbers compared as TCP does (before(), after()). */
static __always_inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* A segment's sequence numbers, as tcp_v4_fill_cb() left them in skb->cb. */
static __always_inline void segment_seqs(struct sk_buff *skb, __u32 *seq, __u32 *end)
{
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)__builtin_preserve_access_index(&skb->cb);

	*seq = BPF_CORE_READ(cb, seq);
	*end = BPF_CORE_READ(cb, end_seq);
}

static __always_inline __u8 segment_flags(struct sk_buff *skb)
{
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)__builtin_preserve_access_index(&skb->cb);

	return BPF_CORE_READ(cb, tcp_flags);
}

/*
 * A segment arrived for a TCP socket of class cls (tcp_probe, before TCP
 * processes it; rcv_nxt is still the segment's predecessor's end): the
 * socket's entry is made here. Where the hook does not give the segment
 * (skb NULL: a classic tracepoint without skbaddr), that is all. One
 * that starts beyond rcv_nxt goes to the out-of-order queue: it becomes a
 * chunk now, with its arrival stamp and when it was found waiting. One in
 * order: its stamp is kept for the enqueue that follows (the tail of the
 * receive queue carries a later stamp when the gap's segments join it).
 */
static __always_inline void tcp_arrival(struct sock *sk, struct sk_buff *skb, int cls, bool direct)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	__u64 key = (__u64)sk, tstamp;
	struct jd_sock_tcp_rx *st;
	__u32 seq, end, rcv_nxt;

	if (!tp)
		return;
	if (skb) {
		segment_seqs(skb, &seq, &end);
		/* The FIN takes a sequence number that no read takes. */
		if (segment_flags(skb) & TCPHDR_FIN)
			end--;
		if (seq == end) /* no data */
			return;
	}
	rcv_nxt = FIELD(direct, tp, rcv_nxt);
	st = bpf_map_lookup_elem(&tcp_rx, &key);
	/* An entry of a socket that had this address before (LRU: not deleted
	 * at close) is not this one's: rcv_nxt never goes back, nor far ahead
	 * of the last enqueue. */
	if (st && (seq_before(rcv_nxt, st->next_seq) || rcv_nxt - st->next_seq > (1u << 30)))
		bpf_map_delete_elem(&tcp_rx, &key);
	if (!st || !bpf_map_lookup_elem(&tcp_rx, &key)) {
		struct jd_sock_tcp_rx fresh = { .next_seq = rcv_nxt, .read_seq = rcv_nxt };

		bpf_map_update_elem(&tcp_rx, &key, &fresh, BPF_NOEXIST);
	}
	st = bpf_map_lookup_elem(&tcp_rx, &key);
	if (!st || !skb) /* without the segment, the socket's entry only */
		return;
	tstamp = arrival_stamp(skb);
	if (seq_before(rcv_nxt, seq)) {
		struct jd_sock_tcp_key k = { .sk = key, .seq = seq };
		struct jd_sock_tcp_chunk v = {
			.tstamp = tstamp, .ofo = realtime_ns(), .end_seq = end, .class_id = cls
		};

		if (!v.ofo)
			return;
		if (v.tstamp > v.ofo)
			v.tstamp = 0;
		/* A copy of one already waiting (a tail loss probe) keeps the first's times. */
		bpf_map_update_elem(&tcp_chunks, &k, &v, BPF_NOEXIST);
		if (!st->ofo_waiting || seq_before(seq, st->ofo_seq)) {
			st->ofo_seq = seq;
			st->ofo_waiting = 1;
		}
	} else {
		st->arrival = tstamp;
		st->arrival_end = end;
	}
}

/* A chunk queued now: its stack time (and hol) are counted here, the rest at its read. */
static __always_inline void tcp_chunk_add(__u64 sk, __u32 seq, __u32 end, __u64 tstamp, __u64 now,
					  int cls, struct jd_sock_class_cpu *c)
{
	struct jd_sock_tcp_key k = { .sk = sk, .seq = seq };
	struct jd_sock_tcp_chunk v = { .enqueue = now, .end_seq = end, .class_id = cls };

	if (!tstamp || tstamp > now)
		c->receive_unstamped++;
	else {
		v.tstamp = tstamp;
		hist_ns_add(&c->receive_stack, now - tstamp);
	}
	bpf_map_update_elem(&tcp_chunks, &k, &v, BPF_ANY);
}

struct tcp_queued_walk {
	__u64 sk, now;
	__u32 pos, rcv_nxt;
};

/* One chunk that waited out of order, queued now (bpf_loop's callback). */
static long tcp_ofo_queued(__u64 i, struct tcp_queued_walk *w)
{
	struct jd_sock_tcp_key k = { .sk = w->sk, .seq = w->pos };
	struct jd_sock_tcp_chunk *e;
	struct jd_sock_class_cpu *c;

	(void)i;
	if (w->pos == w->rcv_nxt)
		return 1;
	e = bpf_map_lookup_elem(&tcp_chunks, &k);
	if (!e || e->enqueue || seq_before(w->rcv_nxt, e->end_seq) ||
	    !seq_before(w->pos, e->end_seq))
		return 1;
	e->enqueue = w->now;
	w->pos = e->end_seq;
	c = class_cpu(e->class_id);
	if (!c)
		return 1;
	if (!e->tstamp || w->now < e->ofo) {
		c->receive_unstamped++;
		e->tstamp = 0;
		return 0;
	}
	hist_ns_add(&c->receive_stack, e->ofo - e->tstamp);
	hist_ns_add(&c->receive_hol, w->now - e->ofo);
	return 0;
}

/* The lowest sequence number in the out-of-order queue (its rbtree's
 * leftmost skb), or false when it is empty. */
static __always_inline bool ofo_first(struct tcp_sock *tp, __u32 *seq)
{
	struct rb_node *node = BPF_CORE_READ(tp, out_of_order_queue.rb_node), *left;
	__u32 end;

	if (!node)
		return false;
	for (int i = 0; i < 48; i++) {
		left = BPF_CORE_READ(node, rb_left);
		if (!left)
			break;
		node = left;
	}
	/* rbnode is the first member of sk_buff's first union */
	segment_seqs(
		(struct sk_buff *)((void *)node - bpf_core_field_offset(struct sk_buff, rbnode)),
		seq, &end);
	return true;
}

/*
 * Data was queued to a TCP socket of class cls (sk_data_ready): the
 * chunk [next_seq, rcv_nxt). When that fills a gap, the segments that
 * waited beyond it join the queue now: the part before the first of them
 * is the segment that filled the gap (its stamp from tcp_probe), each of
 * the others the chunk tcp_arrival() made of it; what is not found so
 * (a segment the kernel trimmed or merged) is a chunk without a stamp.
 */
static __always_inline void tcp_queued(struct sock *sk, int cls, bool direct)
{
	struct tcp_sock *tp = tcp_of(sk, direct);
	struct tcp_queued_walk w = { .sk = (__u64)sk };
	struct jd_sock_tcp_rx *st;
	struct jd_sock_class_cpu *c;
	__u32 start, end;

	if (!tp || !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return;
	st = bpf_map_lookup_elem(&tcp_rx, &w.sk);
	c = class_cpu(cls);
	if (!st || !c)
		return;
	w.rcv_nxt = FIELD(direct, tp, rcv_nxt);
	if (!seq_before(st->next_seq, w.rcv_nxt))
		return;
	w.now = realtime_ns();
	if (!w.now)
		return;
	start = st->next_seq;
	st->next_seq = w.rcv_nxt;
	if (st->resync) {
		st->read_seq = start;
		st->resync = 0;
	}
	/* The FIN takes a sequence number that no read takes: not a chunk's. */
	if (!st->fin && (FIELD(direct, sk, sk_shutdown) & RCV_SHUTDOWN)) {
		st->fin = 1;
		w.rcv_nxt--;
		if (w.rcv_nxt == start)
			return;
	}
	if (st->ofo_waiting && seq_before(st->ofo_seq, w.rcv_nxt)) {
		end = st->ofo_seq;
		if (seq_before(start, end))
			tcp_chunk_add(w.sk, start, end,
				      seq_before(st->arrival_end, end) ? 0 : st->arrival, w.now,
				      cls, c);
		w.pos = seq_before(start, end) ? end : start;
		bpf_loop(JD_SOCK_TCP_READ_WALK, tcp_ofo_queued, &w, 0);
		if (w.pos != w.rcv_nxt)
			tcp_chunk_add(w.sk, w.pos, w.rcv_nxt, 0, w.now, cls, c);
		st->ofo_waiting = ofo_first(tp, &st->ofo_seq);
		return;
	}
	tcp_chunk_add(w.sk, start, w.rcv_nxt,
		      arrival_stamp(BPF_CORE_READ(sk, sk_receive_queue.prev)), w.now, cls, c);
}

struct tcp_read_walk {
	__u64 sk, now;
	__u32 pos, copied;
	bool lost;
};

/* One chunk whose last byte the application has copied (bpf_loop's callback). */
static long tcp_chunk_read(__u64 i, struct tcp_read_walk *w)
{
	struct jd_sock_tcp_key k = { .sk = w->sk, .seq = w->pos };
	struct jd_sock_tcp_chunk *e, v;
	struct jd_sock_class_cpu *c;
	__u64 stack, hol;

	(void)i;
	if (!seq_before(w->pos, w->copied))
		return 1;
	e = bpf_map_lookup_elem(&tcp_chunks, &k);
	if (!e || !e->enqueue) { /* lost (evicted): the chain is broken */
		w->lost = true;
		return 1;
	}
	if (seq_before(w->copied, e->end_seq)) /* partly read */
		return 1;
	v = *e;
	bpf_map_delete_elem(&tcp_chunks, &k);
	w->pos = v.end_seq;
	c = class_cpu(v.class_id);
	if (!c || !v.tstamp || w->now < v.enqueue)
		return 0;
	stack = (v.ofo ? v.ofo : v.enqueue) - v.tstamp;
	hol = v.ofo ? v.enqueue - v.ofo : 0;
	hist_ns_add(&c->receive_reader, w->now - v.enqueue);
	hist_ns_add(&c->receive_total, w->now - v.tstamp);
	if (w->now - v.tstamp >= latency_threshold_ns)
		latency_event(c, v.class_id, stack, hol, w->now - v.enqueue);
	return 0;
}

/*
 * The application copied data from a TCP socket (tcp_rcv_space_adjust,
 * after each skb copied, copied_seq moved past it): the chunks whose last
 * byte is now copied are read. Every TCP read on the host comes here: for
 * a socket in no class, one hash lookup that misses.
 */
static __always_inline void on_tcp_read(struct sock *sk, bool direct)
{
	struct tcp_read_walk w = { .sk = (__u64)sk };
	struct jd_sock_tcp_rx *st = bpf_map_lookup_elem(&tcp_rx, &w.sk);
	struct tcp_sock *tp;

	if (!st || !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return;
	tp = tcp_of(sk, direct);
	if (!tp)
		return;
	w.copied = FIELD(direct, tp, copied_seq);
	w.pos = st->read_seq;
	w.now = realtime_ns();
	bpf_loop(JD_SOCK_TCP_READ_WALK, tcp_chunk_read, &w, 0);
	st->read_seq = w.pos;
	if (w.lost)
		st->resync = 1;
}

/* ---- send latency ------------------------------------------------------ */

#define TCP_TIME_WAIT	 6
#define TCP_NEW_SYN_RECV 12

/*
 * A packet enters its device's queueing layer (__dev_queue_xmit, before
 * the qdisc): if its socket (skb->sk, the sender's for TCP and UDP) is in a
 * class, note when. A request or time-wait socket is not a full socket:
 * its class is not looked up.
 */
static __always_inline void on_dev_queue(struct sk_buff *skb)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);
	struct jd_sock_sending v = {};
	struct jd_sock_class_cpu *c;
	__u64 key = (__u64)skb;
	int proto, cls, state;

	if (!sk)
		return;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return;
	proto = sock_proto(sk, false);
	if (proto < 0)
		return;
	cls = sock_class(sk, proto, false);
	if (cls < 0)
		return;
	v.queued = bpf_ktime_get_ns();
	v.class_id = cls;
	c = class_cpu(cls);
	if (c)
		c->send_queued++;
	bpf_map_update_elem(&sending, &key, &v, BPF_ANY);
}

/* The driver is handed the packet: its time in the qdisc ends. Every packet
 * the host sends comes here: a lookup that misses for the others. */
static __always_inline void on_start_xmit(struct sk_buff *skb)
{
	__u64 key = (__u64)skb, now;
	struct jd_sock_sending *e = bpf_map_lookup_elem(&sending, &key);
	struct jd_sock_class_cpu *c;

	if (!e || e->start)
		return;
	now = bpf_ktime_get_ns();
	c = class_cpu(e->class_id);
	if (!c || now < e->queued)
		return;
	hist_ns_add(&c->send_qdisc, now - e->queued);
	e->start = now;
}

/* The driver returned (rc: NETDEV_TX_OK or not; a busy driver's packet is
 * requeued and comes back to net_dev_start_xmit: timed from its first). */
static __always_inline void on_xmit(struct sk_buff *skb, int rc)
{
	__u64 key = (__u64)skb, now;
	struct jd_sock_sending *e = bpf_map_lookup_elem(&sending, &key);
	struct jd_sock_sending v;
	struct jd_sock_class_cpu *c;

	if (!e || !e->start || rc != 0)
		return;
	v = *e;
	bpf_map_delete_elem(&sending, &key);
	now = bpf_ktime_get_ns();
	c = class_cpu(v.class_id);
	if (!c || now < v.start)
		return;
	hist_ns_add(&c->send_driver, now - v.start);
	hist_ns_add(&c->send_total, now - v.queued);
}

/* ---- queues ------------------------------------------------------------ */

static __always_inline void on_readable(struct sock *sk, bool direct)
{
	int proto = sock_proto(sk, direct), cls;
	__u64 bytes;

	if (proto < 0)
		return;
	cls = sock_class(sk, proto, direct);
	if (cls < 0)
		return;
	if (proto == JD_SOCK_TCP ? tcp_receive_queue(sk, direct, &bytes)
				 : udp_receive_queue(sk, direct, &bytes))
		observe(cls, false, bytes);
	if (rx_latency && proto == JD_SOCK_UDP && FIELD(direct, sk, sk_type) == SOCK_DGRAM)
		stamp_queued(sk, cls);
	if (rx_latency && proto == JD_SOCK_TCP)
		tcp_queued(sk, cls, direct);
}

static __always_inline void on_send(struct sock *sk, bool direct)
{
	__u64 bytes;
	int cls;

	if (sock_proto(sk, direct) != JD_SOCK_TCP)
		return;
	cls = sock_class(sk, JD_SOCK_TCP, direct);
	if (cls >= 0 && tcp_send_queue(sk, direct, &bytes))
		observe(cls, true, bytes);
}

/*
 * tcp_probe runs for TCP sockets only, for every segment a socket receives,
 * before it is processed. Most segments that a receiver gets find its send
 * queue empty: those say nothing about sending.
 *
 * The receive queue is read here too, for its peak only (the histogram
 * counts what sk_data_ready sees, once per enqueue). sk_data_ready is the
 * only hook that sees the queue grow, and one of its runs can record
 * nothing: the kernel does not re-enter a BPF program on a CPU where it is
 * running (a softirq that interrupts it there is skipped and counted as a
 * recursion miss). When that run is the last enqueue (the window has
 * closed), no other run of it sees the top; the next segment to arrive (a
 * window probe, the sender's next data) sees the queue as it was left.
 */
static __always_inline void on_ack(struct sock *sk, struct sk_buff *skb, bool direct)
{
	int cls = sock_class(sk, JD_SOCK_TCP, direct);
	struct jd_sock_class_cpu *c;
	__u64 sent = 0, queued = 0;

	if (cls < 0)
		return;
	if (rx_latency)
		tcp_arrival(sk, skb, cls, direct);
	if (tcp_send_queue(sk, direct, &sent) && sent)
		observe(cls, true, sent);
	if (!tcp_receive_queue(sk, direct, &queued) || !queued)
		return;
	c = class_cpu(cls);
	if (c)
		peak_add(c->receive_peak, peak_slot(c), queued);
}

/* The drop reasons we count; -1 for the others, which is nearly every call.
 * The enum's values differ between kernels: CO-RE gives this kernel's. */
static __always_inline int drop_reason(__u32 reason)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF))
		return JD_SOCK_DROP_RCVBUF_FULL;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_BACKLOG) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_BACKLOG))
		return JD_SOCK_DROP_BACKLOG_FULL;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_TCP_LISTEN_OVERFLOW) &&
	    reason ==
		    bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_TCP_LISTEN_OVERFLOW))
		return JD_SOCK_DROP_ACCEPT_QUEUE_FULL;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM))
		return JD_SOCK_DROP_MEMORY_LIMIT;
	return -1;
}

static __always_inline void drop_event(struct jd_sock_class_cpu *c, int cls, int reason, int proto,
				       struct sk_buff *skb, struct sock *sk, struct flow *f,
				       bool have_flow)
{
	struct jd_sock_drop_event *e;
	__u64 now = jiffies();

	/* A flood of drops must not become a flood of work for the daemon. */
	if (c->event_jiffies == now)
		return;
	c->event_jiffies = now;
	if (!have_flow)
		have_flow = !skb_flow(skb, f);
	e = event_reserve(sizeof(*e), JD_SOCK_EVENT_DROP);
	if (!e)
		return;
	e->class_id = cls;
	e->reason = reason;
	e->protocol = proto;
	e->family = have_flow ? f->family : 0;
	e->local_port = have_flow ? f->lport : 0;
	e->remote_port = have_flow ? f->rport : 0;
	for (int i = 0; i < 4; i++) {
		e->local_addr[i] = have_flow ? f->local[i] : 0;
		e->remote_addr[i] = have_flow ? f->remote[i] : 0;
	}
	e->inode = sk ? BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino) : 0;
	event_submit(e);
}

/*
 * rx_sk (6.11+) is the socket that dropped the packet; older kernels do
 * not say, and then the packet's headers tell which socket it was for.
 */
static __always_inline void on_drop(struct sk_buff *skb, __u32 code, struct sock *rx_sk,
				    bool direct)
{
	int reason = drop_reason(code), cls, proto;
	struct jd_sock_class_cpu *c;
	struct flow f = {};
	bool have_flow = false;
	__u32 key;

	if (reason < 0)
		return;
	if (rx_sk) {
		proto = sock_proto(rx_sk, direct);
		if (proto < 0)
			return;
		cls = sock_class(rx_sk, proto, direct);
	} else {
		if (skb_flow(skb, &f))
			return;
		have_flow = true;
		proto = f.proto;
		cls = flow_class(&f);
	}
	if (cls < 0)
		return;
	key = cls;
	c = bpf_map_lookup_elem(&class_stats, &key);
	if (!c)
		return;
	c->drops[reason]++;
	c->drop_bytes[reason] += BPF_CORE_READ(skb, truesize);
	drop_event(c, cls, reason, proto, skb, rx_sk, &f, have_flow);
}

/* ---- the programs ------------------------------------------------------ */

PROG_TP_BTF(rq, sk_data_ready, const struct sock *sk)
{
	on_readable((struct sock *)sk, true);
	return 0;
}

PROG_RAW_TP(rq, sk_data_ready, const struct sock *sk)
{
	on_readable((struct sock *)sk, false);
	return 0;
}

PROG_TRACEPOINT(rq, sock, sk_data_ready, trace_event_raw_sk_data_ready)
{
	on_readable((struct sock *)ctx->skaddr, false);
	return 0;
}

/* Before 6.3: the default sk_data_ready, where the tracepoint came to be. */
PROG_FENTRY(rq, sock_def_readable, struct sock *sk)
{
	on_readable(sk, true);
	return 0;
}

PROG_KPROBE(rq, sock_def_readable, struct sock *sk)
{
	on_readable(sk, false);
	return 0;
}

PROG_TP_BTF(snd, sock_send_length, struct sock *sk)
{
	on_send(sk, true);
	return 0;
}

PROG_RAW_TP(snd, sock_send_length, struct sock *sk)
{
	on_send(sk, false);
	return 0;
}

PROG_TRACEPOINT(snd, sock, sock_send_length, trace_event_raw_sock_msg_length)
{
	if (ctx->protocol == IPPROTO_TCP)
		on_send((struct sock *)ctx->sk, false);
	return 0;
}

/*
 * Before 6.3: tcp_push() runs with the data queued, at the end of each
 * send and before a sender blocks for memory (5.6+ export it).
 */
PROG_FENTRY(snd, tcp_push, struct sock *sk)
{
	on_send(sk, true);
	return 0;
}

PROG_KPROBE(snd, tcp_push, struct sock *sk)
{
	on_send(sk, false);
	return 0;
}

PROG_TP_BTF(ack, tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	on_ack(sk, skb, true);
	return 0;
}

PROG_RAW_TP(ack, tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	on_ack(sk, skb, false);
	return 0;
}

PROG_TRACEPOINT(ack, tcp, tcp_probe, trace_event_raw_tcp_probe)
{
	struct sk_buff *skb = NULL;

	/* The record names the socket and the segment on 6.12 (skaddr,
	 * skbaddr), neither on 6.1: the probe layer does not choose this
	 * variant where skaddr is missing (sockets.c); without skbaddr, no
	 * segment would be known to wait out of order. */
	if (bpf_core_field_exists(ctx->skbaddr))
		skb = (struct sk_buff *)ctx->skbaddr;
	if (bpf_core_field_exists(ctx->skaddr))
		on_ack((struct sock *)ctx->skaddr, skb, false);
	return 0;
}

PROG_TP_BTF(tcpread, tcp_rcv_space_adjust, struct sock *sk)
{
	on_tcp_read(sk, true);
	return 0;
}

PROG_RAW_TP(tcpread, tcp_rcv_space_adjust, struct sock *sk)
{
	on_tcp_read(sk, false);
	return 0;
}

PROG_TRACEPOINT(tcpread, tcp, tcp_rcv_space_adjust, trace_event_raw_tcp_event_sk)
{
	on_tcp_read((struct sock *)ctx->skaddr, false);
	return 0;
}

PROG_TP_BTF(drop, kfree_skb, struct sk_buff *skb)
{
	if (kfree_has_reason)
		on_drop(skb, ctx[2], kfree_has_rx_sk ? (struct sock *)ctx[3] : NULL, true);
	return 0;
}

PROG_RAW_TP(drop, kfree_skb, struct sk_buff *skb)
{
	if (kfree_has_reason)
		on_drop(skb, ctx[2], kfree_has_rx_sk ? (struct sock *)ctx[3] : NULL, false);
	return 0;
}

PROG_TRACEPOINT(drop, skb, kfree_skb, trace_event_raw_kfree_skb)
{
	struct sock *rx_sk = NULL;

	if (!bpf_core_field_exists(ctx->reason))
		return 0;
	if (bpf_core_field_exists(ctx->rx_sk))
		rx_sk = ctx->rx_sk;
	on_drop(ctx->skbaddr, ctx->reason, rx_sk, false);
	return 0;
}

PROG_TP_BTF(recv, sock_recv_length, struct sock *sk, int ret, int flags)
{
	on_recv(sk, ret, flags);
	return 0;
}

PROG_RAW_TP(recv, sock_recv_length, struct sock *sk, int ret, int flags)
{
	on_recv(sk, ret, flags);
	return 0;
}

PROG_TRACEPOINT(recv, sock, sock_recv_length, trace_event_raw_sock_msg_length)
{
	if (ctx->protocol == IPPROTO_UDP)
		on_recv((struct sock *)ctx->sk, ctx->ret, ctx->flags);
	return 0;
}

/*
 * Before 6.3: skb_consume_udp(), which udp_recvmsg() calls once the
 * datagram is copied out and off the queue; len is negative for a peek.
 */
PROG_FENTRY(recv, skb_consume_udp, struct sock *sk, struct sk_buff *skb, int len)
{
	on_recv(sk, len, 0);
	return 0;
}

PROG_KPROBE(recv, skb_consume_udp, struct sock *sk, struct sk_buff *skb, int len)
{
	on_recv(sk, len, 0);
	return 0;
}

PROG_TP_BTF(devq, net_dev_queue, struct sk_buff *skb)
{
	on_dev_queue(skb);
	return 0;
}

PROG_RAW_TP(devq, net_dev_queue, struct sk_buff *skb)
{
	on_dev_queue(skb);
	return 0;
}

PROG_TRACEPOINT(devq, net, net_dev_queue, trace_event_raw_net_dev_template)
{
	on_dev_queue(ctx->skbaddr);
	return 0;
}

PROG_TP_BTF(xstart, net_dev_start_xmit, const struct sk_buff *skb)
{
	on_start_xmit((struct sk_buff *)skb);
	return 0;
}

PROG_RAW_TP(xstart, net_dev_start_xmit, const struct sk_buff *skb)
{
	on_start_xmit((struct sk_buff *)skb);
	return 0;
}

PROG_TRACEPOINT(xstart, net, net_dev_start_xmit, trace_event_raw_net_dev_start_xmit)
{
	on_start_xmit((struct sk_buff *)ctx->skbaddr);
	return 0;
}

PROG_TP_BTF(xdone, net_dev_xmit, struct sk_buff *skb, int rc)
{
	on_xmit(skb, rc);
	return 0;
}

PROG_RAW_TP(xdone, net_dev_xmit, struct sk_buff *skb, int rc)
{
	on_xmit(skb, rc);
	return 0;
}

PROG_TRACEPOINT(xdone, net, net_dev_xmit, trace_event_raw_net_dev_xmit)
{
	on_xmit(ctx->skbaddr, ctx->rc);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
