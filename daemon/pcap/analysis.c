// SPDX-License-Identifier: MIT
/*
 * The analyses of jitterd pcap, in one pass over the frames:
 *
 *   1. throughput per class: packets and bytes per window, rate
 *      percentiles, microbursts (windows over a threshold, merged while
 *      consecutive), a timeline of bounded size;
 *   2. inter-arrival gaps per class;
 *   3. sequence numbers in UDP payloads: gaps, missing, duplicates, out of
 *      order per stream (class, destination group, port), and A/B
 *      arbitration between the two legs of a feed;
 *   4. TCP: RTT (data to the ACK that ends exactly at it, as tshark's
 *      tcp.analysis.ack_rtt; never on a retransmitted segment: Karn),
 *      retransmissions, out-of-order, zero windows, request->response;
 *   6. trigger->response between two classes (tick-to-trade).
 *   (5, two capture points, is match.c.)
 *
 * A flow belongs to the first socket class that it matches, the way the
 * sockets collector takes the first class a socket matches; a capture does
 * not say which end is local, so either end may be.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/state.h"

/* ---- log-linear histogram ----------------------------------------------- */

unsigned llh_index(uint64_t v)
{
	uint64_t x = v ? v - 1 : 0; /* buckets hold (lo, hi] */
	unsigned e;

	if (x < LLH_LINEAR)
		return (unsigned)x;
	e = 63u - (unsigned)__builtin_clzll(x); /* >= 6 */
	return LLH_LINEAR + (e - 6) * (1u << LLH_SUB_BITS) +
	       (unsigned)((x >> (e - LLH_SUB_BITS)) & ((1u << LLH_SUB_BITS) - 1));
}

uint64_t llh_upper(unsigned i)
{
	unsigned e, sub;

	if (i < LLH_LINEAR)
		return i + 1;
	e = (i - LLH_LINEAR) / (1u << LLH_SUB_BITS) + 6;
	sub = (i - LLH_LINEAR) % (1u << LLH_SUB_BITS);
	/* x < 2^e + (sub + 1) * 2^(e - 5), v = x + 1 */
	return (1ull << e) + ((uint64_t)(sub + 1) << (e - LLH_SUB_BITS));
}

static uint64_t llh_lower(unsigned i)
{
	return i ? llh_upper(i - 1) : 0;
}

static void llh_add_n(struct llhist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	if (!h->b) {
		h->b = calloc(LLH_BUCKETS, sizeof(*h->b));
		if (!h->b)
			return; /* counted below, but not placed: percentiles skip it */
	}
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count += n;
	h->sum += v * n;
	h->b[llh_index(v)] += n;
}

void llh_add(struct llhist *h, uint64_t v)
{
	llh_add_n(h, v, 1);
}

void llh_merge(struct llhist *dst, const struct llhist *src)
{
	if (!src->count || !src->b)
		return;
	if (!dst->b) {
		dst->b = calloc(LLH_BUCKETS, sizeof(*dst->b));
		if (!dst->b)
			return;
	}
	for (unsigned i = 0; i < LLH_BUCKETS; i++)
		dst->b[i] += src->b[i];
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

/* The middle of the bucket of the q-quantile, clamped to min and max. */
uint64_t llh_quantile(const struct llhist *h, double q)
{
	uint64_t rank, seen = 0, v;

	if (!h->count || !h->b)
		return 0;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)(q * (double)h->count) + 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned i = 0; i < LLH_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			v = i < LLH_LINEAR ? llh_upper(i)
					   : llh_lower(i) + (llh_upper(i) - llh_lower(i)) / 2;
			if (i == 0 && h->min == 0)
				v = 0;
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void llh_free(struct llhist *h)
{
	free(h->b);
	h->b = NULL;
}

/* ---- classes ------------------------------------------------------------ */

static bool port_in(const struct jd_port_range *r, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (port >= r[i].first && port <= r[i].last)
			return true;
	return false;
}

static void class_address(const char *s, uint8_t out[16])
{
	struct in6_addr a6;
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(out, &a6, 16);
	}
}

/* The end (addr, port) as the local one, the other as the remote one. */
static bool class_matches(const struct jd_socket_class *sc, const uint8_t *laddr, uint16_t lport,
			  uint16_t rport)
{
	if (sc->n_local_ports && !port_in(sc->local_ports, sc->n_local_ports, lport))
		return false;
	if (sc->n_remote_ports && !port_in(sc->remote_ports, sc->n_remote_ports, rport))
		return false;
	if (sc->local_address[0]) {
		uint8_t a[16];

		class_address(sc->local_address, a);
		if (memcmp(a, laddr, 16))
			return false;
	}
	return true;
}

int pcap_classify(const struct jd_socket_classes *classes, const struct pcap_pkt *p)
{
	for (int i = 0; i < classes->n; i++) {
		const struct jd_socket_class *sc = &classes->at[i];

		if ((sc->protocol == JD_PROTO_TCP) != (p->proto == IPPROTO_TCP))
			continue;
		if (class_matches(sc, p->dst, p->dport, p->sport) ||
		    class_matches(sc, p->src, p->sport, p->dport))
			return i;
	}
	return -1;
}

/* ---- setup -------------------------------------------------------------- */

void pcap_options_defaults(struct pcap_options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = 1000000;
	o->trigger_window = 10000000;
	o->match_window = 1000000000;
	o->max_flows = 1u << 20;
	o->top = 10;
	o->dup_window = 100000;
	o->threads = 1; /* the command line makes it the CPUs it may use */
}

static int find_feed(struct pcap_analysis *a, const char *name)
{
	for (int i = 0; i < a->n_feeds; i++)
		if (!strcmp(a->feeds[i].name, name))
			return i;
	return -1;
}

