// SPDX-License-Identifier: MIT
/*
 * `jitterd pcap merge A.json B.json ...`: the --json reports of captures
 * read one by one (a day of files on many machines) made one report.
 *
 * The reports are taken in time order (by first_ns). Counters add up;
 * first times take the least, last times and maxima the most; every
 * distribution merges bucket by bucket (its histogram holds every
 * log-linear bucket, and its sum), so its percentiles are those of the
 * whole; lists are put end to end (the first PCAP_LIST_MAX kept);
 * classes, feeds, streams and flows are matched by name. The
 * inter-arrival gap across each cut (a class's first packet of one file
 * after its last of the one before) is added, so inter-arrival merges
 * exactly too. What a cut splits cannot be put back from reports and is
 * listed in the result (merge.inexact): a flow or a sequence stream on
 * both sides counts in both (flows, streams), a gap or a burst at the
 * cut is not seen, an RTT sample whose data and ACK are on either side is
 * lost, the throughput window at the cut is two partial windows, and the
 * timeline is left out.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "pcap/capture.h"
#include "pcap/merge.h"

static uint64_t u64(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static bool is_dist(const json_t *o)
{
	return json_is_object(o) && json_is_array(json_object_get(o, "histogram")) &&
	       json_object_get(o, "count");
}

/* A distribution back into a histogram. */
static void dist_into(struct llhist *h, const json_t *d)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(d, "histogram"), i, x)
	{
		uint64_t le = (uint64_t)json_integer_value(json_array_get(x, 0)),
			 n = (uint64_t)json_integer_value(json_array_get(x, 1));

		if (!n)
			continue;
		if (!h->b && !(h->b = calloc(LLH_BUCKETS, sizeof(*h->b))))
			return;
		h->b[llh_index(le)] += n;
	}
	if (!u64(d, "count"))
		return;
	if (!h->count || u64(d, "min") < h->min)
		h->min = u64(d, "min");
	if (u64(d, "max") > h->max)
		h->max = u64(d, "max");
	h->count += u64(d, "count");
	h->sum += json_object_get(d, "sum") ? u64(d, "sum") : u64(d, "mean") * u64(d, "count");
}

static json_t *dist_merge(const json_t *a, const json_t *b, uint64_t extra_gap, bool have_gap)
{
	struct llhist h = {};
	json_t *o;

	dist_into(&h, a);
	dist_into(&h, b);
	if (have_gap)
		llh_add(&h, extra_gap);
	o = pcap_dist_json(&h);
	llh_free(&h);
	return o;
}

#define LIST_KEYS "gap_list", "list", "one_leg_list", "outlier_list", "damage", "files", "lost_list"

static bool is_list_key(const char *k)
{
	static const char *const lists[] = { LIST_KEYS };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (!strcmp(k, lists[i]))
			return true;
	return false;
}

/* The key that names an item of array k, or NULL (concatenated). */
static const char *identity(const char *k)
{
	if (!strcmp(k, "classes") || !strcmp(k, "feeds"))
		return "name";
	return NULL;
}

static json_t *merge_value(const char *k, const json_t *a, const json_t *b);

static json_t *find_named(const json_t *arr, const char *key, const json_t *item)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *x = json_array_get(arr, i);

		if (json_equal(json_object_get(x, key), json_object_get(item, key)))
			return x;
	}
	return NULL;
}

/* Flows, streams and trigger pairs: by their endpoints. */
static bool same_flow(const json_t *x, const json_t *y)
{
	static const char *const keys[] = { "protocol", "a",	   "b",	      "destination",
					    "session",	"trigger", "response" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_equal(json_object_get(x, keys[i]), json_object_get(y, keys[i])) &&
		    (json_object_get(x, keys[i]) || json_object_get(y, keys[i])))
			return false;
	return true;
}

