// SPDX-License-Identifier: MIT
/*
 * `jitterd pcap match A B`: the same packets at two capture points.
 *
 * A packet is known by a hash of its IP packet that leaves out what a hop
 * changes (TTL or hop limit, the IPv4 header checksum, the TCP/UDP
 * checksum) and takes at most 64 bytes of payload. Both files are read
 * once, side by side: A is read ahead of B by the window, so a packet at B
 * finds its twin from A if it came at most a window later (or earlier: the
 * clocks need not agree to better than the window). A packet of A that no
 * packet of B matched within the window was lost between the two points,
 * when B was capturing at that time; memory is bounded by what A sees in a
 * window.
 *
 * Clocks: a packet that went A to B is seen at B d later (d > 0), by B's
 * clock off by o from A's: tB - tA = d + o; one that went B to A gives
 * tB - tA = o - d'. So in a flow seen both ways the direction whose
 * differences are all above the other's went A to B, and o lies between
 * the smallest difference of that direction and the largest of the other:
 * o is taken as their middle, within half their distance (half the
 * smallest round trip between the points; exact when the path's least
 * delays are the same both ways, which no capture can tell apart from an
 * offset). --clock-offset auto reads both files twice: first to estimate
 * it, then with B's times less it.
 */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/metrics.h"
#include "lib/hist.h"
#include "pcap/input.h"
#include "pcap/libpcap.h"
#include "pcap/match.h"

#define PAYLOAD_HASHED 64