struct pcap_analysis *pcap_analysis_new(const struct pcap_options *o,
					const struct jd_socket_classes *classes)
{
	struct pcap_analysis *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->o = *o;
	a->classes = classes;
	a->n_cls = classes->n + 1;
	a->cls = calloc((size_t)a->n_cls, sizeof(*a->cls));
	a->feeds = calloc(JD_MAX_SOCKET_CLASSES, sizeof(*a->feeds));
	a->n_slots = 1024;
	a->flows = calloc(a->n_slots, sizeof(*a->flows));
	if (!a->cls || !a->feeds || !a->flows)
		goto fail;
	for (int i = 0; i < a->n_cls; i++) {
		struct class_stats *c = &a->cls[i];

		c->feed = -1;
		if (i < classes->n) {
			c->sc = &classes->at[i];
			snprintf(c->name, sizeof(c->name), "%s", c->sc->name);
		} else {
			snprintf(c->name, sizeof(c->name), "unclassified");
		}
	}
	for (int i = 0; i < classes->n; i++) {
		const struct jd_socket_class *sc = &classes->at[i];
		int f;

		if (!sc->leg)
			continue;
		f = find_feed(a, sc->feed);
		if (f < 0) {
			f = a->n_feeds++;
			snprintf(a->feeds[f].name, sizeof(a->feeds[f].name), "%s", sc->feed);
			a->feeds[f].cls[0] = a->feeds[f].cls[1] = -1;
		}
		a->feeds[f].cls[sc->leg == JD_LEG_A ? 0 : 1] = i;
		a->cls[i].feed = f;
	}
	return a;
fail:
	pcap_analysis_free(a);
	return NULL;
}

void pcap_analysis_add_file(struct pcap_analysis *a, const char *name)
{
	if (a->n_files < MAX_FILES)
		snprintf(a->files[a->n_files++], JD_PATH_MAX, "%s", name);
}

void pcap_analysis_damage(struct pcap_analysis *a, long offset, const char *why)
{
	struct damage *d;

	if (a->n_damage == MAX_FILES || !a->n_files)
		return;
	d = &a->damage[a->n_damage++];
	d->file = a->n_files - 1;
	d->offset = offset;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/* ---- 1. throughput ------------------------------------------------------ */

static void timeline_add(struct class_stats *c, uint64_t start, uint64_t width, uint64_t packets,
			 uint64_t bytes)
{
	uint64_t i;

	if (!c->tl_width) {
		c->tl_start = start;
		c->tl_width = width;
	}
	if (start < c->tl_start) /* frames out of time order: the first point */
		start = c->tl_start;
	while ((i = (start - c->tl_start) / c->tl_width) >= TIMELINE_POINTS) {
		if (c->tl_width > UINT64_MAX / 4) { /* centuries per point: it is garbage */
			i = TIMELINE_POINTS - 1;
			break;
		}
		for (unsigned j = 0; j < TIMELINE_POINTS / 2; j++) { /* halve the resolution */
			struct timeline_point *p = &c->timeline[2 * j], *q = p + 1, m;

			m.bytes = p->bytes + q->bytes;
			m.packets = p->packets + q->packets;
			m.peak_window_bytes = p->peak_window_bytes > q->peak_window_bytes
						      ? p->peak_window_bytes
						      : q->peak_window_bytes;
			c->timeline[j] = m;
		}
		memset(&c->timeline[TIMELINE_POINTS / 2], 0, sizeof(c->timeline) / 2);
		c->tl_width *= 2;
	}
	c->timeline[i].bytes += bytes;
	c->timeline[i].packets += packets;
	if (bytes > c->timeline[i].peak_window_bytes)
		c->timeline[i].peak_window_bytes = bytes;
	if (i + 1 > c->tl_used)
		c->tl_used = (unsigned)(i + 1);
}

static void burst_end(struct class_stats *c)
{
	if (!c->cur_burst.duration_ns)
		return;
	if (c->n_bursts < PCAP_LIST_MAX)
		c->bursts[c->n_bursts] = c->cur_burst;
	c->n_bursts++;
	memset(&c->cur_burst, 0, sizeof(c->cur_burst));
}

/* The window that starts at c->win_start is over. */
static void window_close(struct pcap_analysis *a, struct class_stats *c)
{
	uint64_t w = a->o.interval_ns, bps = c->win_bytes * 8 * 1000000000ull / w;
	bool over = (a->o.burst_bps && bps > a->o.burst_bps) ||
		    (a->o.burst_packets && c->win_packets > a->o.burst_packets);

	llh_add(&c->win_bps, bps);
	llh_add(&c->win_pps, c->win_packets);
	timeline_add(c, c->win_start, w, c->win_packets, c->win_bytes);
	if (over) {
		struct burst *b = &c->cur_burst;

		if (!b->duration_ns)
			b->start_ns = c->win_start;
		b->duration_ns += w;
		b->bytes += c->win_bytes;
		b->packets += c->win_packets;
		if (bps > b->peak_bps)
			b->peak_bps = bps;
		if (c->win_packets > b->peak_packets)
			b->peak_packets = c->win_packets;
	} else {
		burst_end(c);
	}
	c->win_packets = c->win_bytes = 0;
}

static void throughput(struct pcap_analysis *a, struct class_stats *c, uint64_t ts, uint32_t len)
{
	uint64_t w = a->o.interval_ns, start = ts - ts % w;

	if (!c->win_open) {
		c->win_open = true;
		c->win_start = start;
	} else if (start > c->win_start) {
		uint64_t empty = (start - c->win_start) / w - 1;

		window_close(a, c);
		if (empty) { /* idle windows are rate 0, and end a burst */
			llh_add_n(&c->win_bps, 0, empty);
			llh_add_n(&c->win_pps, 0, empty);
			burst_end(c);
		}
		c->win_start = start;
	}
	/* A frame older than the open window (captures merged out of order)
	 * is counted in it: windows are never reopened. */
	c->win_packets++;
	c->win_bytes += len;
}

/* ---- flows -------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t flow_hash(uint8_t proto, const uint8_t *a, const uint8_t *b, uint16_t pa,
			  uint16_t pb)
{
	uint64_t x[4], h = proto;

	memcpy(x, a, 16);
	memcpy(x + 2, b, 16);
	for (int i = 0; i < 4; i++)
		h = mix(h, x[i]);
	h = mix(h, (uint64_t)pa << 16 | pb);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static bool flow_is(const struct flow *f, uint8_t proto, const uint8_t *a, const uint8_t *b,
		    uint16_t pa, uint16_t pb)
{
	return f->proto == proto && f->pa == pa && f->pb == pb && !memcmp(f->a, a, 16) &&
	       !memcmp(f->b, b, 16);
}

static int flows_grow(struct pcap_analysis *a)
{
	uint32_t n = a->n_slots * 2;
	struct flow *t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->n_slots; i++) {
		const struct flow *f = &a->flows[i];
		uint32_t j;

		if (!f->used)
			continue;
		j = (uint32_t)flow_hash(f->proto, f->a, f->b, f->pa, f->pb) & (n - 1);
		while (t[j].used)
			j = (j + 1) & (n - 1);
		t[j] = *f;
	}
	free(a->flows);
	a->flows = t;
	a->n_slots = n;
	return 0;
}

/* The flow of p, and in *dir 0 if p goes a -> b; NULL beyond max_flows. */
static struct flow *flow_of(struct pcap_analysis *a, const struct pcap_pkt *p, int *dir)
{
	const uint8_t *x = p->src, *y = p->dst;
	uint16_t px = p->sport, py = p->dport;
	int c = memcmp(x, y, 16);
	struct flow *f;
	uint32_t i;

	*dir = 0;
	if (c > 0 || (c == 0 && px > py)) {
		x = p->dst, y = p->src, px = p->dport, py = p->sport;
		*dir = 1;
	}
	i = (uint32_t)flow_hash(p->proto, x, y, px, py) & (a->n_slots - 1);
	for (f = &a->flows[i]; f->used; f = &a->flows[i]) {
		if (flow_is(f, p->proto, x, y, px, py))
			return f;
		i = (i + 1) & (a->n_slots - 1);
	}
	if (a->n_flows >= a->o.max_flows)
		return NULL;
	if ((a->n_flows + 1) * 2 > a->n_slots) {
		if (flows_grow(a))
			return NULL;
		return flow_of(a, p, dir); /* its slot moved */
	}
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->proto = p->proto;
	memcpy(f->a, x, 16);
	memcpy(f->b, y, 16);
	f->pa = px;
	f->pb = py;
	f->stream = -1;
	f->first_ns = p->ts_ns;
	c = pcap_classify(a->classes, p);
	f->cls = (int16_t)(c < 0 ? a->n_cls - 1 : c);
	a->cls[f->cls].flows++;
	a->n_flows++;
	return f;
}

/* ---- 3. sequence numbers ------------------------------------------------ */

static uint64_t read_be_le(const uint8_t *b, uint32_t size, enum jd_byte_order order)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < size; i++) {
		unsigned k = order == JD_LITTLE_ENDIAN ? size - 1 - i : i;

		v = v << 8 | b[k];
	}
	return v;
}

