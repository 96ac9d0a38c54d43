/* SPDX-License-Identifier: MIT */
/*
 * Streaming baselines and the raise/clear rule of the anomaly detector, in
 * constant memory and time per signal. Kept apart from the daemon so that
 * recorded signal values can be replayed offline through the very same code
 * (scripts/bench/anomaly_replay.c).
 *
 * A baseline learns what a signal usually is; judging a new value gives a
 * score: how far above the usual it is, in robust deviations. Two methods:
 *
 *   mad   the median of the last `window` values and 1.4826 x their median
 *         absolute deviation (the standard deviation, were the values
 *         normal): a single spike moves neither.
 *   ewma  an exponentially weighted mean and deviation with the same span
 *         (alpha = 2 / (window + 1)).
 *
 * The deviation never counts as smaller than floor / sensitivity, so a score
 * reaches the sensitivity only when the value is at least `floor` over the
 * baseline: on a signal that has been flat, a nanosecond is never news.
 */
#ifndef JD_BASELINE_H
#define JD_BASELINE_H

#include <stdbool.h>
#include <stdint.h>

struct baseline {
	float *ring; /* the last window values (mad) */
	uint32_t window, n, next;
	uint64_t seen;	  /* values learnt, for the warm-up */
	double mean, var; /* ewma */
};

struct detector_params {
	int method; /* enum jd_anomaly_method */
	uint32_t window, warmup, raise_after, clear_after;
	double sensitivity, floor;
};

/* One signal of one subject: whether it is anomalous, and since when. */
struct detector {
	uint32_t over, under; /* anomalous / quiet intervals in a row */
	bool active;
	double center, score; /* of the last judged value */
};

enum detector_change { DETECTOR_SAME, DETECTOR_RAISED, DETECTOR_CLEARED };

int baseline_init(struct baseline *b, uint32_t window);
void baseline_free(struct baseline *b);

/*
 * One interval's value x, judged against b and then, unless it was
 * anomalous, learnt by b. While b has seen fewer than warmup values nothing
 * is judged. scratch holds p->window floats (the median's work space).
 */
enum detector_change detector_step(struct detector *d, struct baseline *b,
				   const struct detector_params *p, double x, float *scratch);
/* An interval without a value (too few samples to judge): only ends anomalies. */
enum detector_change detector_idle(struct detector *d, const struct detector_params *p);

#endif
