// SPDX-License-Identifier: MIT
/*
 * jitterd pcap's reports: the terminal table, the JSON document (its schema
 * is in docs/pcap.md), the metrics (daemon/lib/metrics.c's
 * registry and encoder, jitterd_pcap_* families) and the HTML page, which
 * is the JSON document and a script that draws it (html.c).
 */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hist.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "pcap/state.h"

/* ---- JSON --------------------------------------------------------------- */

static const double quantiles[] = { 0.5, 0.9, 0.99, 0.999 };
static const char *const quantile_names[] = { "p50", "p90", "p99", "p999" };

json_t *pcap_dist_json(const struct llhist *h)
{
	json_t *o = json_object(), *hist = json_array();

	json_set_u64(o, "count", h->count);
	json_set_u64(o, "min", h->count ? h->min : 0);
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		json_set_u64(o, quantile_names[i], llh_quantile(h, quantiles[i]));
	json_set_u64(o, "max", h->max);
	json_set_u64(o, "mean", h->count ? h->sum / h->count : 0);
	json_set_u64(o, "sum", h->sum); /* for jitterd pcap merge */
	for (unsigned i = 0; h->b && i < LLH_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		json_array_append_new(
			hist, json_pack("[II]", (json_int_t)llh_upper(i), (json_int_t)h->b[i]));
	}
	json_object_set_new(o, "histogram", hist);
	return o;
}

static json_t *u64_array(const struct timeline_point *p, unsigned n, size_t field)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(
			arr, json_integer((json_int_t) *
					  (const uint64_t *)((const char *)&p[i] + field)));
	return arr;
}

/* Session bytes as text when they are printable (MoldUDP64's are, padded
 * with spaces: those are cut), else in hex. */
static void session_text(char *buf, size_t size, const struct jd_sequence *sq,
			 const uint8_t *session)
{
	uint32_t n = sq->session.size;
	bool printable = true;
	size_t o = 0;

	for (uint32_t i = 0; i < n; i++)
		printable &= session[i] >= 0x20 && session[i] < 0x7f;
	while (printable && n && session[n - 1] == ' ')
		n--;
	for (uint32_t i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, printable ? "%c" : "%02x", session[i]);
	buf[o] = '\0';
}

static json_t *stream_json(const struct pcap_analysis *a, const struct seq_stream *s)
{
	const struct jd_sequence *sq = &a->cls[s->cls].sc->sequence;
	json_t *o = json_object();
	char group[80];

	pcap_endpoint(group, sizeof(group), s->dst, s->port);
	json_set_str(o, "destination", group);
	if (sq->session.size) {
		session_text(group, sizeof(group), sq, s->session);
		json_set_str(o, "session", group);
	}
	if (sq->count.size) {
		json_set_u64(o, "packets", s->packets);
		json_set_u64(o, "heartbeats", s->heartbeats);
		json_set_u64(o, "end_of_session", s->ends);
	}
	json_set_u64(o, "received", s->received);
	json_set_u64(o, "gaps", s->gaps);
	json_set_u64(o, "missing", s->missing);
	json_set_u64(o, "duplicates", s->duplicates);
	json_set_u64(o, "out_of_order", s->out_of_order);
	json_set_u64(o, "resets", s->resets);
	json_set_u64(o, "highest", s->next ? s->next - 1 : 0);
	return o;
}

