// SPDX-License-Identifier: MIT
#include "anomaly/baseline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define MAD_TO_SIGMA 1.4826

int baseline_init(struct baseline *b, uint32_t window)
{
	memset(b, 0, sizeof(*b));
	b->ring = calloc(window, sizeof(*b->ring));
	b->window = window;
	return b->ring ? 0 : -ENOMEM;
}

void baseline_free(struct baseline *b)
{
	free(b->ring);
	b->ring = NULL;
}

/* The k-th smallest of v[0..n-1] (Wirth's selection; v is reordered). */
static float select_kth(float *v, int n, int k)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		float pivot = v[k];
		int i = lo, j = hi;

		do {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i <= j) {
				float t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		} while (i <= j);
		if (j < k)
			lo = i;
		if (k < i)
			hi = j;
	}
	return v[k];
}

static double median(float *v, uint32_t n)
{
	double hi = select_kth(v, (int)n, (int)n / 2);

	/* select_kth left everything below the middle before it: the largest of those. */
	if (n % 2 == 0) {
		float lo = v[0];

		for (uint32_t i = 1; i < n / 2; i++)
			if (v[i] > lo)
				lo = v[i];
		return (hi + lo) / 2;
	}
	return hi;
}

/* center and spread (one deviation) of what b has learnt. */
static void baseline_center(const struct baseline *b, int method, float *scratch, double *center,
			    double *spread)
{
	if (method == JD_AN_METHOD_EWMA) {
		*center = b->mean;
		*spread = sqrt(b->var);
		return;
	}
	memcpy(scratch, b->ring, b->n * sizeof(*scratch));
	*center = median(scratch, b->n);
	for (uint32_t i = 0; i < b->n; i++)
		scratch[i] = (float)fabs(b->ring[i] - *center);
	*spread = MAD_TO_SIGMA * median(scratch, b->n);
}

static void baseline_learn(struct baseline *b, uint32_t window, double x)
{
	double alpha = 2.0 / (window + 1), diff = x - b->mean;

	b->ring[b->next] = (float)x;
	b->next = (b->next + 1) % b->window;
	if (b->n < b->window)
		b->n++;
	if (!b->seen) {
		b->mean = x;
	} else {
		b->mean += alpha * diff;
		b->var = (1 - alpha) * (b->var + alpha * diff * diff);
	}
	b->seen++;
}

enum detector_change detector_idle(struct detector *d, const struct detector_params *p)
{
	d->over = 0;
	if (d->active && ++d->under >= p->clear_after) {
		d->active = false;
		d->under = 0;
		return DETECTOR_CLEARED;
	}
	return DETECTOR_SAME;
}

enum detector_change detector_step(struct detector *d, struct baseline *b,
				   const struct detector_params *p, double x, float *scratch)
{
	double spread;

	if (b->seen < p->warmup) {
		baseline_learn(b, p->window, x);
		d->score = 0;
		d->center = x;
		return detector_idle(d, p);
	}
	baseline_center(b, p->method, scratch, &d->center, &spread);
	if (spread < p->floor / p->sensitivity)
		spread = p->floor / p->sensitivity;
	d->score = (x - d->center) / spread;
	if (d->score < p->sensitivity) {
		baseline_learn(b, p->window, x);
		return detector_idle(d, p);
	}
	/* Anomalous values are not learnt: a long fault must not become the norm. */
	d->under = 0;
	if (!d->active && ++d->over >= p->raise_after) {
		d->active = true;
		return DETECTOR_RAISED;
	}
	return DETECTOR_SAME;
}
