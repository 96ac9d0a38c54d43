// SPDX-License-Identifier: MIT
#include "core/pages.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "anomaly/anomaly.h"
#include "probes/collector.h"
#include "doctor/doctor.h"
#include "probes/events.h"
#include "core/reload.h"
#include "core/self.h"
#include "http/view.h"

static struct metrics *registry; /* reused scrape after scrape */

static enum metrics_format metrics_format; /* chosen by negotiate_metrics for this request */

static const char *negotiate_metrics(void *ctx, const char *accept)
{
	(void)ctx;
	return metrics_negotiate(accept, &metrics_format);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int render_metrics(void *ctx, struct buf *out)
{
	uint64_t start = now_ns();

	(void)ctx;
	if (!registry && !(registry = metrics_new()))
		return -1;
	metrics_clear(registry);
	collectors_collect(registry);
	events_collect(registry);
	anomaly_collect(registry);
	self_collect(registry);
	reload_collect(registry);
	doctor_drift_collect(registry);
	http_collect(registry);
	metric_u64(metrics_family(registry, "jitterd_scrape_duration_seconds",
				  "Time this scrape took to read the kernel's maps and describe "
				  "the metrics (before encoding).",
				  METRIC_GAUGE, METRIC_UNIT_SECONDS),
		   now_ns() - start, LABELS_END);
	return metrics_encode_as(registry, out, metrics_format) ? -1 : 0;
}

/* /events?kind=...&since=...: a 400 says what is wrong with the query. */
static int query_events(void *ctx, struct http_request *req, struct buf *out)
{
	struct event_query_arg args[HTTP_MAX_ARGS];
	struct event_query q;
	struct events_follower *f;
	char why[600];
	int err;

	(void)ctx;
	for (unsigned i = 0; i < req->n_args && i < HTTP_MAX_ARGS; i++)
		args[i] = (struct event_query_arg){ req->args[i].key, req->args[i].value };
	if (event_query_parse(&q, args, req->n_args, why, sizeof(why))) {
		buf_puts(out, why);
		return 400;
	}
	if (q.follow) {
		bool sse = req->accept && strstr(req->accept, "text/event-stream");

		f = events_follow(&q, sse, why, sizeof(why));
		if (!f) {
			buf_puts(out, why);
			return 400;
		}
		req->stream = f;
		if (sse)
			req->content_type = "text/event-stream; charset=utf-8";
		return 200;
	}
	err = events_query(&q, out, why, sizeof(why));
	if (err == -EINVAL) {
		buf_reset(out);
		buf_puts(out, why);
		return 400;
	}
	return err ? -1 : 200;
}

static long follow_read(void *stream, char *buf, size_t max)
{
	return events_follow_read(stream, buf, max);
}

static bool follow_cut(void *stream)
{
	return events_follow_cut(stream);
}

static void follow_free(void *stream)
{
	events_follow_free(stream);
}

static int render_landing(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, "<!DOCTYPE html>\n<html><head><title>jitterd</title></head><body>\n"
		      "<h1>jitterd " JD_VERSION "</h1>\n"
		      "<p>Scheduler, softirq and socket latency telemetry from eBPF.</p>\n"
		      "<ul>\n<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
		      "<li><a href=\"/events\">/events</a>: recent notable events, "
		      "JSON lines, newest last (?kind=, since=, limit=, cpu=, workload=, "
		      "socket=, follow=1: docs/events.md)</li>\n"
		      "<li><a href=\"/view\">/view</a>: live view (run-queue latency, "
		      "softirqs, sockets; metrics every 2 s, events followed)</li>\n"
		      "<li><a href=\"/healthz\">/healthz</a>: liveness</li>\n</ul>\n"
		      "</body></html>\n");
	return 0;
}

static int render_healthz(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, "ok\n");
	return 0;
}

const struct http_route pages[] = {
	{ .path = "/metrics",
	  .content_type = "text/plain; version=0.0.4; charset=utf-8",
	  .render = render_metrics,
	  .negotiate = negotiate_metrics },
	{ .path = "/", .content_type = "text/html; charset=utf-8", .render = render_landing },
	{ .path = "/healthz",
	  .content_type = "text/plain; charset=utf-8",
	  .render = render_healthz },
	{ .path = "/view", .content_type = "text/html; charset=utf-8", .render = view_render },
	{ .path = "/events",
	  .content_type = "application/x-ndjson; charset=utf-8",
	  .query = query_events,
	  .stream_read = follow_read,
	  .stream_cut = follow_cut,
	  .stream_free = follow_free },
};
const unsigned n_pages = sizeof(pages) / sizeof(pages[0]);

void pages_finish(void)
{
	metrics_free(registry);
	registry = NULL;
}