static json_t *sequence_json(const struct pcap_analysis *a, const struct class_stats *c, int ci)
{
	json_t *o = json_object(), *gaps = json_array(), *streams = json_array();

	json_set_u64(o, "received", c->seq_received);
	json_set_u64(o, "gaps", c->seq_gaps);
	json_set_u64(o, "missing", c->seq_missing);
	json_set_u64(o, "duplicates", c->seq_duplicates);
	json_set_u64(o, "out_of_order", c->seq_out_of_order);
	json_set_u64(o, "resets", c->seq_resets);
	json_set_u64(o, "unreadable", c->seq_unreadable);
	if (c->sc->sequence.count.size) { /* the figures above count messages */
		json_set_u64(o, "packets", c->seq_packets);
		json_set_u64(o, "heartbeats", c->seq_heartbeats);
		json_set_u64(o, "end_of_session", c->seq_ends);
	}
	for (uint64_t i = 0; i < c->n_gaps_listed && i < PCAP_LIST_MAX; i++) {
		const struct seq_gap *g = &c->gaps[i];
		json_t *x = json_object();
		char dst[80];

		json_set_u64(x, "ts_ns", g->ts_ns);
		pcap_endpoint(dst, sizeof(dst), a->streams[g->stream].dst,
			      a->streams[g->stream].port);
		json_set_str(x, "destination", dst);
		if (c->sc->sequence.session.size) {
			session_text(dst, sizeof(dst), &c->sc->sequence,
				     a->streams[g->stream].session);
			json_set_str(x, "session", dst);
		}
		json_set_u64(x, "first", g->first);
		json_set_u64(x, "count", g->count);
		json_array_append_new(gaps, x);
	}
	json_object_set_new(o, "gap_list", gaps);
	for (uint32_t i = 0; i < a->n_streams; i++)
		if (a->streams[i].cls == ci)
			json_array_append_new(streams, stream_json(a, &a->streams[i]));
	json_object_set_new(o, "streams", streams);
	return o;
}

/* IP reassembly: datagrams made whole, and those given up by why. */
static json_t *reassembly_json(const struct pcap_analysis *a)
{
	json_t *o = json_object(), *fail = json_object();
	const struct reasm_stats *st = a->reasm ? reasm_stats(a->reasm) : NULL;

	json_object_set_new(o, "enabled", json_boolean(!a->o.no_reassembly));
	json_set_u64(o, "datagrams", st ? st->datagrams : 0);
	json_set_u64(o, "not_tcp_udp", a->reasm_undecodable);
	for (int i = 0; i < RF_N; i++)
		json_set_u64(fail, reasm_failure_names[i], st ? st->failures[i] : 0);
	json_object_set_new(o, "failures", fail);
	return o;
}

static json_t *class_json(const struct pcap_analysis *a, int ci)
{
	const struct class_stats *c = &a->cls[ci];
	json_t *o = json_object(), *tp = json_object(), *mb = json_object(), *list = json_array(),
	       *tl = json_object();

	json_set_str(o, "name", c->name);
	if (c->sc)
		json_set_str(o, "protocol", c->sc->protocol == JD_PROTO_TCP ? "tcp" : "udp");
	json_set_u64(o, "packets", c->packets);
	json_set_u64(o, "bytes", c->bytes);
	json_set_u64(o, "flows", c->flows);
	json_set_u64(o, "tap_duplicates", c->tap_duplicates);
	json_set_u64(o, "first_ns", c->first_ns);
	json_set_u64(o, "last_ns", c->last_ns);

	json_set_u64(tp, "windows", c->win_bps.count);
	json_object_set_new(tp, "bits_per_second", pcap_dist_json(&c->win_bps));
	json_object_set_new(tp, "packets_per_window", pcap_dist_json(&c->win_pps));
	json_object_set_new(o, "throughput", tp);

	json_set_u64(mb, "count", c->n_bursts);
	for (uint64_t i = 0; i < c->n_bursts && i < PCAP_LIST_MAX; i++) {
		const struct burst *b = &c->bursts[i];

		json_array_append_new(
			list, json_pack("{sIsIsIsIsIsI}", "start_ns", (json_int_t)b->start_ns,
					"duration_ns", (json_int_t)b->duration_ns, "peak_bps",
					(json_int_t)b->peak_bps, "peak_packets",
					(json_int_t)b->peak_packets, "packets",
					(json_int_t)b->packets, "bytes", (json_int_t)b->bytes));
	}
	json_object_set_new(mb, "list", list);
	json_object_set_new(o, "microbursts", mb);

	json_set_u64(tl, "start_ns", c->tl_start);
	json_set_u64(tl, "width_ns", c->tl_width);
	json_object_set_new(
		tl, "bytes",
		u64_array(c->timeline, c->tl_used, offsetof(struct timeline_point, bytes)));
	json_object_set_new(
		tl, "packets",
		u64_array(c->timeline, c->tl_used, offsetof(struct timeline_point, packets)));
	json_object_set_new(tl, "peak_window_bytes",
			    u64_array(c->timeline, c->tl_used,
				      offsetof(struct timeline_point, peak_window_bytes)));
	json_object_set_new(o, "timeline", tl);

	json_object_set_new(o, "inter_arrival_ns", pcap_dist_json(&c->gap_ns));
	if (c->sc && c->sc->sequence.size)
		json_object_set_new(o, "sequence", sequence_json(a, c, ci));
	if (c->tcp_segments) {
		json_t *t = json_object();

		json_set_u64(t, "segments", c->tcp_segments);
		json_set_u64(t, "retransmissions", c->tcp_retransmissions);
		json_set_u64(t, "fast_retransmissions", c->tcp_fast_retransmissions);
		json_set_u64(t, "spurious_retransmissions", c->tcp_spurious_retransmissions);
		json_set_u64(t, "out_of_order", c->tcp_out_of_order);
		json_set_u64(t, "zero_windows", c->tcp_zero_windows);
		json_set_u64(t, "keep_alives", c->tcp_keepalives);
		json_set_u64(t, "untimed_segments", c->tcp_untimed);
		json_object_set_new(t, "rtt_ns", pcap_dist_json(&c->rtt_ns));
		json_object_set_new(t, "response_ns", pcap_dist_json(&c->response_ns));
		json_object_set_new(o, "tcp", t);
	}
	return o;
}