struct pending {
	uint64_t hash, ts_ns, frame, sequence;
	int16_t cls;
	bool matched, has_sequence;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct match_class {
	uint64_t matched, lost, negative;
	struct llhist one_way_ns, reverse_ns; /* reverse: B before A, by this much */
};

/* One direction of a flow and tB - tA of its twins, for the clock offset. */
#define DIRS_MAX 4096
struct dir_stat {
	bool used;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int64_t min, max;
};

struct clock_estimate {
	bool known;
	int64_t offset_ns;	 /* B's clock minus A's */
	uint64_t uncertainty_ns; /* +- */
	uint64_t flows;		 /* seen both ways */
	uint64_t inconsistent;	 /* flows whose two directions overlap */
};

struct side {
	const char *path;
	struct cap_reader *p;
	uint64_t frames;
	bool done, error;
	struct cap_rec rec;
	int64_t shift; /* taken off this side's times */
};

struct matcher {
	const struct jd_socket_classes *classes;
	uint64_t window;
	struct pending *q; /* ring of A's packets in time order */
	uint64_t q_head, q_tail, q_cap;
	uint64_t *slots; /* open addressing: queue index + 1, 0 empty, ~0 deleted */
	uint64_t n_slots, n_used;
	struct match_class cls[JD_MAX_SOCKET_CLASSES + 1];
	uint64_t matched, only_b, a_outside, b_first, b_last, a_ip, b_ip;
	uint64_t a_first_matched, a_last_matched; /* ns at A of the first and last twins */
	struct pending lost_list[PCAP_LIST_MAX];
	uint64_t n_lost;
	FILE *samples;
	struct dir_stat *dirs;		  /* DIRS_MAX, open addressing */
	uint64_t dirs_full;		  /* twins of directions past DIRS_MAX */
	int64_t applied_ns;		  /* taken off B's times */
	struct clock_estimate first, now; /* the estimate before any was applied; of this run */
};

#define DELETED UINT64_MAX

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The hash of the IP packet without what a hop may change. */
static uint64_t packet_hash(const struct pcap_pkt *p, enum pcap_verdict v)
{
	const uint8_t *ip = p->ip;
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t hdr, have = p->ip_caplen, end;

	if (p->ip_version == 4) {
		hdr = (uint32_t)(ip[0] & 0x0f) * 4;
		h = fnv(h, ip, 8);	       /* version .. fragment offset */
		h = fnv(h, ip + 9, 1);	       /* protocol; not TTL */
		h = fnv(h, ip + 12, hdr - 12); /* addresses, options; not the checksum */
	} else {
		hdr = 40;
		h = fnv(h, ip, 7); /* not the hop limit */
		h = fnv(h, ip + 8, 32);
	}
	if (v == PV_OK) {
		uint32_t ck = p->l4_off + (p->proto == IPPROTO_UDP ? 6 : 16);

		hdr = (uint32_t)(p->payload - ip);
		h = fnv(h, ip + p->l4_off, ck - p->l4_off);
		h = fnv(h, ip + ck + 2, hdr - ck - 2);
	}
	end = hdr + PAYLOAD_HASHED;
	if (end > have)
		end = have;
	if (end > hdr)
		h = fnv(h, ip + hdr, end - hdr);
	return h ? h : 1;
}

static int slots_rebuild(struct matcher *m, uint64_t n)
{
	uint64_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	free(m->slots);
	m->slots = s;
	m->n_slots = n;
	m->n_used = 0;
	for (uint64_t i = m->q_head; i < m->q_tail; i++) {
		const struct pending *e = &m->q[i % m->q_cap];
		uint64_t j = e->hash & (n - 1);

		if (e->matched)
			continue;
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = i + 1;
		m->n_used++;
	}
	return 0;
}

static int queue_push(struct matcher *m, const struct pending *e)
{
	uint64_t j;

	if (m->q_tail - m->q_head == m->q_cap) {
		uint64_t cap = m->q_cap ? m->q_cap * 2 : 4096;
		struct pending *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (uint64_t i = m->q_head; i < m->q_tail; i++)
			q[i % cap] = m->q[i % m->q_cap];
		free(m->q);
		m->q = q;
		m->q_cap = cap;
	}
	if ((m->n_used + 1) * 10 > m->n_slots * 7 &&
	    slots_rebuild(m, m->n_slots < 4 * m->q_cap ? 4 * m->q_cap : m->n_slots))
		return -ENOMEM;
	m->q[m->q_tail % m->q_cap] = *e;
	j = e->hash & (m->n_slots - 1);
	while (m->slots[j] && m->slots[j] != DELETED)
		j = (j + 1) & (m->n_slots - 1);
	m->slots[j] = ++m->q_tail; /* the index + 1 */
	m->n_used++;
	return 0;
}

/* The oldest unmatched packet of A with this hash, taken off the table. */
static struct pending *take(struct matcher *m, uint64_t hash)
{
	uint64_t j = hash & (m->n_slots - 1), best = 0, best_j = 0;