/* A packet's place in its sequence space: the first sequence number, how
 * many messages (1 without a count) and the session bytes. */
struct seq_read {
	uint64_t seq, n;
	bool end; /* MoldUDP64's end of session (count 0xffff): no messages */
	uint8_t session[JD_SESSION_MAX];
};

static bool read_sequence(const struct jd_sequence *sq, const struct pcap_pkt *p,
			  struct seq_read *r)
{
	if ((uint64_t)sq->offset + sq->size > p->payload_caplen)
		return false;
	r->seq = read_be_le(p->payload + sq->offset, sq->size, sq->byte_order);
	r->n = 1;
	r->end = false;
	if (sq->count.size) {
		if ((uint64_t)sq->count.offset + sq->count.size > p->payload_caplen)
			return false;
		r->n = read_be_le(p->payload + sq->count.offset, sq->count.size, sq->byte_order);
		if (sq->format == JD_SEQ_MOLDUDP64 && r->n == 0xffff) {
			r->n = 0;
			r->end = true;
		}
	}
	if (sq->session.size) {
		if ((uint64_t)sq->session.offset + sq->session.size > p->payload_caplen)
			return false;
		memset(r->session, 0, sizeof(r->session));
		memcpy(r->session, p->payload + sq->session.offset, sq->session.size);
	}
	return true;
}

static bool stream_is(const struct seq_stream *s, const struct pcap_pkt *p, int cls,
		      const struct jd_sequence *sq, const struct seq_read *r)
{
	return s->cls == cls && s->port == p->dport && !memcmp(s->dst, p->dst, 16) &&
	       (!sq->session.size || !memcmp(s->session, r->session, sizeof(s->session)));
}

static int32_t stream_of(struct pcap_analysis *a, const struct pcap_pkt *p, int cls,
			 const struct jd_sequence *sq, const struct seq_read *r)
{
	struct seq_stream *s;

	for (uint32_t i = 0; i < a->n_streams; i++)
		if (stream_is(&a->streams[i], p, cls, sq, r))
			return (int32_t)i;
	if (!a->streams) /* at the first sequence number: most captures have none */
		a->streams = calloc(SEQ_STREAMS_MAX, sizeof(*a->streams));
	if (!a->streams || a->n_streams == SEQ_STREAMS_MAX)
		return -1;
	s = &a->streams[a->n_streams];
	s->cls = cls;
	s->port = p->dport;
	memcpy(s->dst, p->dst, 16);
	if (sq->session.size)
		memcpy(s->session, r->session, sizeof(s->session));
	return (int32_t)a->n_streams++;
}

#define SEEN_BIT(s, q) ((s)->seen[((q) % SEQ_WINDOW) / 64] & (1ull << ((q) % 64)))
#define SET_SEEN(s, q) ((s)->seen[((q) % SEQ_WINDOW) / 64] |= (1ull << ((q) % 64)))
#define CLR_SEEN(s, q) ((s)->seen[((q) % SEQ_WINDOW) / 64] &= ~(1ull << ((q) % 64)))