static int by_bytes(const void *x, const void *y)
{
	const struct flow *f = *(const struct flow *const *)x, *g = *(const struct flow *const *)y;
	uint64_t a = f->bytes[0] + f->bytes[1], b = g->bytes[0] + g->bytes[1];

	return a < b ? 1 : a > b ? -1 : 0;
}

static json_t *flow_json(const struct pcap_analysis *a, const struct flow *f)
{
	json_t *o = json_object();
	char ea[80], eb[80];

	pcap_endpoint(ea, sizeof(ea), f->a, f->pa);
	pcap_endpoint(eb, sizeof(eb), f->b, f->pb);
	json_set_str(o, "protocol", f->proto == IPPROTO_TCP ? "tcp" : "udp");
	json_set_str(o, "a", ea);
	json_set_str(o, "b", eb);
	json_set_str(o, "class", a->cls[f->cls].name);
	json_set_u64(o, "packets_a_to_b", f->packets[0]);
	json_set_u64(o, "packets_b_to_a", f->packets[1]);
	json_set_u64(o, "bytes_a_to_b", f->bytes[0]);
	json_set_u64(o, "bytes_b_to_a", f->bytes[1]);
	json_set_u64(o, "tap_duplicates", f->tap_duplicates);
	json_set_u64(o, "first_ns", f->first_ns);
	json_set_u64(o, "last_ns", f->last_ns);
	return o;
}

/* Every flow (all), or the top unclassified ones, by bytes. */
static json_t *flows_json(const struct pcap_analysis *a, bool all)
{
	const struct flow **v = malloc(sizeof(*v) * (a->n_flows + 1));
	json_t *arr = json_array();
	uint32_t n = 0;

	if (!v)
		return arr;
	for (uint32_t i = 0; i < a->n_slots; i++)
		if (a->flows[i].used && (all || a->flows[i].cls == a->n_cls - 1))
			v[n++] = &a->flows[i];
	qsort(v, n, sizeof(*v), by_bytes);
	for (uint32_t i = 0; i < n && (all || i < a->o.top); i++)
		json_array_append_new(arr, flow_json(a, v[i]));
	free(v);
	return arr;
}

static json_t *feed_json(const struct pcap_analysis *a, const struct ab_feed *f)
{
	json_t *o = json_object(), *lost = json_array();
	static const char *const leg[2] = { "a", "b" };

	json_set_str(o, "name", f->name);
	json_set_str(o, "a", f->cls[0] >= 0 ? a->cls[f->cls[0]].name : "");
	json_set_str(o, "b", f->cls[1] >= 0 ? a->cls[f->cls[1]].name : "");
	json_set_u64(o, "a_first", f->first[0]);
	json_set_u64(o, "b_first", f->first[1]);
	json_object_set_new(o, "a_first_by_ns", pcap_dist_json(&f->margin_ns[0]));
	json_object_set_new(o, "b_first_by_ns", pcap_dist_json(&f->margin_ns[1]));
	json_set_u64(o, "only_a", f->only[0]);
	json_set_u64(o, "only_b", f->only[1]);
	for (uint64_t i = 0; i < f->n_losses_listed && i < PCAP_LIST_MAX; i++)
		json_array_append_new(lost, json_pack("{sIsIss}", "sequence",
						      (json_int_t)f->losses[i].seq, "ts_ns",
						      (json_int_t)f->losses[i].ts_ns, "only_on",
						      leg[f->losses[i].leg]));
	json_object_set_new(o, "one_leg_list", lost);
	return o;
}

