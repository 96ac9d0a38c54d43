// SPDX-License-Identifier: MIT
#include "pages.h"

#include <time.h>

#include "anomaly.h"
#include "collector.h"
#include "events.h"
#include "self.h"

static struct metrics *registry; /* reused scrape after scrape */

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
	metric_u64(metrics_family(registry, "jitterd_scrape_duration_seconds",
				  "Time this scrape took to read the kernel's maps and describe "
				  "the metrics (before encoding).",
				  METRIC_GAUGE, METRIC_UNIT_SECONDS),
		   now_ns() - start, LABELS_END);
	return metrics_encode(registry, out) ? -1 : 0;
}

static int render_landing(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, "<!DOCTYPE html>\n<html><head><title>jitterd</title></head><body>\n"
		      "<h1>jitterd " JD_VERSION "</h1>\n"
		      "<p>Scheduler, softirq and socket latency telemetry from eBPF.</p>\n"
		      "<ul>\n<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
		      "<li><a href=\"/events\">/events</a>: recent notable events, "
		      "JSON lines, newest last</li>\n"
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
	{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", render_metrics, NULL },
	{ "/", "text/html; charset=utf-8", render_landing, NULL },
	{ "/healthz", "text/plain; charset=utf-8", render_healthz, NULL },
	{ "/events", "application/x-ndjson; charset=utf-8", events_render, NULL },
};
const unsigned n_pages = sizeof(pages) / sizeof(pages[0]);

void pages_finish(void)
{
	metrics_free(registry);
	registry = NULL;
}