	if (!m->n_slots)
		return NULL;
	for (; m->slots[j]; j = (j + 1) & (m->n_slots - 1)) {
		uint64_t qi = m->slots[j];

		if (qi == DELETED || qi - 1 < m->q_head)
			continue;
		if (m->q[(qi - 1) % m->q_cap].hash == hash && (!best || qi < best)) {
			best = qi;
			best_j = j;
		}
	}
	if (!best)
		return NULL;
	m->slots[best_j] = DELETED;
	m->q[(best - 1) % m->q_cap].matched = true;
	return &m->q[(best - 1) % m->q_cap];
}

/*
 * B's capture may start later or end sooner than A's: a packet of A is lost
 * only between the first and the last packets of A that B saw. Those before
 * the first are told at once; those after the last, at the end (trim()).
 */
static void lost(struct matcher *m, const struct pending *e)
{
	if (!m->a_first_matched || e->ts_ns < m->a_first_matched) {
		m->a_outside++;
		return;
	}
	m->cls[e->cls].lost++;
	if (m->n_lost < PCAP_LIST_MAX)
		m->lost_list[m->n_lost] = *e;
	m->n_lost++;
}

static void trim(struct matcher *m)
{
	while (m->n_lost && m->n_lost <= PCAP_LIST_MAX &&
	       m->lost_list[m->n_lost - 1].ts_ns > m->a_last_matched) {
		m->cls[m->lost_list[m->n_lost - 1].cls].lost--;
		m->n_lost--;
		m->a_outside++;
	}
}

/* A's packets older than the window before ts_ns: matched or lost. */
static void expire(struct matcher *m, uint64_t ts_ns, bool all)
{
	while (m->q_head < m->q_tail) {
		struct pending *e = &m->q[m->q_head % m->q_cap];

		if (!all && e->ts_ns + m->window >= ts_ns)
			break;
		if (!e->matched)
			lost(m, e);
		m->q_head++;
	}
	/* Deleted slots and those of expired entries are garbage now and then. */
	if (m->n_slots && m->q_tail - m->q_head < m->n_slots / 8 && m->n_used > m->n_slots / 2)
		slots_rebuild(m, m->n_slots);
}

static bool next_frame(struct side *s)
{
	int r;

	if (s->done)
		return false;
	r = cap_next(s->p, &s->rec);
	if (r == 1) {
		s->frames++;
		return true;
	}
	s->done = true;
	s->error = r < 0;
	if (s->error)
		fprintf(stderr, "jitterd pcap: %s: after frame %llu: %s\n", s->path,
			(unsigned long long)s->frames, cap_error(s->p));
	return false;
}

static uint64_t ts_of(const struct side *s)
{
	uint64_t t = s->rec.ts_ns;

	if (s->shift > 0)
		return t > (uint64_t)s->shift ? t - (uint64_t)s->shift : 0;
	return t + (uint64_t)-s->shift;
}

/* ---- the clock offset ----------------------------------------------------- */

static uint64_t dir_hash(const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
			 uint8_t proto)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, src, 16);

	h = fnv(h, dst, 16);
	h = fnv(h, (const uint8_t *)&sp, 2);
	h = fnv(h, (const uint8_t *)&dp, 2);
	return fnv(h, &proto, 1);
}

static struct dir_stat *dir_find(struct dir_stat *dirs, const uint8_t *src, const uint8_t *dst,
				 uint16_t sp, uint16_t dp, uint8_t proto, bool add)
{
	uint64_t j = dir_hash(src, dst, sp, dp, proto) & (DIRS_MAX - 1);

	for (unsigned n = 0; n < DIRS_MAX; n++, j = (j + 1) & (DIRS_MAX - 1)) {
		struct dir_stat *d = &dirs[j];

		if (!d->used) {
			if (!add)
				return NULL;
			*d = (struct dir_stat){ .used = true,
						.proto = proto,
						.sport = sp,
						.dport = dp,
						.min = INT64_MAX,
						.max = INT64_MIN };
			memcpy(d->src, src, 16);
			memcpy(d->dst, dst, 16);
			return d;
		}
		if (d->proto == proto && d->sport == sp && d->dport == dp &&
		    !memcmp(d->src, src, 16) && !memcmp(d->dst, dst, 16))
			return d;
	}
	return NULL;
}

static void dir_note(struct matcher *m, const struct pending *e, int64_t delta)
{
	struct dir_stat *d;

	if (!m->dirs)
		m->dirs = calloc(DIRS_MAX, sizeof(*m->dirs));
	d = m->dirs ? dir_find(m->dirs, e->src, e->dst, e->sport, e->dport, e->proto, true) : NULL;
	if (!d) {
		m->dirs_full++;
		return;
	}
	if (delta < d->min)
		d->min = delta;
	if (delta > d->max)
		d->max = delta;
}

static struct clock_estimate estimate(const struct matcher *m)
{
	struct clock_estimate c = {};
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	for (unsigned i = 0; m->dirs && i < DIRS_MAX; i++) {
		const struct dir_stat *x = &m->dirs[i], *y;

		if (!x->used)
			continue;
		y = dir_find(m->dirs, x->dst, x->src, x->dport, x->sport, x->proto, false);
		if (!y || x->min < y->min || (x->min == y->min && x > y))
			continue; /* no way back, or x is the way back: seen from y */
		if (x->min <= y->max) {
			c.inconsistent++;
			continue;
		}
		c.flows++;
		if (x->min < lo)
			lo = x->min;
		if (y->max > hi)
			hi = y->max;
	}
	if (c.flows && lo > hi) {
		c.known = true;
		c.offset_ns = hi + (lo - hi) / 2;
		c.uncertainty_ns = (uint64_t)(lo - hi) / 2;
	}
	return c;
}