static json_t *timestamps_json(const struct pcap_analysis *a)
{
	json_t *o = json_object(), *list = json_array();

	json_set_u64(o, "backwards", a->ts_backwards);
	json_set_u64(o, "largest_backward_step_ns", a->ts_backward_max_ns);
	json_set_u64(o, "outliers", a->ts_outliers);
	for (uint64_t i = 0; i < a->ts_outliers && i < PCAP_LIST_MAX; i++)
		json_array_append_new(list,
				      json_pack("{sIsI}", "frame", (json_int_t)a->outliers[i].frame,
						"ts_ns", (json_int_t)a->outliers[i].ts_ns));
	json_object_set_new(o, "outlier_list", list);
	if (a->o.hw_ts)
		json_object_set_new(o, "hardware",
				    json_pack("{sssIsI}", "source", pcap_hwts_names[a->o.hw_ts],
					      "frames", (json_int_t)a->hw_with, "without",
					      (json_int_t)a->hw_without));
	return o;
}

json_t *pcap_report_json(const struct pcap_analysis *a)
{
	json_t *o = json_object(), *files = json_array(), *damage = json_array(),
	       *dec = json_object(), *classes = json_array(), *feeds = json_array(),
	       *trig = json_array();

	json_set_u64(o, "version", 1);
	json_set_str(o, "kind", "capture");
	for (int i = 0; i < a->n_files; i++)
		json_array_append_new(files, json_string(a->files[i]));
	json_object_set_new(o, "files", files);
	for (int i = 0; i < a->n_damage; i++)
		json_array_append_new(damage,
				      json_pack("{sssIss}", "file", a->files[a->damage[i].file],
						"offset", (json_int_t)a->damage[i].offset, "error",
						a->damage[i].why));
	json_object_set_new(o, "damage", damage);
	json_set_u64(o, "frames", a->frames);
	json_set_u64(o, "bytes", a->bytes);
	json_set_u64(o, "first_ns", a->first_ns);
	json_set_u64(o, "last_ns", a->last_ns);
	json_set_u64(o, "interval_ns", a->o.interval_ns);
	json_object_set_new(o, "timestamps", timestamps_json(a));
	json_object_set_new(o, "percentile_relative_error", json_real(1.0 / 64));
	for (int v = 0; v < PV_N; v++)
		json_set_u64(dec, pcap_verdict_names[v], a->verdicts[v]);
	json_object_set_new(o, "decode", dec);
	json_object_set_new(o, "reassembly", reassembly_json(a));
	json_set_u64(o, "flows", a->n_flows);
	json_set_u64(o, "tap_duplicates", a->tap_duplicates);
	json_set_u64(o, "dup_window_ns", a->o.dup_window);
	json_set_u64(o, "packets_beyond_max_flows", a->flows_over_limit_packets);
	json_set_u64(o, "packets_beyond_max_streams", a->streams_over_limit);
	for (int i = 0; i < a->n_cls; i++)
		if (i < a->n_cls - 1 || a->cls[i].packets)
			json_array_append_new(classes, class_json(a, i));
	json_object_set_new(o, "classes", classes);
	json_object_set_new(o, "top_unclassified_flows", flows_json(a, false));
	if (a->o.all_flows)
		json_object_set_new(o, "all_flows", flows_json(a, true));
	for (int i = 0; i < a->n_feeds; i++)
		json_array_append_new(feeds, feed_json(a, &a->feeds[i]));
	json_object_set_new(o, "feeds", feeds);
	for (int i = 0; i < a->o.n_triggers; i++) {
		const struct trigger_stats *t = &a->triggers[i];
		json_t *x = json_object();

		json_set_str(x, "trigger", a->cls[a->o.triggers[i].trigger].name);
		json_set_str(x, "response", a->cls[a->o.triggers[i].response].name);
		json_set_u64(x, "window_ns", a->o.trigger_window);
		json_set_u64(x, "responses", t->responses);
		json_set_u64(x, "without_trigger", t->without_trigger);
		json_object_set_new(x, "latency_ns", pcap_dist_json(&t->latency_ns));
		json_array_append_new(trig, x);
	}
	json_object_set_new(o, "trigger_response", trig);
	return o;
}