/* The item of arr that is x's, by id (a key) or by endpoints. */
static json_t *twin_in(const json_t *arr, const char *id, const json_t *x)
{
	if (id)
		return find_named(arr, id, x);
	for (size_t j = 0; j < json_array_size(arr); j++)
		if (same_flow(x, json_array_get(arr, j)))
			return json_array_get(arr, j);
	return NULL;
}

static json_t *merge_array(const char *k, const json_t *a, const json_t *b)
{
	const char *id = identity(k);
	json_t *out = json_array();
	bool flows = !strcmp(k, "streams") || !strcmp(k, "top_unclassified_flows") ||
		     !strcmp(k, "all_flows") || !strcmp(k, "trigger_response");
	bool whole = !strcmp(k, "files") || !strcmp(k, "damage");

	if (is_list_key(k) || (!id && !flows)) { /* end to end */
		for (size_t i = 0; i < json_array_size(a); i++)
			json_array_append(out, json_array_get(a, i));
		for (size_t i = 0; i < json_array_size(b); i++)
			if (whole || json_array_size(out) < PCAP_LIST_MAX)
				json_array_append(out, json_array_get(b, i));
		return out;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *x = json_array_get(a, i), *y = twin_in(b, id, x);

		json_array_append_new(out, y ? merge_value(k, x, y) : json_deep_copy(x));
	}
	for (size_t i = 0; i < json_array_size(b); i++) {
		json_t *x = json_array_get(b, i);

		if (!twin_in(a, id, x))
			json_array_append(out, x);
	}
	return out;
}

static bool is_least(const char *k)
{
	return !strcmp(k, "first_ns") || !strcmp(k, "min");
}

static bool is_most(const char *k)
{
	return !strcmp(k, "last_ns") || !strcmp(k, "max") || !strcmp(k, "highest") ||
	       !strcmp(k, "largest_backward_step_ns");
}

/* Values every report must share: kept from the first. */
static bool is_setting(const char *k)
{
	return !strcmp(k, "version") || !strcmp(k, "kind") || !strcmp(k, "interval_ns") ||
	       !strcmp(k, "dup_window_ns") || !strcmp(k, "percentile_relative_error") ||
	       !strcmp(k, "window_ns") || !strcmp(k, "name") || !strcmp(k, "protocol") ||
	       !strcmp(k, "enabled") || !strcmp(k, "a") || !strcmp(k, "b") ||
	       !strcmp(k, "trigger") || !strcmp(k, "response");
}

static json_t *merge_object(const json_t *a, const json_t *b)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)a, k, v)
	{
		json_t *w = json_object_get(b, k);

		if (!strcmp(k, "timeline"))
			continue; /* widths that differ: not merged */
		if (!w) {
			json_object_set(out, k, v);
			continue;
		}
		if (!strcmp(k, "inter_arrival_ns")) {
			/* the gap across the cut: the later file's first packet of the class
			 * after the earlier's last (a, b are in time order) */
			uint64_t last = u64(a, "last_ns"), first = u64(b, "first_ns");
			bool both = u64(a, "packets") && u64(b, "packets") && first >= last;

			json_object_set_new(out, k, dist_merge(v, w, first - last, both));
			continue;
		}
		json_object_set_new(out, k, merge_value(k, v, w));
	}
	json_object_foreach((json_t *)b, k, v)
	{
		if (!json_object_get(a, k) && strcmp(k, "timeline"))
			json_object_set(out, k, v);
	}
	return out;
}

static json_t *merge_value(const char *k, const json_t *a, const json_t *b)
{
	if (is_dist(a) && is_dist(b))
		return dist_merge(a, b, 0, false);
	if (json_is_object(a) && json_is_object(b))
		return merge_object(a, b);
	if (json_is_array(a) && json_is_array(b))
		return merge_array(k, a, b);
	if (json_is_integer(a) && json_is_integer(b) && !is_setting(k)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		if (is_least(k))
			return json_integer(x < y ? x : y);
		if (is_most(k))
			return json_integer(x > y ? x : y);
		return json_integer(x + y);
	}
	return json_deep_copy(a);
}