/* Decodes the current frame of s: false when it is not an IP packet. */
static bool decode(const struct matcher *m, const struct side *s, struct pcap_pkt *p,
		   struct pending *e)
{
	enum pcap_verdict v;
	int c;

	v = pcap_decode(s->rec.linktype, s->rec.data, s->rec.caplen, s->rec.len, p);
	p->ts_ns = ts_of(s);
	if (v != PV_OK && v != PV_FRAGMENT)
		return false;
	memset(e, 0, sizeof(*e));
	e->hash = packet_hash(p, v);
	e->ts_ns = p->ts_ns;
	e->frame = s->frames;
	c = v == PV_OK ? pcap_classify(m->classes, p) : -1;
	e->cls = (int16_t)(c < 0 ? m->classes->n : c);
	e->proto = v == PV_OK ? p->proto : 0;
	memcpy(e->src, p->src, 16);
	memcpy(e->dst, p->dst, 16);
	e->sport = p->sport;
	e->dport = p->dport;
	if (c >= 0 && m->classes->at[c].sequence.size && p->proto == IPPROTO_UDP) {
		const struct jd_sequence *sq = &m->classes->at[c].sequence;

		if ((uint64_t)sq->offset + sq->size <= p->payload_caplen) {
			for (uint32_t i = 0; i < sq->size; i++)
				e->sequence =
					e->sequence << 8 |
					p->payload[sq->offset + (sq->byte_order == JD_LITTLE_ENDIAN
									 ? sq->size - 1 - i
									 : i)];
			e->has_sequence = true;
		}
	}
	return true;
}

static int run(struct matcher *m, struct side *a, struct side *b)
{
	bool have_a = next_frame(a);
	struct pcap_pkt p;
	struct pending e;

	while (next_frame(b)) {
		uint64_t tb = ts_of(b);
		struct pending *twin;

		if (!m->b_first)
			m->b_first = tb;
		if (tb > m->b_last)
			m->b_last = tb;
		for (; have_a && ts_of(a) <= tb + m->window; have_a = next_frame(a))
			if (decode(m, a, &p, &e)) {
				m->a_ip++;
				if (queue_push(m, &e))
					return -ENOMEM;
			}
		expire(m, tb, false);
		if (!decode(m, b, &p, &e))
			continue;
		m->b_ip++;
		twin = take(m, e.hash);
		if (!twin) {
			m->only_b++;
			continue;
		}
		m->matched++;
		m->cls[twin->cls].matched++;
		if (!m->a_first_matched || twin->ts_ns < m->a_first_matched)
			m->a_first_matched = twin->ts_ns;
		if (twin->ts_ns > m->a_last_matched)
			m->a_last_matched = twin->ts_ns;
		dir_note(m, &e, (int64_t)(e.ts_ns - twin->ts_ns));
		if (e.ts_ns < twin->ts_ns) {
			m->cls[twin->cls].negative++;
			llh_add(&m->cls[twin->cls].reverse_ns, twin->ts_ns - e.ts_ns);
		} else {
			llh_add(&m->cls[twin->cls].one_way_ns, e.ts_ns - twin->ts_ns);
			if (m->samples)
				fprintf(m->samples, "one_way,%s,%llu,%llu,%llu\n",
					twin->cls < m->classes->n ? m->classes->at[twin->cls].name
								  : "unclassified",
					(unsigned long long)b->frames, (unsigned long long)e.ts_ns,
					(unsigned long long)(e.ts_ns - twin->ts_ns));
		}
	}
	for (; have_a; have_a = next_frame(a))
		if (decode(m, a, &p, &e)) {
			m->a_ip++;
			if (queue_push(m, &e))
				return -ENOMEM;
		}
	expire(m, 0, true);
	trim(m);
	return 0;
}