/* ---- terminal ----------------------------------------------------------- */

static void fmt_ns(char *buf, size_t size, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, size, "%.1fus", (double)ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.1fs", (double)ns / 1e9);
}

static unsigned streams_of(const struct pcap_analysis *a, const struct class_stats *c)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < a->n_streams; i++)
		n += &a->cls[a->streams[i].cls] == c;
	return n;
}

static void dist_line(FILE *out, const char *what, const struct llhist *h)
{
	char v[6][24];

	if (!h->count)
		return;
	fmt_ns(v[0], sizeof(v[0]), llh_quantile(h, 0.5));
	fmt_ns(v[1], sizeof(v[1]), llh_quantile(h, 0.9));
	fmt_ns(v[2], sizeof(v[2]), llh_quantile(h, 0.99));
	fmt_ns(v[3], sizeof(v[3]), llh_quantile(h, 0.999));
	fmt_ns(v[4], sizeof(v[4]), h->max);
	fmt_ns(v[5], sizeof(v[5]), h->min);
	fprintf(out, "    %-22s n=%-9llu min %-8s p50 %-8s p90 %-8s p99 %-8s p99.9 %-8s max %s\n",
		what, (unsigned long long)h->count, v[5], v[0], v[1], v[2], v[3], v[4]);
}

/* The top unclassified flows, from the same list as the JSON's. */
static void top_flows(const struct pcap_analysis *a, FILE *out)
{
	json_t *flows = flows_json(a, false), *f;
	size_t i;

	json_array_foreach(flows, i, f)
	{
		if (!i)
			fputs("    top flows of no class, by bytes:\n", out);
		fprintf(out, "      %s %s <-> %s: %lld packets, %lld bytes\n",
			json_string_value(json_object_get(f, "protocol")),
			json_string_value(json_object_get(f, "a")),
			json_string_value(json_object_get(f, "b")),
			json_integer_value(json_object_get(f, "packets_a_to_b")) +
				json_integer_value(json_object_get(f, "packets_b_to_a")),
			json_integer_value(json_object_get(f, "bytes_a_to_b")) +
				json_integer_value(json_object_get(f, "bytes_b_to_a")));
	}
	json_decref(flows);
}

