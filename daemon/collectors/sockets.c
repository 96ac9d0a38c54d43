// SPDX-License-Identifier: MIT
/*
 * Sockets collector: receive and send queue depths, their peaks and drops,
 * per socket class (collectors.sockets.classes). bpf/sockets.bpf.c says
 * what each hook sees. start() turns the classes into the tables that the
 * BPF side matches sockets with; collect() folds the per-CPU, per-class
 * histograms, drop counters and peak rings; drops also arrive as events.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collectors/sockets.h"
#include "probes/collector.h"
#include "anomaly/signal.h"
#include "lib/json.h"
#include "lib/hist.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "probes/slots.h"
#include "lib/yamlwalk.h"
#include "lib/util.h"
#include "bpf/sockets.h"
#include "sockets.skel.h"

_Static_assert(JD_MAX_SOCKET_CLASSES <= JD_SOCK_MAX_CLASSES, "a class is a bit of a __u32");
_Static_assert(JD_SOCK_MAX_CLASSES == JD_SLOTS, "a class's bit and stats key are its slot");

/* What configure() builds and loaded() writes to into the class_ports and class_addresses maps. */
struct match_maps {
	uint32_t *port_masks; /* JD_SOCK_PORT_INDEXES class masks */
	struct {
		__u32 addr[4];
		__u32 mask;
	} addresses[JD_MAX_SOCKET_CLASSES];
	unsigned n_addresses;
};

struct sockets {
	struct sockets_bpf *skel; /* the collector's, typed */
	struct match_maps mm;
	int n_classes;
	char names[JD_MAX_SOCKET_CLASSES][JD_NAME_MAX];
	enum jd_protocol protocols[JD_MAX_SOCKET_CLASSES];
	/* A class's bit in the BPF masks and its key in class_stats: its slot. */
	struct name_slots slots;
	unsigned slot_of[JD_MAX_SOCKET_CLASSES];
	uint64_t slot_ns; /* of the peak rings */
	int nr_cpus;
	struct jd_sock_class_cpu *percpu; /* lookup buffer: one value per possible CPU */
	bool latency;
	bool host_drops; /* per CPU backlog and per NIC drops, read at each scrape */
	/* Holds software RX timestamping on (host-wide) while latency is measured. */
	int tstamp_fd;
	bool tstamp_held; /* tstamp_fd is open (priv starts zeroed) */
};

static const char *const drop_reason_names[JD_SOCK_DROP_REASONS] = {
	[JD_SOCK_DROP_RCVBUF_FULL] = "rcvbuf_full",
	[JD_SOCK_DROP_BACKLOG_FULL] = "backlog_full",
	[JD_SOCK_DROP_ACCEPT_QUEUE_FULL] = "accept_queue_full",
	[JD_SOCK_DROP_MEMORY_LIMIT] = "memory_limit",
};

static const char *const proto_names[JD_SOCK_PROTOS] = {
	[JD_SOCK_TCP] = "tcp",
	[JD_SOCK_UDP] = "udp",
};

struct sockets_options {
	uint64_t peak_window_ns;
	struct jd_socket_classes classes;
	bool latency;
	bool host_drops;
	uint64_t latency_threshold_ns;
};
COLLECTOR_OPTIONS(struct sockets_options);

static const struct yw_key sockets_config_keys[] = {
	{ YW_KEY("peak_window", SCALAR, yw_parse_duration),
	  YW_FIELD(struct sockets_options, peak_window_ns), .min = NS_PER_MS,
	  .max = 3600 * NS_PER_S, .def = "10s" },
	{ YW_KEY("classes", SEQUENCE, yw_parse_list), YW_FIELD(struct sockets_options, classes.at),
	  YW_COUNT(struct sockets_options, classes.n), .list = &config_socket_class_list },
	{ YW_KEY("latency", SCALAR, yw_parse_bool), YW_FIELD(struct sockets_options, latency),
	  .def = "false" },
	{ YW_KEY("host_drops", SCALAR, yw_parse_bool), YW_FIELD(struct sockets_options, host_drops),
	  .def = "false" },
	{},
};

static const struct yw_key sockets_event_keys[] = {
	{ YW_KEY("socket_latency_threshold", SCALAR, yw_parse_duration),
	  YW_FIELD(struct sockets_options, latency_threshold_ns), .min = NS_PER_US,
	  .max = 10 * NS_PER_S, .def = "1ms" },
	{},
};

/* No class: no socket to follow, and nothing to load. */
static bool sockets_idle(const struct collector *c, const struct jd_config *cfg)
{
	return ((const struct sockets_options *)collector_options(c, cfg))->classes.n == 0;
}

static void list_ports(uint32_t *masks, int proto, int side, const struct jd_port_range *ranges,
		       int n, uint32_t bit)
{
	for (int i = 0; i < n; i++)
		for (unsigned port = ranges[i].first; port <= ranges[i].last; port++)
			masks[JD_SOCK_PORT_INDEX(proto, side, port)] |= bit;
}