/* Marks [from, to) seen (the last SEQ_WINDOW of it: the rest is behind). */
static void seq_mark(struct seq_stream *s, uint64_t from, uint64_t to)
{
	if (to - from > SEQ_WINDOW)
		from = to - SEQ_WINDOW;
	for (uint64_t q = from; q < to; q++)
		SET_SEEN(s, q);
}

static void seq_restart(struct seq_stream *s, uint64_t seq, uint64_t end)
{
	memset(s->seen, 0, sizeof(s->seen));
	s->started = true;
	s->next = end;
	seq_mark(s, seq, end);
}

/*
 * A packet of n messages numbered from seq (n = 1 without a count; 0 for a
 * heartbeat, which still says that everything below seq was sent). Every
 * figure counts sequence numbers (messages), never packets.
 */
static void sequence(struct pcap_analysis *a, struct class_stats *c, struct seq_stream *s,
		     const struct seq_read *r, uint64_t ts)
{
	uint64_t seq = r->seq, end = seq + r->n < seq ? UINT64_MAX : seq + r->n;

	s->packets++;
	c->seq_packets++;
	if (!r->n) {
		s->heartbeats += !r->end;
		c->seq_heartbeats += !r->end;
		s->ends += r->end;
		c->seq_ends += r->end;
	}
	s->received += end - seq;
	c->seq_received += end - seq;
	if (!s->started) {
		seq_restart(s, seq, end);
	} else if (seq >= s->next) {
		uint64_t missing = seq - s->next;

		if (missing) {
			s->gaps++;
			s->missing += missing;
			c->seq_gaps++;
			c->seq_missing += missing;
			if (c->n_gaps_listed < PCAP_LIST_MAX)
				c->gaps[c->n_gaps_listed] =
					(struct seq_gap){ ts, s->next, missing,
							  (uint32_t)(s - a->streams) };
			c->n_gaps_listed++;
		}
		if (missing >= SEQ_WINDOW) {
			memset(s->seen, 0, sizeof(s->seen));
		} else {
			for (uint64_t q = s->next; q < seq; q++)
				CLR_SEEN(s, q);
		}
		seq_mark(s, seq, end);
		s->next = end > seq ? end : seq;
	} else if (s->next - seq <= SEQ_WINDOW) {
		uint64_t upto = end < s->next ? end : s->next;

		for (uint64_t q = seq; q < upto; q++) {
			if (SEEN_BIT(s, q)) {
				s->duplicates++;
				c->seq_duplicates++;
			} else { /* a late one: it fills a gap */
				SET_SEEN(s, q);
				s->out_of_order++;
				c->seq_out_of_order++;
				if (s->missing) {
					s->missing--;
					c->seq_missing--;
				}
			}
		}
		if (end > s->next) { /* and goes on past the highest: no gap */
			seq_mark(s, s->next, end);
			s->next = end;
		}
	} else { /* far behind: the sender started over */
		s->resets++;
		c->seq_resets++;
		seq_restart(s, seq, end);
	}
}

/* A/B: which leg had seq first, by how much; what one leg never had. */
static void ab_loss(struct ab_feed *f, const struct ab_slot *e)
{
	int leg = e->legs == 1 ? 0 : 1;

	f->only[leg]++;
	if (f->n_losses_listed < PCAP_LIST_MAX)
		f->losses[f->n_losses_listed] = (struct ab_loss){ e->seq, e->ts_ns, leg };
	f->n_losses_listed++;
}

static void arbitrate_one(struct ab_feed *f, int leg, uint64_t seq, uint32_t session, uint64_t ts)
{
	struct ab_slot *e;
	uint8_t bit = (uint8_t)(1u << leg);

	e = &f->ring[(seq ^ session) % AB_RING];
	if (e->legs && e->seq == seq && e->session == session) {
		if (e->legs & bit)
			return; /* a duplicate on this leg: the stream counts it */
		f->first[!leg]++;
		llh_add(&f->margin_ns[!leg], ts >= e->ts_ns ? ts - e->ts_ns : 0);
		e->legs |= bit;
		return;
	}
	if (e->legs && e->legs != 3)
		ab_loss(f, e);
	*e = (struct ab_slot){ .seq = seq, .ts_ns = ts, .session = session, .legs = bit };
}

/* Every message of the packet (the legs may batch them differently). */
static void arbitrate(struct ab_feed *f, int leg, const struct jd_sequence *sq,
		      const struct seq_read *r, uint64_t ts)
{
	uint32_t session = 0;
	uint64_t n = r->n > AB_RING ? AB_RING : r->n;

	if (!f->ring)
		f->ring = calloc(AB_RING, sizeof(*f->ring));
	if (!f->ring)
		return;
	if (sq->session.size) { /* FNV-1a */
		session = 2166136261u;
		for (uint32_t i = 0; i < sq->session.size; i++)
			session = (session ^ r->session[i]) * 16777619u;
	}
	for (uint64_t i = r->n - n; i < r->n; i++)
		arbitrate_one(f, leg, r->seq + i, session, ts);
}

/* ---- 4. TCP --------------------------------------------------------------- */

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)

#define TCP_REORDER_DEFAULT_NS 3000000	/* tshark's, when the connection says nothing */
#define TCP_FAST_RETRANSMIT_NS 20000000 /* tshark's: the resend within 20 ms of a dup ACK */

static void sample(struct pcap_analysis *a, const char *kind, const struct class_stats *c,
		   uint64_t frame, uint64_t ts, uint64_t v)
{
	if (a->o.samples)
		fprintf(a->o.samples, "%s,%s,%llu,%llu,%llu\n", kind, c->name,
			(unsigned long long)frame, (unsigned long long)ts, (unsigned long long)v);
}

/* The oldest segment awaiting its ACK is done with. */
static void unacked_pop(struct tcp_dir *d)
{
	d->head = (d->head + 1) & (d->cap - 1);
	d->n--;
}

/* A place for a segment sent: the ring doubles while under TCP_UNACKED_MAX;
 * beyond, (or out of memory) the oldest gives its place and goes untimed. */