static uint64_t flow_bytes(const json_t *f)
{
	return u64(f, "bytes_a_to_b") + u64(f, "bytes_b_to_a");
}

static int by_bytes(const void *x, const void *y)
{
	uint64_t a = flow_bytes(*(json_t *const *)x), b = flow_bytes(*(json_t *const *)y);

	return a > b ? -1 : a < b;
}

/* The top unclassified flows of the merged lists, as many as the longest
 * list of a report (each report's top: a flow below every report's top
 * but above the merged top's last is not seen). */
static void top_flows(json_t *m, json_t **r, int n)
{
	json_t *arr = json_object_get(m, "top_unclassified_flows"), *out, **v;
	size_t keep = 0, len = json_array_size(arr);

	for (int i = 0; i < n; i++) {
		size_t l = json_array_size(json_object_get(r[i], "top_unclassified_flows"));

		keep = l > keep ? l : keep;
	}
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < len; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, len, sizeof(*v), by_bytes);
	out = json_array();
	for (size_t i = 0; i < len && i < keep; i++)
		json_array_append(out, v[i]);
	free(v);
	json_object_set_new(m, "top_unclassified_flows", out);
}

static int by_first(const void *x, const void *y)
{
	uint64_t a = u64(*(json_t *const *)x, "first_ns"), b = u64(*(json_t *const *)y, "first_ns");

	return a < b ? -1 : a > b;
}

int pcap_merge_main(int n, char **paths)
{
	json_t **r = calloc((size_t)n, sizeof(*r)), *m = NULL, *inexact;
	int status = 2;

	if (!r)
		return 1;
	for (int i = 0; i < n; i++) {
		json_error_t e;

		r[i] = json_load_file(paths[i], 0, &e);
		if (!r[i] || !json_is_object(r[i])) {
			fprintf(stderr, "jitterd pcap merge: %s: line %d: %s\n", paths[i], e.line,
				r[i] ? "not a report" : e.text);
			goto out;
		}
		if (strcmp(json_string_value(json_object_get(r[i], "kind")) ?: "", "capture")) {
			fprintf(stderr,
				"jitterd pcap merge: %s: not the report of `jitterd pcap --json` "
				"on captures\n",
				paths[i]);
			goto out;
		}
		if (i && !json_equal(json_object_get(r[i], "interval_ns"),
				     json_object_get(r[0], "interval_ns"))) {
			fprintf(stderr, "jitterd pcap merge: %s: another --interval than %s\n",
				paths[i], paths[0]);
			goto out;
		}
	}
	qsort(r, (size_t)n, sizeof(*r), by_first);
	m = json_deep_copy(r[0]);
	json_object_del(m, "timeline");
	for (int i = 1; i < n; i++) {
		json_t *next = merge_value("", m, r[i]);

		json_decref(m);
		m = next;
	}
	top_flows(m, r, n);
	/* classes' timelines are gone: say so, and what a cut splits */
	inexact = json_pack(
		"[sssssss]", "flows and sequence streams on both sides of a cut count in each",
		"a sequence gap, microburst or TCP state at a cut is not seen",
		"an RTT or request->response sample across a cut is lost",
		"the throughput window at a cut counts as two partial windows",
		"A/B: a number one leg had before a cut and the other after is one-leg twice",
		"top_unclassified_flows: the top of each report's top", "timeline: left out");
	json_object_set_new(m, "merge",
			    json_pack("{sIso}", "reports", (json_int_t)n, "inexact", inexact));
	{
		struct buf out = {};

		json_append(&out, m);
		buf_putc(&out, '\n');
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
	}
	status = 0;
out:
	for (int i = 0; i < n; i++)
		json_decref(r[i]);
	json_decref(m);
	free(r);
	return status;
}