/* IPv6, or IPv4 as ::ffff:a.b.c.d, as the BPF side compares them. */
static void parse_address(const char *s, __u32 addr[4])
{
	struct in6_addr a6;
	struct in_addr a4;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		addr[2] = htonl(0xffff);
		addr[3] = a4.s_addr;
	} else if (inet_pton(AF_INET6, s, &a6) == 1) { /* config.c has checked it is one */
		memcpy(addr, &a6, sizeof(a6));
	}
}

static void add_address(struct match_maps *mm, const char *s, uint32_t bit)
{
	__u32 addr[4];
	unsigned i;

	parse_address(s, addr);
	for (i = 0; i < mm->n_addresses && memcmp(mm->addresses[i].addr, addr, 16); i++)
		;
	if (i == mm->n_addresses)
		memcpy(mm->addresses[mm->n_addresses++].addr, addr, 16);
	mm->addresses[i].mask |= bit;
}

/* The BPF side's view of the classes (see struct jd_sock_match), class i as bit slot_of[i]. */
static void build_match(const struct sockets_options *o, const unsigned *slot_of,
			struct jd_sock_match *m, struct match_maps *mm)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < o->classes.n; i++) {
		const struct jd_socket_class *sc = &o->classes.at[i];
		int proto = sc->protocol == JD_PROTO_TCP ? JD_SOCK_TCP : JD_SOCK_UDP;
		uint32_t bit = 1u << slot_of[i];

		list_ports(mm->port_masks, proto, JD_SOCK_LOCAL, sc->local_ports, sc->n_local_ports,
			   bit);
		list_ports(mm->port_masks, proto, JD_SOCK_REMOTE, sc->remote_ports,
			   sc->n_remote_ports, bit);
		if (!sc->n_local_ports)
			m->any_local[proto] |= bit;
		if (!sc->n_remote_ports)
			m->any_remote[proto] |= bit;
		if (sc->local_address[0]) {
			m->by_address |= bit;
			add_address(mm, sc->local_address, bit);
		}
	}
}

static int fill_maps(struct sockets *s, const struct match_maps *mm)
{
	int ports = bpf_map__fd(s->skel->maps.class_ports);
	int addresses = bpf_map__fd(s->skel->maps.class_addresses);

	/* The array starts zeroed: only the ports of some class are written. */
	for (__u32 i = 0; i < JD_SOCK_PORT_INDEXES; i++)
		if (mm->port_masks[i] &&
		    bpf_map_update_elem(ports, &i, &mm->port_masks[i], BPF_ANY))
			return -errno;
	for (unsigned i = 0; i < mm->n_addresses; i++)
		if (bpf_map_update_elem(addresses, mm->addresses[i].addr, &mm->addresses[i].mask,
					BPF_NOEXIST))
			return -errno;
	return 0;
}