static struct tcp_segment *unacked_push(struct class_stats *c, struct tcp_dir *d)
{
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 4;
		struct tcp_segment *u = cap <= TCP_UNACKED_MAX ? malloc(cap * sizeof(*u)) : NULL;

		if (u) {
			for (uint32_t i = 0; i < d->n; i++)
				u[i] = d->unacked[(d->head + i) & (d->cap - 1)];
			free(d->unacked);
			d->unacked = u;
			d->cap = cap;
			d->head = 0;
		} else if (d->cap) {
			unacked_pop(d);
			c->tcp_untimed++;
		} else {
			return NULL;
		}
	}
	return &d->unacked[(d->head + d->n++) & (d->cap - 1)];
}

static void tcp_acked(struct pcap_analysis *a, struct class_stats *c, struct tcp_dir *d,
		      uint32_t ack, uint64_t ts)
{
	while (d->n) {
		struct tcp_segment *s = &d->unacked[d->head];

		if (!SEQ_LE(s->end, ack))
			break;
		if (s->end == ack && !s->retransmitted && ts >= s->ts_ns) {
			llh_add(&c->rtt_ns, ts - s->ts_ns);
			sample(a, "rtt", c, a->frame_no, ts, ts - s->ts_ns);
			if (ts - s->ts_ns < d->min_rtt_ns)
				d->min_rtt_ns = ts - s->ts_ns;
		}
		unacked_pop(d);
	}
}

static void tcp_mark_retransmitted(struct tcp_dir *d, uint32_t seq, uint32_t end)
{
	for (unsigned i = 0; i < d->n; i++) {
		struct tcp_segment *s = &d->unacked[(d->head + i) & (d->cap - 1)];

		if (SEQ_LT(seq, s->end) && SEQ_LE(s->end, end))
			s->retransmitted = true;
	}
}

static struct tcp_state *tcp_state_new(void)
{
	struct tcp_state *t = calloc(1, sizeof(*t));

	if (t) {
		t->client = -1;
		t->d[0].min_rtt_ns = t->d[1].min_rtt_ns = UINT64_MAX;
	}
	return t;
}

static void tcp_state_free(struct tcp_state *t)
{
	if (!t)
		return;
	free(t->d[0].unacked);
	free(t->d[1].unacked);
	free(t);
}

static void tcp_dir_reset(struct tcp_dir *d)
{
	free(d->unacked);
	memset(d, 0, sizeof(*d));
	d->min_rtt_ns = UINT64_MAX;
}

/* A SYN with another ISN: a new connection on the same ports. */
static void tcp_restart(struct tcp_state *t)
{
	tcp_dir_reset(&t->d[0]);
	tcp_dir_reset(&t->d[1]);
	t->client = -1;
	t->request_pending = t->syn_seen = false;
	t->handshake_rtt_ns = 0;
}

static uint64_t since(uint64_t ts, uint64_t then)
{
	return ts > then ? ts - then : 0;
}

/*
 * How long after the highest data a segment below it may come and be
 * reordering rather than loss: the connection's round trip, which a
 * retransmission cannot beat. tshark takes the handshake's (SYN to the
 * ACK that ends it), else 3 ms. With no handshake in the capture (a
 * session opened hours before), jitterd takes the smallest data->ACK time
 * of each direction, summed: the two halves of the path as seen from the
 * capture point, which is what the handshake measures. Not both known: 3 ms.
 */
static uint64_t tcp_reorder_window(const struct tcp_state *t)
{
	if (t->handshake_rtt_ns)
		return t->handshake_rtt_ns;
	if (t->d[0].min_rtt_ns != UINT64_MAX && t->d[1].min_rtt_ns != UINT64_MAX)
		return t->d[0].min_rtt_ns + t->d[1].min_rtt_ns;
	return TCP_REORDER_DEFAULT_NS;
}

enum tcp_kind { TCP_NEW, TCP_RETRANSMISSION, TCP_FAST, TCP_SPURIOUS, TCP_OUT_OF_ORDER };

/*
 * A segment that starts below the highest sequence number sent, as
 * tshark's rules order them: all of it acknowledged already (spurious);
 * at the ACK number that two or more duplicate ACKs repeat, within 20 ms
 * of the last (fast); soon after the highest data and ending below it
 * (out of order); else a retransmission. One that also carries new bytes
 * is a retransmission at least (tshark may call it out of order).
 */
static enum tcp_kind tcp_resent(const struct tcp_state *t, const struct tcp_dir *d,
				const struct tcp_dir *r, const struct pcap_pkt *p, uint32_t end)
{
	if (p->payload_len && r->acked && SEQ_LE(end, r->last_ack))
		return TCP_SPURIOUS;
	if (r->dupacks >= 2 && r->last_ack == p->seq &&
	    since(p->ts_ns, r->ack_ns) < TCP_FAST_RETRANSMIT_NS)
		return TCP_FAST;
	if (SEQ_LT(end, d->next) && since(p->ts_ns, d->next_ns) < tcp_reorder_window(t))
		return TCP_OUT_OF_ORDER;
	return TCP_RETRANSMISSION;
}

static void tcp_count(struct class_stats *c, enum tcp_kind k)
{
	if (k == TCP_OUT_OF_ORDER) {
		c->tcp_out_of_order++;
		return;
	}
	c->tcp_retransmissions++;
	c->tcp_fast_retransmissions += k == TCP_FAST;
	c->tcp_spurious_retransmissions += k == TCP_SPURIOUS;
}

/* ACKs: RTT samples of the other direction's data, and duplicate ACKs (a
 * pure ACK repeating the ACK number and window, at the next sequence
 * number, not answering a keep-alive) for the fast retransmission rule. */
static void tcp_ack(struct pcap_analysis *a, struct class_stats *c, struct tcp_dir *d,
		    struct tcp_dir *r, const struct pcap_pkt *p, uint32_t seglen)
{
	if (d->acked && p->ack == d->last_ack) {
		if (!seglen && !(p->tcp_flags & PCAP_TCP_RST) && p->window &&
		    p->window == d->window && d->seen && p->seq == d->next && !r->keepalive)
			d->dupacks++;
	} else {
		d->dupacks = 0;
	}
	tcp_acked(a, c, r, p->ack, p->ts_ns);
}