void pcap_report_text(const struct pcap_analysis *a, FILE *out)
{
	double secs = a->last_ns > a->first_ns ? (double)(a->last_ns - a->first_ns) / 1e9 : 0;

	fprintf(out, "%llu frames, %llu bytes, %.6f s", (unsigned long long)a->frames,
		(unsigned long long)a->bytes, secs);
	for (int v = 1; v < PV_N; v++)
		if (a->verdicts[v])
			fprintf(out, "; %s %llu", pcap_verdict_names[v],
				(unsigned long long)a->verdicts[v]);
	if (a->reasm) {
		const struct reasm_stats *st = reasm_stats(a->reasm);

		fprintf(out, "; %llu datagrams reassembled", (unsigned long long)st->datagrams);
		for (int i = 0; i < RF_N; i++)
			if (st->failures[i])
				fprintf(out, ", %llu given up (%s)",
					(unsigned long long)st->failures[i],
					reasm_failure_names[i]);
	}
	if (a->o.hw_ts)
		fprintf(out, "\ntimes: %s's on %llu frames, the capture host's on %llu without one",
			pcap_hwts_names[a->o.hw_ts], (unsigned long long)a->hw_with,
			(unsigned long long)a->hw_without);
	for (int i = 0; i < a->n_damage; i++)
		fprintf(out, "\n%s: damaged at offset %ld (%s): only the frames before it are here",
			a->files[a->damage[i].file], a->damage[i].offset, a->damage[i].why);
	fprintf(out, "\n%u flows (percentiles within 1.6%%; window %.3f ms)\n", a->n_flows,
		(double)a->o.interval_ns / 1e6);
	if (a->ts_backwards || a->ts_outliers)
		fprintf(out,
			"timestamps out of order: %llu frames earlier than the one before (by up "
			"to %.6f s), %llu outliers taken at the time before them\n",
			(unsigned long long)a->ts_backwards, (double)a->ts_backward_max_ns / 1e9,
			(unsigned long long)a->ts_outliers);
	if (a->tap_duplicates)
		fprintf(out, "%llu frames were a tap's or SPAN port's copies, left out below\n",
			(unsigned long long)a->tap_duplicates);
	for (int i = 0; i < a->n_cls; i++) {
		const struct class_stats *c = &a->cls[i];

		if (!c->packets && i == a->n_cls - 1)
			continue;
		fprintf(out, "\n%s: %llu packets, %llu bytes, %llu flows\n", c->name,
			(unsigned long long)c->packets, (unsigned long long)c->bytes,
			(unsigned long long)c->flows);
		if (c->win_bps.count)
			fprintf(out,
				"    rate per window       p50 %.3f Mbit/s  p99 %.3f Mbit/s  max "
				"%.3f "
				"Mbit/s (%llu packets)  microbursts %llu\n",
				(double)llh_quantile(&c->win_bps, 0.5) / 1e6,
				(double)llh_quantile(&c->win_bps, 0.99) / 1e6,
				(double)c->win_bps.max / 1e6, (unsigned long long)c->win_pps.max,
				(unsigned long long)c->n_bursts);
		for (uint64_t b = 0; b < c->n_bursts && b < 5; b++)
			fprintf(out, "      burst at +%.6f s for %.3f ms, peak %.3f Mbit/s\n",
				(double)(c->bursts[b].start_ns - a->first_ns +
					 a->first_ns % a->o.interval_ns) /
					1e9,
				(double)c->bursts[b].duration_ns / 1e6,
				(double)c->bursts[b].peak_bps / 1e6);
		dist_line(out, "inter-arrival", &c->gap_ns);
		if (c->sc && c->sc->sequence.size)
			fprintf(out,
				"    sequence              %llu received, %llu gaps, %llu missing, "
				"%llu duplicates, %llu out of order, %llu resets, %llu "
				"unreadable\n",
				(unsigned long long)c->seq_received,
				(unsigned long long)c->seq_gaps, (unsigned long long)c->seq_missing,
				(unsigned long long)c->seq_duplicates,
				(unsigned long long)c->seq_out_of_order,
				(unsigned long long)c->seq_resets,
				(unsigned long long)c->seq_unreadable);
		if (c->sc && c->sc->sequence.count.size)
			fprintf(out,
				"    sequence              (messages) in %llu packets, %llu "
				"heartbeats, %llu ends of session, %u sequence streams\n",
				(unsigned long long)c->seq_packets,
				(unsigned long long)c->seq_heartbeats,
				(unsigned long long)c->seq_ends, streams_of(a, c));
		if (c->tcp_segments) {
			fprintf(out,
				"    tcp                   %llu segments, %llu retransmissions "
				"(%llu "
				"fast, %llu spurious), %llu out of order, %llu zero windows, %llu "
				"keep-alives\n",
				(unsigned long long)c->tcp_segments,
				(unsigned long long)c->tcp_retransmissions,
				(unsigned long long)c->tcp_fast_retransmissions,
				(unsigned long long)c->tcp_spurious_retransmissions,
				(unsigned long long)c->tcp_out_of_order,
				(unsigned long long)c->tcp_zero_windows,
				(unsigned long long)c->tcp_keepalives);
			if (c->tcp_untimed)
				fprintf(out,
					"    tcp                   %llu segments beyond 65536 in "
					"flight "
					"went untimed\n",
					(unsigned long long)c->tcp_untimed);
			dist_line(out, "rtt", &c->rtt_ns);
			dist_line(out, "request->response", &c->response_ns);
		}
	}
	top_flows(a, out);
	for (int i = 0; i < a->n_feeds; i++) {
		const struct ab_feed *f = &a->feeds[i];

		fprintf(out,
			"\nfeed %s: A first %llu, B first %llu, only on A %llu, only on B %llu\n",
			f->name, (unsigned long long)f->first[0], (unsigned long long)f->first[1],
			(unsigned long long)f->only[0], (unsigned long long)f->only[1]);
		dist_line(out, "A ahead by", &f->margin_ns[0]);
		dist_line(out, "B ahead by", &f->margin_ns[1]);
	}
	for (int i = 0; i < a->o.n_triggers; i++) {
		const struct trigger_stats *t = &a->triggers[i];

		fprintf(out,
			"\n%s -> %s: %llu responses, %llu without a trigger within the window\n",
			a->cls[a->o.triggers[i].trigger].name,
			a->cls[a->o.triggers[i].response].name, (unsigned long long)t->responses,
			(unsigned long long)t->without_trigger);
		dist_line(out, "trigger->response", &t->latency_ns);
	}
}