/* "127.0.0.1:80" or "[::1]:80" */
static void json_set_endpoint(json_t *obj, const char *key, int family, const __u32 addr[4],
			      unsigned port)
{
	char ip[INET6_ADDRSTRLEN], endpoint[INET6_ADDRSTRLEN + 16];

	if (family == 4)
		inet_ntop(AF_INET, &addr[3], ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
	snprintf(endpoint, sizeof(endpoint), family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
	json_set_str(obj, key, endpoint);
}

static bool on_drop_event(struct collector *c, const void *event, json_t *obj)
{
	const struct sockets *s = c->priv;
	const struct jd_sock_drop_event *e = event;

	const char *name = slots_name(&s->slots, e->class_id);

	if (!name || e->reason >= JD_SOCK_DROP_REASONS || e->protocol >= JD_SOCK_PROTOS)
		return false;
	json_set_str(obj, "socket", name);
	json_set_str(obj, "reason", drop_reason_names[e->reason]);
	json_set_str(obj, "protocol", proto_names[e->protocol]);
	if (e->family == 4 || e->family == 6) {
		json_set_endpoint(obj, "local", e->family, e->local_addr, e->local_port);
		json_set_endpoint(obj, "remote", e->family, e->remote_addr, e->remote_port);
	}
	if (e->inode)
		json_set_u64(obj, "inode", e->inode);
	return true;
}

/* The protocol of the class in a slot (UDP for none). */
static enum jd_protocol slot_protocol(const struct sockets *s, unsigned slot)
{
	for (int i = 0; i < s->n_classes; i++)
		if (s->slot_of[i] == slot)
			return s->protocols[i];
	return JD_PROTO_UDP;
}

static bool on_latency_event(struct collector *c, const void *event, json_t *obj)
{
	const struct sockets *s = c->priv;
	const struct jd_sock_latency_event *e = event;
	const char *name = slots_name(&s->slots, e->class_id);
	char comm[sizeof(e->comm) + 1];

	if (!name)
		return false;
	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = 0;
	json_set_str(obj, "socket", name);
	json_set_u64(obj, "latency_ns", e->stack_ns + e->hol_ns + e->reader_ns);
	json_set_u64(obj, "stack_ns", e->stack_ns);
	if (slot_protocol(s, e->class_id) == JD_PROTO_TCP)
		json_set_u64(obj, "hol_ns", e->hol_ns);
	json_set_u64(obj, "reader_ns", e->reader_ns);
	/* The part that took longest: where to look first. */
	json_set_str(obj, "slow",
		     e->reader_ns >= e->stack_ns && e->reader_ns >= e->hol_ns ? "reader"
		     : e->hol_ns > e->stack_ns				      ? "hol"
									      : "stack");
	json_set_u64(obj, "tid", e->tid);
	json_set_str(obj, "comm", comm);
	return true;
}

static const struct event_def sockets_events[] = {
	[JD_SOCK_EVENT_DROP] = { .name = "socket_drop",
				 .size = sizeof(struct jd_sock_drop_event),
				 .handle = on_drop_event },
	[JD_SOCK_EVENT_LATENCY] = { .name = "socket_latency",
				    .size = sizeof(struct jd_sock_latency_event),
				    .handle = on_latency_event },
};

/* The drop reason came in 5.17, the socket that dropped in 6.11. */
static bool kfree_skb_has_reason(const struct jd_config *cfg)
{
	(void)cfg;
	return probe_tracepoint_nargs("kfree_skb") >= 3;
}

extern const struct collector_ops sockets_collector;

/* Whether collectors.sockets.latency is on (a probe's wanted() has only the config). */
static bool latency_wanted(const struct jd_config *cfg)
{
	for (unsigned i = 0; i < n_collectors; i++)
		if (collectors[i].ops == &sockets_collector)
			return ((const struct sockets_options *)collector_options(&collectors[i],
										  cfg))
				->latency;
	return false;
}

static const struct probe_def sockets_probes[] = {
	{ .name = "sk_data_ready",
	  .system = "sock",
	  .function = "sock_def_readable",
	  .prog = "rq" },
	{ .name = "sock_send_length", .system = "sock", .function = "tcp_push", .prog = "snd" },
	/* The classic record names the socket (skaddr) since it names the
	 * segment too: 6.12's has both, 6.1's neither. */
	{ .name = "tcp_probe",
	  .system = "tcp",
	  .prog = "ack",
	  .record = "trace_event_raw_tcp_probe",
	  .record_member = "skaddr" },
	{ .name = "kfree_skb", .system = "skb", .prog = "drop", .wanted = kfree_skb_has_reason },
	{ .name = "sock_recv_length",
	  .system = "sock",
	  .function = "skb_consume_udp",
	  .prog = "recv",
	  .wanted = latency_wanted },
	/* TCP classes' reads: after each skb copied, with copied_seq moved. */
	{ .name = "tcp_rcv_space_adjust",
	  .system = "tcp",
	  .prog = "tcpread",
	  .wanted = latency_wanted },
	{ .name = "net_dev_queue", .system = "net", .prog = "devq", .wanted = latency_wanted },
	{ .name = "net_dev_start_xmit",
	  .system = "net",
	  .prog = "xstart",
	  .wanted = latency_wanted },
	{ .name = "net_dev_xmit", .system = "net", .prog = "xdone", .wanted = latency_wanted },
};

/* CLOCK_TAI - CLOCK_REALTIME, whole seconds as the kernel keeps it. */
static int64_t tai_offset_ns(void)
{
	struct timespec real, tai;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_TAI, &tai);
	return (int64_t)(tai.tv_sec - real.tv_sec +
			 (tai.tv_nsec - real.tv_nsec + 500000000) / 1000000000) *
	       1000000000;
}

/*
 * Software RX timestamping (net_enable_timestamp()), which makes the
 * kernel stamp every packet it receives (skb->tstamp, at the driver's
 * netif_receive_skb/netif_rx), is on while some socket on the host asks
 * for it: this one does, for as long as the collector runs.
 */
static int hold_rx_timestamping(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Everything the object needs before load. */
static int set_tunables(struct sockets *s, const struct sockets_options *o, struct match_maps *mm)
{
	struct sockets_bpf *k = s->skel;
	int kfree_args;

	build_match(o, s->slot_of, &k->bss->match, mm);
	/* Whole slots cover the window: up to one slot more than asked. */
	s->slot_ns =
		(o->peak_window_ns + JD_SOCK_PEAK_WINDOW_SLOTS - 1) / JD_SOCK_PEAK_WINDOW_SLOTS;
	k->rodata->peak_slot_ns = s->slot_ns;
	/* BPF reads the clock once per tick (10 ms at most): not for slots that
	 * are not longer than a tick (a peak_window under 140 ms). */
	k->rodata->peak_clock_exact = s->slot_ns < 10 * 1000000;
	kfree_args = probe_tracepoint_nargs("kfree_skb");
	k->rodata->kfree_has_reason = kfree_args >= 3;
	k->rodata->kfree_has_rx_sk = kfree_args >= 4;
	k->rodata->rx_latency = o->latency;
	k->data->latency_threshold_ns = o->latency_threshold_ns;
	k->rodata->tai_offset_ns = tai_offset_ns();
	/* Without latency nothing is stored: the smallest map an LRU allows. */
	if (!o->latency) {
		struct bpf_map *unused[] = { k->maps.enqueued_map, k->maps.rx_state,
					     k->maps.sending, k->maps.tcp_rx, k->maps.tcp_chunks };

		for (unsigned i = 0; i < ARRAY_SIZE(unused); i++)
			if (bpf_map__set_max_entries(unused[i], s->nr_cpus > 0 ? s->nr_cpus : 1))
				return -EINVAL;
	}
	if (kfree_args < 3)
		log_warn("sockets: skb:kfree_skb gives no drop reason on this kernel (before "
			 "5.17): drops are not counted");
	/* A class names one address at most: room for a reload to add some. */
	return bpf_map__set_max_entries(k->maps.class_addresses, JD_MAX_SOCKET_CLASSES);
}

/* The classes' names, protocols and slots, as collect() and the events use them. */
static void take_classes(struct sockets *s, const struct sockets_options *o, uint32_t *reused)
{
	const char *names[JD_MAX_SOCKET_CLASSES];

	s->n_classes = o->classes.n;
	for (int i = 0; i < s->n_classes; i++) {
		memcpy(s->names[i], o->classes.at[i].name, JD_NAME_MAX);
		s->protocols[i] = o->classes.at[i].protocol;
		names[i] = s->names[i];
	}
	slots_assign(&s->slots, names, (unsigned)s->n_classes, s->slot_of, reused);
}

static int sockets_configure(struct collector *c, const struct jd_config *cfg)
{
	const struct sockets_options *o = collector_options(c, cfg);
	struct sockets *s = c->priv;

	uint32_t reused;

	s->skel = c->skel;
	take_classes(s, o, &reused);
	s->nr_cpus = c->nr_cpus;
	s->latency = o->latency;
	s->host_drops = o->host_drops;
	if (s->latency) {
		int fd = hold_rx_timestamping();

		if (fd < 0) {
			log_warn("sockets: software RX timestamping cannot be enabled (%s): no "
				 "receive latency",
				 strerror(-fd));
			s->latency = false;
		} else {
			s->tstamp_fd = fd;
			s->tstamp_held = true;
		}
	}
	s->percpu = calloc(s->nr_cpus, sizeof(*s->percpu));
	s->mm.port_masks = calloc(JD_SOCK_PORT_INDEXES, sizeof(*s->mm.port_masks));
	if (!s->percpu || !s->mm.port_masks)
		return -ENOMEM;
	return set_tunables(s, o, &s->mm);
}

static int sockets_loaded(struct collector *c, const struct jd_config *cfg)
{
	struct sockets *s = c->priv;
	int err = fill_maps(s, &s->mm);

	(void)cfg;
	free(s->mm.port_masks); /* 1 MiB, needed no more */
	s->mm.port_masks = NULL;
	return err;
}

static void sockets_finish(struct collector *c)
{
	struct sockets *s = c->priv;

	free(s->mm.port_masks);
	free(s->percpu);
	if (s->tstamp_held)
		close(s->tstamp_fd);
	s->tstamp_held = false;
}

/* One class, all CPUs folded. */
struct class_total {
	struct jd_hist_bytes receive_queue, send_queue;
	uint64_t drops[JD_SOCK_DROP_REASONS];
	uint64_t drop_bytes[JD_SOCK_DROP_REASONS];
	uint64_t receive_peak, send_peak;
	struct jd_hist_ns receive_stack, receive_reader, receive_total, receive_hol;
	uint64_t receive_unstamped;
	struct jd_hist_ns send_qdisc, send_driver, send_total;
	uint64_t send_queued;
};

/* The largest value of the ring's slots that lie in [oldest, newest]. */
static uint64_t ring_max(const struct jd_sock_peak *ring, uint64_t oldest, uint64_t newest)
{
	uint64_t max = 0;

	for (int i = 0; i < JD_SOCK_PEAK_SLOTS; i++)
		if (ring[i].slot >= oldest && ring[i].slot <= newest && ring[i].max > max)
			max = ring[i].max;
	return max;
}

static void fold(const struct sockets *s, struct class_total *t, uint64_t oldest, uint64_t newest)
{
	memset(t, 0, sizeof(*t));
	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		const struct jd_sock_class_cpu *v = &s->percpu[cpu];
		uint64_t peak;

		hist_bytes_merge(&t->receive_queue, &v->receive_queue);
		hist_bytes_merge(&t->send_queue, &v->send_queue);
		hist_ns_merge(&t->receive_stack, &v->receive_stack);
		hist_ns_merge(&t->receive_reader, &v->receive_reader);
		hist_ns_merge(&t->receive_total, &v->receive_total);
		hist_ns_merge(&t->receive_hol, &v->receive_hol);
		t->receive_unstamped += v->receive_unstamped;
		hist_ns_merge(&t->send_qdisc, &v->send_qdisc);
		hist_ns_merge(&t->send_driver, &v->send_driver);
		hist_ns_merge(&t->send_total, &v->send_total);
		t->send_queued += v->send_queued;
		for (int r = 0; r < JD_SOCK_DROP_REASONS; r++) {
			t->drops[r] += v->drops[r];
			t->drop_bytes[r] += v->drop_bytes[r];
		}
		peak = ring_max(v->receive_peak, oldest, newest);
		if (peak > t->receive_peak)
			t->receive_peak = peak;
		peak = ring_max(v->send_peak, oldest, newest);
		if (peak > t->send_peak)
			t->send_peak = peak;
	}
}

/* ---- losses before the socket ------------------------------------------ */

/*
 * /proc/net/softnet_stat: a row per online CPU, hexadecimal columns;
 * the second is packets dropped because the CPU's backlog was full
 * (net.core.netdev_max_backlog), the third the times net_rx_action ran out
 * of budget or time with work left (net.core.netdev_budget, _usecs). The
 * 13th (5.10+) is the CPU's number; before it, rows are in CPU order.
 */
static void collect_softnet(struct metrics *m)
{
	struct metric_family *drops, *squeeze;
	char line[512];
	unsigned row = 0;
	FILE *f = fopen("/proc/net/softnet_stat", "re");

	if (!f)
		return;
	drops = metrics_family(m, SOCKETS_SOFTNET_DROPS,
			       "Packets the CPU dropped because its input backlog was full "
			       "(net.core.netdev_max_backlog): /proc/net/softnet_stat, column 2.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	squeeze =
		metrics_family(m, SOCKETS_SOFTNET_SQUEEZE,
			       "Times the CPU's receive softirq stopped with packets left, out of "
			       "budget or time (net.core.netdev_budget, netdev_budget_usecs): "
			       "/proc/net/softnet_stat, column 3.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[13] = { 0 };
		char *p = line, *end, cpu[16];
		int n = 0;

		while (n < 13) {
			v[n] = strtoull(p, &end, 16);
			if (end == p)
				break;
			n++;
			p = end;
		}
		if (n < 3)
			continue;
		snprintf(cpu, sizeof(cpu), "%llu", n >= 13 ? v[12] : (unsigned long long)row);
		metric_u64(drops, v[1], "cpu", cpu, LABELS_END);
		metric_u64(squeeze, v[2], "cpu", cpu, LABELS_END);
		row++;
	}
	fclose(f);
}

/*
 * Whether a driver statistic (ethtool -S) counts packets the device lost on
 * receive: missed (ring full), no buffer, FIFO overruns, drops, discards.
 * Not per-queue copies (rx0_, rx_queue_0_: their sum is the device's), not
 * XDP's (a program chose them), not transmit's.
 */
static bool nic_drop_counter(const char *name)
{
	static const char *const words[] = { "drop",	"miss",		 "no_buf",
					     "nobuf",	"out_of_buffer", "fifo",
					     "discard", "overrun",	 "over_err" };
	bool drop = false;

	if (strncmp(name, "rx", 2) || strstr(name, "xdp") || strstr(name, "queue_") ||
	    isdigit((unsigned char)name[2]))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		drop = drop || strstr(name, words[i]);
	return drop;
}

/* One device's driver statistics through the ethtool ioctl (what ethtool -S
 * reads): those nic_drop_counter() takes. */
static void collect_nic(struct metric_family *f, int fd, const char *dev)
{
	/* The header and room for its one count (data[], a flexible array). */
	union {
		struct ethtool_sset_info hdr;
		char room[sizeof(struct ethtool_sset_info) + sizeof(__u32)];
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *stats = NULL;
	struct ifreq ifr = {};
	__u32 n;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) || !(info.hdr.sset_mask & (1ull << ETH_SS_STATS)))
		return;
	n = info.hdr.data[0];
	if (!n || n > 65536)
		return;
	/* The kernel writes as many as the device has at that moment, which may
	 * have grown since: room for twice as many, and a count that changed is
	 * not read. */
	names = calloc(1, sizeof(*names) + (size_t)2 * n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)2 * n * sizeof(__u64));
	if (!names || !stats)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	/* cppcheck-suppress knownConditionTrueFalse ; the kernel rewrites len */
	if (ioctl(fd, SIOCETHTOOL, &ifr) || names->len != n)
		goto out;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	/* cppcheck-suppress knownConditionTrueFalse ; the kernel rewrites n_stats */
	if (ioctl(fd, SIOCETHTOOL, &ifr) || stats->n_stats != n)
		goto out;
	for (__u32 i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		if (nic_drop_counter(name))
			metric_u64(f, stats->data[i], "device", dev, "counter", name, LABELS_END);
	}
out:
	free(names);
	free(stats);
}

