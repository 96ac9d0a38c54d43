// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: jitterd doctor's reading of a daemon's /metrics and
 * /events (what --from fetches over the network). The input is split at
 * its first NUL byte: the exposition before, the event log after.
 *
 * Built and run by `make fuzz` (seeds in tests/fuzz/corpus/doctor_evidence/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 2), *events;
	struct doctor_finding *f = NULL;
	struct doctor_host h;
	unsigned n = 0, cap = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = text[size + 1] = '\0';
	events = text + strlen(text) + 1;
	doctor_host_init(&h, "/nonexistent", NULL, NULL);
	CPU_SET(1, &h.isolated);
	h.have_isolated = true;
	doctor_evidence_from(&h, text, events, &f, &n, &cap);
	free(f);
	free(text);
	return 0;
}