static const char *class_name(const struct matcher *m, int c)
{
	return c < m->classes->n ? m->classes->at[c].name : "unclassified";
}

/* The estimate before any offset was applied, what was applied, and what
 * is left (the estimate of the run with it applied). */
static json_t *clock_json(const struct matcher *m)
{
	json_t *o = json_object();

	if (m->first.known) {
		json_object_set_new(o, "estimated_ns", json_integer(m->first.offset_ns));
		json_set_u64(o, "uncertainty_ns", m->first.uncertainty_ns);
	} else {
		json_object_set_new(o, "estimated_ns", json_null());
	}
	json_set_u64(o, "flows_both_ways", m->first.flows);
	json_set_u64(o, "flows_inconsistent", m->first.inconsistent);
	json_object_set_new(o, "applied_ns", json_integer(m->applied_ns));
	if (m->now.known)
		json_object_set_new(o, "residual_ns", json_integer(m->now.offset_ns));
	return o;
}

static json_t *match_json(const struct matcher *m, const struct side *a, const struct side *b)
{
	json_t *o = json_object(), *cls = json_array(), *list = json_array();

	json_set_u64(o, "version", 1);
	json_set_str(o, "kind", "match");
	json_object_set_new(o, "files", json_pack("[ss]", a->path, b->path));
	json_set_u64(o, "frames", a->frames + b->frames);
	json_set_u64(o, "a_frames", a->frames);
	json_set_u64(o, "b_frames", b->frames);
	json_set_u64(o, "a_ip_packets", m->a_ip);
	json_set_u64(o, "b_ip_packets", m->b_ip);
	json_set_u64(o, "window_ns", m->window);
	json_object_set_new(o, "percentile_relative_error", json_real(1.0 / 64));
	json_set_u64(o, "matched", m->matched);
	json_set_u64(o, "lost", m->n_lost);
	json_set_u64(o, "only_b", m->only_b);
	json_set_u64(o, "a_outside_b_capture", m->a_outside);
	json_object_set_new(o, "clock_offset", clock_json(m));
	for (int c = 0; c <= m->classes->n; c++) {
		const struct match_class *mc = &m->cls[c];
		json_t *x;

		if (!mc->matched && !mc->lost && c == m->classes->n)
			continue;
		x = json_object();
		json_set_str(x, "name", class_name(m, c));
		json_set_u64(x, "packets", mc->matched);
		json_set_u64(x, "matched", mc->matched);
		json_set_u64(x, "lost", mc->lost);
		json_set_u64(x, "negative", mc->negative);
		json_object_set_new(x, "one_way_ns", pcap_dist_json(&mc->one_way_ns));
		json_object_set_new(x, "reverse_one_way_ns", pcap_dist_json(&mc->reverse_ns));
		json_array_append_new(cls, x);
	}
	json_object_set_new(o, "classes", cls);
	for (uint64_t i = 0; i < m->n_lost && i < PCAP_LIST_MAX; i++) {
		const struct pending *e = &m->lost_list[i];
		json_t *x = json_object();
		char s[80], d[80];

		pcap_endpoint(s, sizeof(s), e->src, e->sport);
		pcap_endpoint(d, sizeof(d), e->dst, e->dport);
		json_set_u64(x, "frame", e->frame);
		json_set_u64(x, "ts_ns", e->ts_ns);
		json_set_str(x, "class", class_name(m, e->cls));
		json_set_str(x, "protocol",
			     e->proto == IPPROTO_TCP   ? "tcp"
			     : e->proto == IPPROTO_UDP ? "udp"
						       : "ip");
		json_set_str(x, "source", s);
		json_set_str(x, "destination", d);
		if (e->has_sequence)
			json_set_u64(x, "sequence", e->sequence);
		json_array_append_new(list, x);
	}
	json_object_set_new(o, "lost_list", list);
	return o;
}

