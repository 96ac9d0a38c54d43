// SPDX-License-Identifier: MIT
#include "pcap/input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "pcap/capture.h"
#include "pcap/libpcap.h"

uint64_t pcap_record_ns(const struct timeval *ts)
{
	uint64_t sec = ts->tv_sec < 0 ? (uint32_t)ts->tv_sec : (uint64_t)ts->tv_sec;

	return sec * NS_PER_S + (uint64_t)ts->tv_usec; /* tv_usec: ns, as opened */
}

/* libpcap's error, with where in the file reading stopped. */
int pcap_read_error(const char *path, long offset, const char *msg)
{
	fprintf(stderr, "jitterd pcap: %s: offset %ld: %s\n", path, offset, msg);
	return -EINVAL;
}

int pcap_open_file(const char *path, pcap_t **out)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	pcap_t *p;

	if (!f) {
		fprintf(stderr, "jitterd pcap: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	/* 1 MiB reads: the default 4 KiB made read(2) a third of the time */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) { /* the file's header, which starts at 0, is what was wrong */
		fclose(f);
		return pcap_read_error(path, 0, err);
	}
	if (!pcap_linktype_supported(pcap_datalink(p))) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		fprintf(stderr,
			"jitterd pcap: %s: link type %d (%s) is not one this tool decodes\n", path,
			pcap_datalink(p), name ? name : "unknown");
		pcap_close(p);
		return -EINVAL;
	}
	*out = p;
	return 0;
}