static void tcp_packet(struct pcap_analysis *a, struct class_stats *c, struct flow *f, int dir,
		       const struct pcap_pkt *p)
{
	struct tcp_state *t = f->tcp;
	struct tcp_dir *d, *r;
	uint8_t fl = p->tcp_flags;
	uint32_t seglen = p->payload_len + !!(fl & PCAP_TCP_SYN) + !!(fl & PCAP_TCP_FIN);
	uint32_t end = p->seq + seglen;
	enum tcp_kind kind = TCP_NEW;
	bool advanced = false;

	if (!t) {
		t = f->tcp = tcp_state_new();
		if (!t)
			return;
	}
	d = &t->d[dir];
	r = &t->d[!dir];
	c->tcp_segments++;
	if ((fl & PCAP_TCP_SYN) && d->syn && p->seq != d->syn_seq) {
		if (fl & PCAP_TCP_ACK)
			tcp_dir_reset(d);
		else
			tcp_restart(t);
	}
	if (fl & PCAP_TCP_SYN) { /* sent again, it is a retransmission below */
		d->syn = true;
		d->syn_seq = p->seq;
	}
	if ((fl & (PCAP_TCP_SYN | PCAP_TCP_ACK)) == PCAP_TCP_SYN) {
		t->client = dir;
		t->syn_seen = true;
		t->syn_ns = p->ts_ns;
	} else if ((fl & (PCAP_TCP_SYN | PCAP_TCP_ACK)) == (PCAP_TCP_SYN | PCAP_TCP_ACK)) {
		t->client = !dir;
	} else if ((fl & (PCAP_TCP_SYN | PCAP_TCP_ACK)) == PCAP_TCP_ACK && t->syn_seen &&
		   !t->handshake_rtt_ns) {
		t->handshake_rtt_ns = since(p->ts_ns, t->syn_ns);
	}
	if (t->client < 0) /* mid-session: the client is the end with the higher port */
		t->client = p->sport > p->dport ? dir : !dir;
	if (p->window == 0 && !(fl & (PCAP_TCP_SYN | PCAP_TCP_FIN | PCAP_TCP_RST)))
		c->tcp_zero_windows++;
	if (fl & PCAP_TCP_ACK)
		tcp_ack(a, c, d, r, p, seglen);
	d->keepalive = false;
	if (fl & PCAP_TCP_RST)
		goto done;
	/* A keep-alive: the byte before the next one (Windows), or no byte
	 * (Linux), to see that the peer lives; nothing is resent. */
	if (d->seen && p->payload_len <= 1 && !(fl & (PCAP_TCP_SYN | PCAP_TCP_FIN)) &&
	    p->seq == d->next - 1) {
		d->keepalive = true;
		c->tcp_keepalives++;
		goto done;
	}
	if (!seglen) { /* its sequence number is the next one expected (as tshark) */
		if (!d->seen || SEQ_LT(d->next, p->seq)) {
			d->seen = true;
			d->next = p->seq;
			d->next_ns = p->ts_ns;
		}
		goto done;
	}
	/* A zero window probe: the next byte, that the peer may not take. */
	if (p->payload_len == 1 && d->seen && p->seq == d->next && r->acked && !r->window)
		goto done;
	if (d->seen && SEQ_LT(p->seq, d->next) &&
	    !(p->payload_len > 1 && p->seq == d->next - 1)) { /* after a zero window probe */
		kind = tcp_resent(t, d, r, p, end);
		tcp_count(c, kind);
		tcp_mark_retransmitted(d, p->seq, end);
	}
	if (!d->seen || SEQ_LT(d->next, end)) {
		struct tcp_segment *s = unacked_push(c, d);

		if (s)
			*s = (struct tcp_segment){ p->ts_ns, end, kind != TCP_NEW };
		d->seen = true;
		d->next = end;
		d->next_ns = p->ts_ns;
		advanced = true;
	}
	if (p->payload_len && advanced) {
		if (dir == t->client) {
			if (!t->request_pending) {
				t->request_pending = true;
				t->request_ns = p->ts_ns;
			}
		} else if (t->request_pending) {
			t->request_pending = false;
			llh_add(&c->response_ns, p->ts_ns - t->request_ns);
			sample(a, "response", c, a->frame_no, p->ts_ns, p->ts_ns - t->request_ns);
		}
	}
done:
	if (fl & PCAP_TCP_ACK) {
		d->acked = true;
		d->last_ack = p->ack;
		d->ack_ns = p->ts_ns;
	}
	d->window = p->window;
}

/* ---- 6. trigger -> response --------------------------------------------- */

static void triggers(struct pcap_analysis *a, int cls, const struct pcap_pkt *p)
{
	for (int i = 0; i < a->o.n_triggers; i++) {
		struct trigger_stats *t = &a->triggers[i];

		if (a->o.triggers[i].trigger == cls) {
			t->last_trigger_ns = p->ts_ns;
			t->triggered = true;
		}
		if (a->o.triggers[i].response != cls ||
		    (p->proto == IPPROTO_TCP && !p->payload_len))
			continue;
		t->responses++;
		if (t->triggered && p->ts_ns - t->last_trigger_ns <= a->o.trigger_window) {
			llh_add(&t->latency_ns, p->ts_ns - t->last_trigger_ns);
			sample(a, "trigger", &a->cls[cls], a->frame_no, p->ts_ns,
			       p->ts_ns - t->last_trigger_ns);
		} else {
			t->without_trigger++;
		}
	}
}

/* ---- tap and SPAN duplicates --------------------------------------------- */