static void match_text(const struct matcher *m, const struct side *a, const struct side *b)
{
	printf("A %s: %llu frames; B %s: %llu frames; window %.3f ms\n", a->path,
	       (unsigned long long)a->frames, b->path, (unsigned long long)b->frames,
	       (double)m->window / 1e6);
	printf("%llu matched, %llu seen at A and never at B, %llu at B only, %llu at A outside "
	       "B's capture\n",
	       (unsigned long long)m->matched, (unsigned long long)m->n_lost,
	       (unsigned long long)m->only_b, (unsigned long long)m->a_outside);
	if (m->first.known)
		printf("clock offset (B minus A) %+.3f us +- %.3f us, from %llu flows seen both "
		       "ways; %+.3f us taken off B's times\n",
		       (double)m->first.offset_ns / 1e3, (double)m->first.uncertainty_ns / 1e3,
		       (unsigned long long)m->first.flows, (double)m->applied_ns / 1e3);
	else if (m->applied_ns)
		printf("clock offset: %+.3f us taken off B's times (no flow seen both ways)\n",
		       (double)m->applied_ns / 1e3);
	for (int c = 0; c <= m->classes->n; c++) {
		const struct match_class *mc = &m->cls[c];
		const struct llhist *h = &mc->one_way_ns;

		if (!mc->matched && !mc->lost)
			continue;
		printf("\n%s: %llu matched, %llu lost; one-way min %.1fus p50 %.1fus p90 %.1fus "
		       "p99 %.1fus p99.9 %.1fus max %.1fus\n",
		       class_name(m, c), (unsigned long long)mc->matched,
		       (unsigned long long)mc->lost, (double)(h->count ? h->min : 0) / 1e3,
		       (double)llh_quantile(h, 0.5) / 1e3, (double)llh_quantile(h, 0.9) / 1e3,
		       (double)llh_quantile(h, 0.99) / 1e3, (double)llh_quantile(h, 0.999) / 1e3,
		       (double)h->max / 1e3);
		if (mc->negative)
			printf("  %llu at B before A (B to A, or clocks apart): by p50 %.1fus max "
			       "%.1fus\n",
			       (unsigned long long)mc->negative,
			       (double)llh_quantile(&mc->reverse_ns, 0.5) / 1e3,
			       (double)mc->reverse_ns.max / 1e3);
	}
	for (uint64_t i = 0; i < m->n_lost && i < 20; i++) {
		const struct pending *e = &m->lost_list[i];
		char s[80], d[80];

		pcap_endpoint(s, sizeof(s), e->src, e->sport);
		pcap_endpoint(d, sizeof(d), e->dst, e->dport);
		printf("  lost: A frame %llu at %.9f %s -> %s", (unsigned long long)e->frame,
		       (double)e->ts_ns / 1e9, s, d);
		if (e->has_sequence)
			printf(" sequence %llu", (unsigned long long)e->sequence);
		putchar('\n');
	}
}

static int match_metrics(const struct matcher *m, struct buf *out)
{
	struct metrics *reg = metrics_new();
	struct metric_family *ow, *lo;
	int ret;

	if (!reg)
		return -ENOMEM;
	ow = metrics_family(reg, "jitterd_pcap_one_way_seconds",
			    "From capture point A to capture point B.", METRIC_HISTOGRAM,
			    METRIC_UNIT_SECONDS);
	lo = metrics_family(reg, "jitterd_pcap_lost_between_points_total",
			    "Packets seen at A and never at B.", METRIC_COUNTER, METRIC_UNIT_NONE);
	for (int c = 0; c <= m->classes->n; c++) {
		const struct match_class *mc = &m->cls[c];
		struct jd_hist_ns pow2;
		struct metric_hist mh = pcap_fold(&mc->one_way_ns, &pow2);

		metric_hist(ow, &mh, "class", class_name(m, c), LABELS_END);
		metric_u64(lo, mc->lost, "class", class_name(m, c), LABELS_END);
	}
	ret = metrics_encode(reg, out);
	buf_puts(out, "# EOF\n");
	metrics_free(reg);
	return ret;
}

