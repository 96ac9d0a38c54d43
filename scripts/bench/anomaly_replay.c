// SPDX-License-Identifier: MIT
/*
 * Replays recorded signal values (anomaly.record: unix time, session,
 * signal, subject, value per line) through the detector's own baselines,
 * with the config's parameters and, with --method, another method:
 *
 *   anomaly-replay [--config FILE] [--method mad|ewma] RECORD.tsv
 *
 * Prints one line per anomaly raised or cleared: time, "raised" or
 * "cleared", signal, subject, score. The same recording through each method
 * is how scripts/bench/anomaly.sh compares them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "anomaly/baseline.h"
#include "core/config.h"

#define MAX_SERIES 4096

struct series {
	char key[192]; /* signal \t subject */
	struct detector_params p;
	struct detector d;
	struct baseline base[JD_MAX_SESSIONS + 1];
};

static struct series series[MAX_SERIES];
static unsigned n_series;

static unsigned session_index(const struct jd_config *cfg, const char *name)
{
	for (int s = 0; s < cfg->anomaly.n_sessions; s++)
		if (!strcmp(cfg->anomaly.sessions[s].name, name))
			return (unsigned)s + 1;
	return 0;
}

static struct series *find(const struct jd_config *cfg, const char *signal, const char *subject)
{
	char key[192];

	snprintf(key, sizeof(key), "%s\t%s", signal, subject);
	for (unsigned i = 0; i < n_series; i++)
		if (!strcmp(series[i].key, key))
			return &series[i];
	if (n_series == MAX_SERIES)
		return NULL;
	struct series *s = &series[n_series];

	if (anomaly_params(&cfg->anomaly, signal, &s->p))
		return NULL;
	snprintf(s->key, sizeof(s->key), "%s", key);
	n_series++;
	return s;
}

int main(int argc, char **argv)
{
	static struct jd_config cfg;
	const char *config = NULL, *method = NULL, *path = NULL;
	char line[512];
	float *scratch;
	FILE *in;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--method") && i + 1 < argc)
			method = argv[++i];
		else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: anomaly-replay [--config FILE] [--method mad|ewma] FILE\n");
		return 2;
	}
	config_defaults(&cfg);
	if (config && config_load_file(&cfg, config, 0, stderr))
		return 2;
	if (method && strcmp(method, "mad") && strcmp(method, "ewma")) {
		fprintf(stderr, "anomaly-replay: --method mad or ewma\n");
		return 2;
	}
	if (method)
		cfg.anomaly.method = strcmp(method, "mad") ? JD_AN_METHOD_EWMA : JD_AN_METHOD_MAD;
	in = fopen(path, "r");
	scratch = calloc(cfg.anomaly.window, sizeof(*scratch));
	if (!in || !scratch) {
		fprintf(stderr, "anomaly-replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (unsigned lineno = 1; fgets(line, sizeof(line), in); lineno++) {
		char session[64], signal[64], subject[128];
		long long t;
		double v;
		struct series *s;
		struct baseline *b;
		enum detector_change c;

		if (sscanf(line, "%lld\t%63[^\t]\t%63[^\t]\t%127[^\t]\t%lf", &t, session, signal,
			   subject, &v) != 5) {
			fprintf(stderr, "%s:%u: not a recorded value\n", path, lineno);
			return 2;
		}
		s = find(&cfg, signal, subject);
		if (!s)
			continue;
		b = &s->base[session_index(&cfg, session)];
		if (!b->ring && baseline_init(b, cfg.anomaly.window))
			return 1;
		c = detector_step(&s->d, b, &s->p, v, scratch);
		if (c != DETECTOR_SAME)
			printf("%lld\t%s\t%s\t%s\t%.1f\n", t,
			       c == DETECTOR_RAISED ? "raised" : "cleared", signal, subject,
			       s->d.score);
	}
	fclose(in);
	free(scratch);
	return 0;
}