/*
 * A SPAN port or a tap may deliver the same frame twice (both directions of
 * a port mirrored, two taps merged) microseconds apart. A copy has the IPv4
 * ID, the IP length and the TCP header with its options (ports, sequence
 * numbers, SACK blocks, timestamps, the checksum: the payload's
 * fingerprint) or the UDP header and 24 bytes of payload, of one of its
 * flow's last two frames, within dup_window; TTL and MAC addresses may
 * differ (a copy from each side of a router). A resend cannot be one: the
 * sender waits for duplicate ACKs or a timer, and its IP ID moves on; nor
 * can duplicate ACKs (their IP IDs or SACK blocks differ).
 */
static uint64_t frame_signature(const struct pcap_pkt *p)
{
	const uint8_t *l4 = p->ip + p->l4_off;
	uint32_t have = p->ip_caplen - p->l4_off,
		 n = p->proto == IPPROTO_TCP ? (uint32_t)(p->payload - l4) : 32;
	uint64_t h = (uint64_t)(p->ip_version == 4 ? (uint16_t)(p->ip[4] << 8 | p->ip[5]) : 0)
			     << 32 |
		     (p->ip_len - p->l4_off);

	if (n > have)
		n = have;
	for (uint32_t i = 0; i < n; i += 8) {
		uint64_t w = 0;

		memcpy(&w, l4 + i, n - i < 8 ? n - i : 8);
		h = mix(h, w);
	}
	return h ^ h >> 29;
}

static bool tap_duplicate(const struct pcap_analysis *a, struct flow *f, const struct pcap_pkt *p)
{
	uint64_t sig;

	if (!a->o.dup_window)
		return false;
	sig = frame_signature(p);
	for (int i = 0; i < 2; i++)
		if (f->recent_sig[i] == sig && f->packets[0] + f->packets[1] > (uint64_t)i &&
		    since(p->ts_ns, f->recent_ns[i]) <= a->o.dup_window)
			return true;
	f->recent_sig[1] = f->recent_sig[0];
	f->recent_ns[1] = f->recent_ns[0];
	f->recent_sig[0] = sig;
	f->recent_ns[0] = p->ts_ns;
	return false;
}

/* ---- a frame ------------------------------------------------------------ */

/* A fragment that made its datagram whole: p becomes the datagram, *len
 * the wire bytes of all its fragments (as tshark, at the last fragment's
 * time). */
static bool reassembled(struct pcap_analysis *a, struct pcap_pkt *p, uint64_t ts_ns, uint32_t *len)
{
	const uint8_t *ip;
	uint32_t ip_len;
	uint64_t wire;

	if (a->o.no_reassembly)
		return false;
	if (!a->reasm && !(a->reasm = reasm_new()))
		return false;
	if (!reasm_add(a->reasm, p, ts_ns, *len, &ip, &ip_len, &wire))
		return false;
	if (pcap_decode(DLT_RAW, ip, ip_len, ip_len, p) != PV_OK) {
		a->reasm_undecodable++;
		return false;
	}
	*len = wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire;
	return true;
}

static void analyse(struct pcap_analysis *a, uint64_t frame, int linktype, uint64_t ts_ns,
		    const uint8_t *bytes, uint32_t caplen, uint32_t len)
{
	struct pcap_pkt p;
	enum pcap_verdict v = pcap_decode(linktype, bytes, caplen, len, &p);
	struct class_stats *c;
	struct flow *f;
	int dir, cls;

	if (frame > 1 && ts_ns < a->prev_ns) {
		a->ts_backwards++;
		if (a->prev_ns - ts_ns > a->ts_backward_max_ns)
			a->ts_backward_max_ns = a->prev_ns - ts_ns;
	}
	a->frame_no = frame;
	a->prev_ns = ts_ns;
	if (frame == 1 || ts_ns < a->first_ns) /* a frame at 0 is a time too */
		a->first_ns = ts_ns;
	if (ts_ns > a->last_ns)
		a->last_ns = ts_ns;
	a->verdicts[v]++;
	if (v != PV_OK && (v != PV_FRAGMENT || !reassembled(a, &p, ts_ns, &len)))
		return;
	p.ts_ns = ts_ns;
	f = flow_of(a, &p, &dir);
	if (f && tap_duplicate(a, f, &p)) {
		f->tap_duplicates++;
		a->cls[f->cls].tap_duplicates++;
		a->tap_duplicates++;
		return;
	}
	if (f) {
		cls = f->cls;
		f->packets[dir]++;
		f->bytes[dir] += len;
		f->last_ns = ts_ns;
	} else {
		a->flows_over_limit_packets++;
		cls = pcap_classify(a->classes, &p);
		if (cls < 0)
			cls = a->n_cls - 1;
	}
	c = &a->cls[cls];
	if (c->packets && ts_ns >= c->last_ns)
		llh_add(&c->gap_ns, ts_ns - c->last_ns);
	if (!c->packets)
		c->first_ns = ts_ns;
	c->packets++;
	c->bytes += len;
	c->interval_packets++;
	c->interval_bytes += len;
	if (ts_ns > c->last_ns)
		c->last_ns = ts_ns;
	throughput(a, c, ts_ns, len);
	if (c->sc && c->sc->sequence.size && p.proto == IPPROTO_UDP) {
		const struct jd_sequence *sq = &c->sc->sequence;
		struct seq_read r;
		int32_t s = f ? f->stream : -1;

		if (!read_sequence(sq, &p, &r)) {
			c->seq_unreadable++;
		} else {
			/* a flow carries one stream, or one per session */
			if (s < 0 ||
			    (sq->session.size && !stream_is(&a->streams[s], &p, cls, sq, &r))) {
				s = stream_of(a, &p, cls, sq, &r);
				if (f)
					f->stream = s;
			}
			if (s >= 0)
				sequence(a, c, &a->streams[s], &r, ts_ns);
			else
				a->streams_over_limit++;
			if (c->sc->leg)
				arbitrate(&a->feeds[c->feed], c->sc->leg == JD_LEG_A ? 0 : 1, sq,
					  &r, ts_ns);
		}
	}
	if (p.proto == IPPROTO_TCP && f)
		tcp_packet(a, c, f, dir, &p);
	if (a->o.n_triggers)
		triggers(a, cls, &p);
}