/* Back to before the files were read (but the classes and the options). */
static void matcher_reset(struct matcher *m, struct side *a, struct side *b)
{
	const struct jd_socket_classes *classes = m->classes;
	uint64_t window = m->window;
	FILE *samples = m->samples;
	int64_t applied = m->applied_ns;
	struct clock_estimate first = m->first, now = m->now;

	cap_close(a->p);
	cap_close(b->p);
	*a = (struct side){ .path = a->path };
	*b = (struct side){ .path = b->path };
	for (int c = 0; c <= JD_MAX_SOCKET_CLASSES; c++) {
		llh_free(&m->cls[c].one_way_ns);
		llh_free(&m->cls[c].reverse_ns);
	}
	free(m->q);
	free(m->slots);
	free(m->dirs);
	memset(m, 0, sizeof(*m));
	m->classes = classes;
	m->window = window;
	m->samples = samples;
	m->applied_ns = applied;
	m->first = first;
	m->now = now;
}

int pcap_match_main(int argc, char **argv, const struct jd_socket_classes *classes,
		    const struct pcap_options *o, enum pcap_output output, const char *html)
{
	struct matcher *m = calloc(1, sizeof(*m));
	struct side a = { .path = argv[0] }, b = { .path = argv[1] };
	int status = 2;

	(void)argc;
	if (!m)
		return 1;
	m->classes = classes;
	m->samples = o->samples;
	/* --window; --trigger-window shares the option slot, its default is 10ms */
	m->window = o->match_window;
	if (o->clock_offset_auto && (!strcmp(a.path, "-") || !strcmp(b.path, "-"))) {
		fprintf(stderr, "jitterd pcap: --clock-offset auto reads the captures twice: "
				"not from standard input\n");
		goto out;
	}
	m->applied_ns = o->clock_offset;
	for (int pass = o->clock_offset_auto ? 0 : 1; pass < 2; pass++) {
		FILE *samples = m->samples;

		if (pass == 0) /* the estimate only */
			m->samples = NULL;
		b.shift = m->applied_ns;
		if (cap_open(a.path, o->threads > 1, &a.p) ||
		    cap_open(b.path, o->threads > 1, &b.p))
			goto out;
		cap_set_hw_timestamp(a.p, o->hw_ts);
		cap_set_hw_timestamp(b.p, o->hw_ts);
		if (run(m, &a, &b)) {
			status = 1;
			goto out;
		}
		m->samples = samples;
		if (a.error || b.error)
			goto out; /* bad input: said, exit 2 */
		m->now = estimate(m);
		if (pass == 0 || !o->clock_offset_auto)
			m->first = m->now;
		if (pass == 0) {
			m->applied_ns = m->first.known ? m->first.offset_ns : 0;
			matcher_reset(m, &a, &b);
		}
	}
	if (!o->clock_offset_auto && m->applied_ns) {
		/* the estimate is of what is left; the offset before is that plus what was taken */
		m->first.offset_ns += m->applied_ns;
	}
	status = 0;
	if (output == PCAP_OUT_TEXT) {
		match_text(m, &a, &b);
	} else if (output == PCAP_OUT_JSON) {
		json_t *j = match_json(m, &a, &b);
		struct buf out = {};

		json_append(&out, j);
		buf_putc(&out, '\n');
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
		json_decref(j);
	} else {
		struct buf out = {};

		if (match_metrics(m, &out))
			status = 1;
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
	}
	if (html) {
		json_t *j = match_json(m, &a, &b);

		if (pcap_report_html(j, html))
			status = 1;
		json_decref(j);
	}
out:
	matcher_reset(m, &a, &b);
	free(m);
	return status;
}