static void collect_nics(struct metrics *m)
{
	struct metric_family *f;
	struct dirent *d;
	DIR *dir = opendir("/sys/class/net");
	int fd;

	if (!dir)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		closedir(dir);
		return;
	}
	f = metrics_family(m, SOCKETS_NIC_DROPS,
			   "Packets a network device lost on receive before the stack saw them, "
			   "by its driver's statistic (ethtool -S): ring full (missed), no "
			   "buffer, FIFO overruns, drops, discards.",
			   METRIC_COUNTER, METRIC_UNIT_NONE);
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' && strcmp(d->d_name, "lo"))
			collect_nic(f, fd, d->d_name);
	close(fd);
	closedir(dir);
}

static void sockets_collect(struct collector *c, struct metrics *m)
{
	struct sockets *s = c->priv;
	struct metric_family *rq, *sq, *rpeak, *speak, *drops, *drop_bytes;
	struct metric_family *rlat = NULL, *rstage = NULL, *unstamped = NULL;
	struct metric_family *slat = NULL, *sstage = NULL, *squeued = NULL;
	struct timespec ts;
	uint64_t newest, oldest;

	/* The BPF side stamps slots with CLOCK_MONOTONIC too. */
	if (s->host_drops) {
		collect_softnet(m);
		collect_nics(m);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	newest = ((uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) / s->slot_ns;
	oldest = newest >= JD_SOCK_PEAK_WINDOW_SLOTS ? newest - JD_SOCK_PEAK_WINDOW_SLOTS : 0;
	rq = metrics_family(m, SOCKETS_RECEIVE_QUEUE,
			    "Receive queue of a socket of the class each time data was queued to "
			    "it, as ss shows Recv-Q: TCP rcv_nxt - copied_seq, UDP memory charged.",
			    METRIC_HISTOGRAM, METRIC_UNIT_NONE);
	sq = metrics_family(m, SOCKETS_SEND_QUEUE,
			    "Send queue (TCP write_seq - snd_una, ss's Send-Q) of a socket of the "
			    "class when the application sent and when an ACK arrived.",
			    METRIC_HISTOGRAM, METRIC_UNIT_NONE);
	rpeak = metrics_family(m, SOCKETS_RECEIVE_QUEUE_PEAK,
			       "Largest receive queue seen in the class within the last "
			       "collectors.sockets.peak_window.",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	speak = metrics_family(m, SOCKETS_SEND_QUEUE_PEAK,
			       "Largest send queue seen in the class within the last "
			       "collectors.sockets.peak_window.",
			       METRIC_GAUGE, METRIC_UNIT_NONE);
	drops = metrics_family(m, SOCKETS_DROPS,
			       "Packets that sockets of the class dropped, by reason: rcvbuf_full "
			       "(receive buffer full), backlog_full (TCP socket backlog full), "
			       "accept_queue_full (listen queue overflow), memory_limit (the "
			       "protocol's or socket's memory could not be charged).",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	drop_bytes =
		metrics_family(m, SOCKETS_DROPPED_BYTES,
			       "Memory (skb truesize, the unit of the receive queue) of the "
			       "packets that sockets of the class dropped, by reason: what the "
			       "queue lacked to take them.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	if (s->latency) {
		rlat = metrics_family(m, SOCKETS_RECEIVE_LATENCY,
				      "Time from a datagram's or TCP chunk's arrival (the kernel's "
				      "software RX stamp) to the application's copy of it (TCP: of "
				      "its last byte).",
				      METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
		rstage = metrics_family(
			m, SOCKETS_RECEIVE_STAGE,
			"The parts of the receive latency, by stage: stack (arrival to the "
			"socket's queue, counted at the enqueue), hol (TCP: waiting in the "
			"out-of-order queue for an earlier segment, counted at the enqueue), "
			"reader (queue to the application's copy, counted at the copy).",
			METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
		unstamped = metrics_family(
			m, SOCKETS_RECEIVE_UNSTAMPED,
			"Datagrams and TCP chunks queued without a known arrival stamp "
			"(received before RX timestamping was on; TCP: data jitterd could "
			"not attribute to a segment): not in the latencies.",
			METRIC_COUNTER, METRIC_UNIT_NONE);
		slat = metrics_family(m, SOCKETS_SEND_LATENCY,
				      "Time from a packet's entry to its device's queueing layer "
				      "(before the qdisc) to the end of the driver's transmit.",
				      METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
		sstage = metrics_family(
			m, SOCKETS_SEND_STAGE,
			"The parts of the send latency, by stage: qdisc (the device's queueing "
			"layer to the driver's transmit), driver (the driver's transmit).",
			METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
		squeued = metrics_family(
			m, SOCKETS_SEND_QUEUED,
			"Packets of the class that entered their device's queueing layer. "
			"Those not in the send latencies yet are still queued, were dropped "
			"by a qdisc, or left while the kernel did not run jitterd's programs "
			"at the driver (docs/netlat.md).",
			METRIC_COUNTER, METRIC_UNIT_NONE);
	}
	for (int i = 0; i < s->n_classes; i++) {
		__u32 key = s->slot_of[i];
		struct class_total t;
		struct metric_hist h;
		const char *name = s->names[i];

		if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.class_stats), &key, s->percpu)) {
			log_warn("sockets: reading class_stats: %s", strerror(errno));
			return;
		}
		fold(s, &t, oldest, newest);
		h = hist_bytes_metric(&t.receive_queue);
		metric_hist(rq, &h, "socket", name, LABELS_END);
		metric_u64(rpeak, t.receive_peak, "socket", name, LABELS_END);
		/* UDP send queues are not measured: no series rather than zeros. */
		if (s->protocols[i] == JD_PROTO_TCP) {
			h = hist_bytes_metric(&t.send_queue);
			metric_hist(sq, &h, "socket", name, LABELS_END);
			metric_u64(speak, t.send_peak, "socket", name, LABELS_END);
		}
		if (s->latency) {
			h = hist_ns_metric(&t.receive_total);
			metric_hist(rlat, &h, "socket", name, LABELS_END);
			h = hist_ns_metric(&t.receive_stack);
			metric_hist(rstage, &h, "socket", name, "stage", "stack", LABELS_END);
			if (s->protocols[i] == JD_PROTO_TCP) {
				h = hist_ns_metric(&t.receive_hol);
				metric_hist(rstage, &h, "socket", name, "stage", "hol", LABELS_END);
			}
			h = hist_ns_metric(&t.receive_reader);
			metric_hist(rstage, &h, "socket", name, "stage", "reader", LABELS_END);
			metric_u64(unstamped, t.receive_unstamped, "socket", name, LABELS_END);
		}
		if (s->latency) {
			h = hist_ns_metric(&t.send_total);
			metric_hist(slat, &h, "socket", name, LABELS_END);
			h = hist_ns_metric(&t.send_qdisc);
			metric_hist(sstage, &h, "socket", name, "stage", "qdisc", LABELS_END);
			h = hist_ns_metric(&t.send_driver);
			metric_hist(sstage, &h, "socket", name, "stage", "driver", LABELS_END);
			metric_u64(squeued, t.send_queued, "socket", name, LABELS_END);
		}
		for (int r = 0; r < JD_SOCK_DROP_REASONS; r++) {
			metric_u64(drops, t.drops[r], "socket", name, "reason",
				   drop_reason_names[r], LABELS_END);
			metric_u64(drop_bytes, t.drop_bytes[r], "socket", name, "reason",
				   drop_reason_names[r], LABELS_END);
		}
	}
}

/* ---- reload ------------------------------------------------------------ */

/* The slots are the ring's time unit: new ones would misread the rings' stamps. */
static const char *sockets_restart_needed(const struct collector *c, const struct jd_config *old,
					  const struct jd_config *new)
{
	const struct sockets_options *o = collector_options(c, old), *n = collector_options(c, new);

	if (o->latency != n->latency)
		return "latency cannot change live";
	return o->peak_window_ns != n->peak_window_ns ? "peak_window cannot change live" : NULL;
}

/* Only the entries that differ from what old wrote (both tables are built
 * from their configs: 1 MiB each, for the time of the reload). */
static int rewrite_maps(struct sockets *s, const struct match_maps *was,
			const struct match_maps *will)
{
	int ports = bpf_map__fd(s->skel->maps.class_ports);
	int addresses = bpf_map__fd(s->skel->maps.class_addresses);

	for (__u32 i = 0; i < JD_SOCK_PORT_INDEXES; i++)
		if (was->port_masks[i] != will->port_masks[i] &&
		    bpf_map_update_elem(ports, &i, &will->port_masks[i], BPF_ANY))
			return -errno;
	for (unsigned i = 0; i < was->n_addresses; i++) {
		unsigned j;

		for (j = 0; j < will->n_addresses; j++)
			if (!memcmp(was->addresses[i].addr, will->addresses[j].addr, 16))
				break;
		if (j == will->n_addresses &&
		    bpf_map_delete_elem(addresses, was->addresses[i].addr) && errno != ENOENT)
			return -errno;
	}
	for (unsigned i = 0; i < will->n_addresses; i++)
		if (bpf_map_update_elem(addresses, will->addresses[i].addr,
					&will->addresses[i].mask, BPF_ANY))
			return -errno;
	return 0;
}

/*
 * New classes: the port and address tables rewritten where they differ,
 * the match masks stored in one go. A packet in flight meanwhile may be
 * matched by either config's tables.
 */
static int sockets_reconfigure(struct collector *c, const struct jd_config *old,
			       const struct jd_config *new)
{
	const struct sockets_options *o = collector_options(c, old), *n = collector_options(c, new);
	struct sockets *s = c->priv;
	struct match_maps was = {}, will = {};
	unsigned old_slot_of[JD_MAX_SOCKET_CLASSES];
	struct jd_sock_match match;
	uint32_t reused;
	int err = -ENOMEM;

	s->host_drops = n->host_drops; /* read at each scrape: nothing to load */
	s->skel->data->latency_threshold_ns = n->latency_threshold_ns;
	if (!memcmp(&o->classes, &n->classes, sizeof(o->classes)))
		return 0;
	memcpy(old_slot_of, s->slot_of, sizeof(old_slot_of));
	was.port_masks = calloc(JD_SOCK_PORT_INDEXES, sizeof(*was.port_masks));
	will.port_masks = calloc(JD_SOCK_PORT_INDEXES, sizeof(*will.port_masks));
	if (!was.port_masks || !will.port_masks)
		goto out;
	build_match(o, old_slot_of, &match, &was);
	take_classes(s, n, &reused);
	build_match(n, s->slot_of, &match, &will);
	/* Slots whose name left the config and now serve a new class start at 0. */
	memset(s->percpu, 0, s->nr_cpus * sizeof(*s->percpu));
	err = slots_clear_map(bpf_map__fd(s->skel->maps.class_stats), reused, s->percpu);
	if (!err)
		err = rewrite_maps(s, &was, &will);
	if (err) { /* back to old's tables, as far as they were changed */
		take_classes(s, o, &reused);
		rewrite_maps(s, &will, &was);
		goto out;
	}
	s->skel->bss->match = match;
	log_info("sockets: %d socket classes", s->n_classes);
out:
	free(was.port_masks);
	free(will.port_masks);
	return err;
}

/* ---- what the anomaly detector may judge it by ---------------------------- */

static const struct signal_config drops_config = {
	.name = "socket_drops",
	.unit = SIGNAL_RATE,
	.floor = "1",
	.floor_min = 1,
	.floor_max = 100000000,
};
static const struct signal_config queue_config = {
	.name = "socket_queue",
	.unit = SIGNAL_BYTES,
	.floor = "1048576",
	.floor_min = 1,
	.floor_max = 1u << 31,
};

static const struct signal_config latency_config = {
	.name = "socket_latency",
	.unit = SIGNAL_SECONDS,
	.floor = "100us",
	.floor_min = NS_PER_US,
	.floor_max = 10 * NS_PER_S,
};

static const struct signal_def sockets_signals[] = {
	{ .name = "socket_drops",
	  .config = &drops_config,
	  .words = "dropped packets",
	  .judge = SIGNAL_RATE_OF,
	  .from = { { .family = SOCKETS_DROPS, .subject = SIGNAL_SOCKET, .label = "socket" } },
	  .by = "reason",
	  .evidence_causes = "drop_reason",
	  .cause_words = "packets dropped for" },
	{ .name = "socket_queue_max",
	  .config = &queue_config,
	  .words = "largest receive queue",
	  .judge = SIGNAL_MAX,
	  .from = { { .family = SOCKETS_RECEIVE_QUEUE,
		      .subject = SIGNAL_SOCKET,
		      .label = "socket" } },
	  .evidence = { "enqueues" } },
	/* collectors.sockets.latency: the p99 of each stage, so that an anomaly
	 * says which part of the host was slow (socket:md-feed/reader). */
	{ .name = "socket_receive_stage_p99",
	  .config = &latency_config,
	  .words = "receive time p99",
	  .judge = SIGNAL_QUANTILE,
	  .quantile = SIGNAL_P99,
	  .from = { { .family = SOCKETS_RECEIVE_STAGE,
		      .subject = SIGNAL_SOCKET,
		      .label = "socket",
		      .label2 = "stage" } },
	  .evidence = { "datagrams" },
	  .quantile_evidence = true },
	{ .name = "socket_send_stage_p99",
	  .config = &latency_config,
	  .words = "send time p99",
	  .judge = SIGNAL_QUANTILE,
	  .quantile = SIGNAL_P99,
	  .from = { { .family = SOCKETS_SEND_STAGE,
		      .subject = SIGNAL_SOCKET,
		      .label = "socket",
		      .label2 = "stage" } },
	  .evidence = { "packets" },
	  .quantile_evidence = true },
};

COLLECTOR_SKELETON(sockets)

const struct collector_ops sockets_collector = {
	.name = "sockets",
	.open = sockets_open,
	.priv_size = sizeof(struct sockets),
	.probes = sockets_probes,
	.n_probes = ARRAY_SIZE(sockets_probes),
	.events = sockets_events,
	.n_events = ARRAY_SIZE(sockets_events),
	.config_keys = sockets_config_keys,
	.event_keys = sockets_event_keys,
	.signals = sockets_signals,
	.n_signals = ARRAY_SIZE(sockets_signals),
	.idle = sockets_idle,
	.configure = sockets_configure,
	.loaded = sockets_loaded,
	.restart_needed = sockets_restart_needed,
	.reconfigure = sockets_reconfigure,
	.collect = sockets_collect,
	.finish = sockets_finish,
};