void pcap_analysis_hw_counts(struct pcap_analysis *a, uint64_t with, uint64_t without)
{
	a->hw_with += with;
	a->hw_without += without;
}

/* ---- timestamps ------------------------------------------------------------- */

#define TS_ALONE_NS 1000000000ull /* this far from the time before: wait for the next */

static uint64_t ts_distance(uint64_t x, uint64_t y)
{
	return x > y ? x - y : y - x;
}

static bool hold(struct pcap_analysis *a, int linktype, uint64_t ts_ns, const uint8_t *bytes,
		 uint32_t caplen, uint32_t len)
{
	struct held_frame *h = &a->held;

	if (caplen > h->size || !h->bytes) {
		uint8_t *b = realloc(h->bytes, caplen ? caplen : 1);

		if (!b)
			return false;
		h->bytes = b;
		h->size = caplen;
	}
	memcpy(h->bytes, bytes, caplen);
	h->on = true;
	h->linktype = linktype;
	h->ts_ns = ts_ns;
	h->frame = a->frames;
	h->caplen = caplen;
	h->len = len;
	return true;
}

/* The held frame, judged by the time of the frame after it, ts_ns: closer
 * to the time before the held one, the held time was wrong (a clock
 * stepped, a bit flipped): the frame counts in everything, at the time of
 * the frame before it, and is listed. Else the capture did jump. */
static void release(struct pcap_analysis *a, uint64_t ts_ns, bool judge)
{
	struct held_frame *h = &a->held;
	uint64_t ts = h->ts_ns;

	h->on = false;
	if (judge && ts_distance(ts_ns, a->prev_ns) < ts_distance(ts_ns, h->ts_ns)) {
		if (a->ts_outliers < PCAP_LIST_MAX)
			a->outliers[a->ts_outliers] = (struct ts_outlier){ h->frame, h->ts_ns };
		a->ts_outliers++;
		ts = a->prev_ns;
	}
	analyse(a, h->frame, h->linktype, ts, h->bytes, h->caplen, h->len);
}

/*
 * Frames in capture order. One whose time is over a second away from the
 * frame before it waits for the next frame (a copy: rare), which tells an
 * idle gap or a merge (it continues from the new time) from a wild time
 * (it continues from the old one). A wild time would otherwise open a
 * throughput window years away and pile every later frame into it.
 */
void pcap_analysis_frame(struct pcap_analysis *a, int linktype, uint64_t ts_ns,
			 const uint8_t *bytes, uint32_t caplen, uint32_t len)
{
	a->frames++;
	a->bytes += len;
	if (a->held.on)
		release(a, ts_ns, true);
	if (a->frames > 1 && ts_distance(ts_ns, a->prev_ns) > TS_ALONE_NS &&
	    hold(a, linktype, ts_ns, bytes, caplen, len))
		return;
	analyse(a, a->frames, linktype, ts_ns, bytes, caplen, len);
}

uint64_t pcap_analysis_frames(const struct pcap_analysis *a)
{
	return a->frames;
}

void pcap_analysis_finish(struct pcap_analysis *a)
{
	if (a->finished)
		return;
	a->finished = true;
	if (a->held.on) /* the last frame: nothing after it to judge it by */
		release(a, 0, false);
	if (a->reasm)
		reasm_finish(a->reasm);
	for (int i = 0; i < a->n_cls; i++) {
		struct class_stats *c = &a->cls[i];

		if (c->win_open) {
			window_close(a, c);
			burst_end(c);
		}
	}
	for (int i = 0; i < a->n_feeds; i++)
		for (unsigned j = 0; a->feeds[i].ring && j < AB_RING; j++)
			if (a->feeds[i].ring[j].legs && a->feeds[i].ring[j].legs != 3)
				ab_loss(&a->feeds[i], &a->feeds[i].ring[j]);
}

void pcap_analysis_interval_line(struct pcap_analysis *a, FILE *out, uint64_t now_ns)
{
	uint64_t dt = now_ns - a->interval_start_ns, pk = 0, by = 0;

	if (!a->interval_start_ns || !dt) {
		a->interval_start_ns = now_ns;
		return;
	}
	for (int i = 0; i < a->n_cls; i++) {
		pk += a->cls[i].interval_packets;
		by += a->cls[i].interval_bytes;
	}
	fprintf(out, "%.3f s: %llu packets, %.3f Mbit/s", (double)now_ns / 1e9,
		(unsigned long long)pk, (double)by * 8e3 / (double)dt);
	for (int i = 0; i < a->n_cls; i++) {
		struct class_stats *c = &a->cls[i];

		if (c->interval_packets)
			fprintf(out, "; %s %llu pk", c->name,
				(unsigned long long)c->interval_packets);
		c->interval_packets = c->interval_bytes = 0;
	}
	fputc('\n', out);
	fflush(out);
	a->interval_start_ns = now_ns;
}

void pcap_analysis_free(struct pcap_analysis *a)
{
	if (!a)
		return;
	for (int i = 0; a->cls && i < a->n_cls; i++) {
		struct class_stats *c = &a->cls[i];

		llh_free(&c->win_bps);
		llh_free(&c->win_pps);
		llh_free(&c->gap_ns);
		llh_free(&c->rtt_ns);
		llh_free(&c->response_ns);
	}
	for (uint32_t i = 0; a->flows && i < a->n_slots; i++)
		tcp_state_free(a->flows[i].tcp);
	for (int i = 0; a->feeds && i < a->n_feeds; i++) {
		free(a->feeds[i].ring);
		llh_free(&a->feeds[i].margin_ns[0]);
		llh_free(&a->feeds[i].margin_ns[1]);
	}
	for (int i = 0; i < PCAP_MAX_TRIGGERS; i++)
		llh_free(&a->triggers[i].latency_ns);
	free(a->held.bytes);
	free(a->cls);
	free(a->feeds);
	free(a->flows);
	free(a->streams);
	reasm_free(a->reasm);
	free(a);
}