/* ---- metrics ------------------------------------------------------------ */

/* Exact: a log-linear bucket never straddles a power of two. */
struct metric_hist pcap_fold(const struct llhist *h, struct jd_hist_ns *pow2)
{
	memset(pow2, 0, sizeof(*pow2));
	for (unsigned i = 0; h->b && i < LLH_BUCKETS; i++) {
		uint64_t up = llh_upper(i);
		unsigned k = up <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(up - 1); /* ceil log2 */

		k = k < JD_HIST_NS_FIRST_LOG2 ? 0 : k - JD_HIST_NS_FIRST_LOG2;
		if (k >= JD_HIST_NS_SLOTS)
			k = JD_HIST_NS_SLOTS - 1;
		pow2->slots[k] += h->b[i];
	}
	pow2->sum = h->sum;
	return hist_ns_metric(pow2);
}

static void hist_sample(struct metric_family *f, const struct llhist *h, const char *l1,
			const char *v1, const char *l2, const char *v2)
{
	struct jd_hist_ns pow2;
	struct metric_hist mh;

	if (!h->count)
		return;
	mh = pcap_fold(h, &pow2);
	metric_hist(f, &mh, l1, v1, l2, v2, LABELS_END);
}

int pcap_report_openmetrics(const struct pcap_analysis *a, struct buf *out)
{
	struct metrics *m = metrics_new();
	struct metric_family *frames, *packets, *bytes, *peak, *bursts, *iat, *gaps, *missing,
		*dups, *ooo, *rtt, *resp, *retr, *tooo, *zw, *first, *margin, *only, *trig, *tapdup;
	int ret;

	if (!m)
		return -ENOMEM;
	frames = metrics_family(m, "jitterd_pcap_frames_total",
				"Frames read, by what decoding made of them.", METRIC_COUNTER,
				METRIC_UNIT_NONE);
	packets = metrics_family(m, "jitterd_pcap_packets_total", "Packets of the class.",
				 METRIC_COUNTER, METRIC_UNIT_NONE);
	bytes = metrics_family(m, "jitterd_pcap_bytes_total", "Frame bytes of the class.",
			       METRIC_COUNTER, METRIC_UNIT_NONE);
	tapdup = metrics_family(m, "jitterd_pcap_tap_duplicates_total",
				"Copies of a frame a tap or SPAN port made, left out of the rest.",
				METRIC_COUNTER, METRIC_UNIT_NONE);
	peak = metrics_family(m, "jitterd_pcap_peak_bits_per_second",
			      "The highest rate of one throughput window.", METRIC_GAUGE,
			      METRIC_UNIT_NONE);
	bursts = metrics_family(m, "jitterd_pcap_microbursts_total",
				"Runs of windows above the microburst threshold.", METRIC_COUNTER,
				METRIC_UNIT_NONE);
	iat = metrics_family(m, "jitterd_pcap_inter_arrival_seconds",
			     "Time between consecutive packets of the class.", METRIC_HISTOGRAM,
			     METRIC_UNIT_SECONDS);
	gaps = metrics_family(m, "jitterd_pcap_sequence_gaps_total",
			      "Jumps forward in the sequence numbers.", METRIC_COUNTER,
			      METRIC_UNIT_NONE);
	missing = metrics_family(m, "jitterd_pcap_sequence_missing_total",
				 "Sequence numbers never seen.", METRIC_COUNTER, METRIC_UNIT_NONE);
	dups = metrics_family(m, "jitterd_pcap_sequence_duplicates_total",
			      "Sequence numbers seen again.", METRIC_COUNTER, METRIC_UNIT_NONE);
	ooo = metrics_family(m, "jitterd_pcap_sequence_out_of_order_total",
			     "Sequence numbers that came after a higher one.", METRIC_COUNTER,
			     METRIC_UNIT_NONE);
	rtt = metrics_family(m, "jitterd_pcap_tcp_rtt_seconds",
			     "Data segment to the ACK ending at it (not retransmitted ones).",
			     METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	resp = metrics_family(m, "jitterd_pcap_tcp_response_seconds",
			      "Client payload to the first server payload after it.",
			      METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);
	retr = metrics_family(m, "jitterd_pcap_tcp_retransmissions_total",
			      "Segments that resent data.", METRIC_COUNTER, METRIC_UNIT_NONE);
	tooo = metrics_family(m, "jitterd_pcap_tcp_out_of_order_total",
			      "Segments that came after later data, within the connection's RTT.",
			      METRIC_COUNTER, METRIC_UNIT_NONE);
	zw = metrics_family(m, "jitterd_pcap_tcp_zero_windows_total",
			    "Segments that advertised a zero window.", METRIC_COUNTER,
			    METRIC_UNIT_NONE);
	first = metrics_family(m, "jitterd_pcap_feed_first_total",
			       "Sequence numbers this leg of the feed had first.", METRIC_COUNTER,
			       METRIC_UNIT_NONE);
	margin = metrics_family(m, "jitterd_pcap_feed_lead_seconds",
				"By how much this leg was first.", METRIC_HISTOGRAM,
				METRIC_UNIT_SECONDS);
	only = metrics_family(m, "jitterd_pcap_feed_one_leg_total",
			      "Sequence numbers that only this leg had.", METRIC_COUNTER,
			      METRIC_UNIT_NONE);
	trig = metrics_family(m, "jitterd_pcap_trigger_response_seconds",
			      "A response-class packet since the latest trigger-class packet.",
			      METRIC_HISTOGRAM, METRIC_UNIT_SECONDS);

	for (int v = 0; v < PV_N; v++)
		metric_u64(frames, a->verdicts[v], "verdict", pcap_verdict_names[v], LABELS_END);
	for (int i = 0; i < a->n_cls; i++) {
		const struct class_stats *c = &a->cls[i];
		const char *n = c->name;

		if (!c->packets && i == a->n_cls - 1)
			continue;
		metric_u64(packets, c->packets, "class", n, LABELS_END);
		metric_u64(bytes, c->bytes, "class", n, LABELS_END);
		metric_u64(tapdup, c->tap_duplicates, "class", n, LABELS_END);
		metric_u64(peak, c->win_bps.max, "class", n, LABELS_END);
		metric_u64(bursts, c->n_bursts, "class", n, LABELS_END);
		hist_sample(iat, &c->gap_ns, "class", n, LABELS_END, NULL);
		if (c->sc && c->sc->sequence.size) {
			metric_u64(gaps, c->seq_gaps, "class", n, LABELS_END);
			metric_u64(missing, c->seq_missing, "class", n, LABELS_END);
			metric_u64(dups, c->seq_duplicates, "class", n, LABELS_END);
			metric_u64(ooo, c->seq_out_of_order, "class", n, LABELS_END);
		}
		if (c->tcp_segments) {
			hist_sample(rtt, &c->rtt_ns, "class", n, LABELS_END, NULL);
			hist_sample(resp, &c->response_ns, "class", n, LABELS_END, NULL);
			metric_u64(retr, c->tcp_retransmissions, "class", n, LABELS_END);
			metric_u64(tooo, c->tcp_out_of_order, "class", n, LABELS_END);
			metric_u64(zw, c->tcp_zero_windows, "class", n, LABELS_END);
		}
	}
	for (int i = 0; i < a->n_feeds; i++) {
		const struct ab_feed *f = &a->feeds[i];
		static const char *const leg[2] = { "a", "b" };

		for (int l = 0; l < 2; l++) {
			metric_u64(first, f->first[l], "feed", f->name, "leg", leg[l], LABELS_END);
			metric_u64(only, f->only[l], "feed", f->name, "leg", leg[l], LABELS_END);
			hist_sample(margin, &f->margin_ns[l], "feed", f->name, "leg", leg[l]);
		}
	}
	for (int i = 0; i < a->o.n_triggers; i++)
		hist_sample(trig, &a->triggers[i].latency_ns, "trigger",
			    a->cls[a->o.triggers[i].trigger].name, "response",
			    a->cls[a->o.triggers[i].response].name);
	ret = metrics_encode_as(m, out, METRICS_OPENMETRICS); /* ends with # EOF */
	metrics_free(m);
	return ret ? ret : out->oom ? -ENOMEM : 0;
}
