// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a capture file, read by libpcap from memory and put through
 * jitterd pcap's decoding and every analysis (classes with sequence numbers,
 * an A/B feed, TCP, trigger->response), then the JSON and metrics reports.
 * Seeds: tests/fuzz/corpus/pcap/ (pcap and pcapng; Ethernet, VLAN, SLL,
 * SLL2, raw IPv6, fragments, snapped frames).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Idaemon \
 *     tests/fuzz/fuzz_pcap.c daemon/pcap/decode.c daemon/pcap/analysis.c \
 *     daemon/pcap/report.c daemon/lib/json.c daemon/lib/metrics.c \
 *     daemon/lib/buf.c daemon/lib/log.c -lpcap -ljansson -o fuzz_pcap
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/capture.h"
#include "pcap/input.h"
#include "pcap/libpcap.h"

static struct jd_socket_classes classes;

static void set_classes(void)
{
	struct jd_socket_class *c = classes.at;

	memset(&classes, 0, sizeof(classes));
	/* md-a / md-b: a feed on port 30001, legs by address; sequence at 0 */
	for (int i = 0; i < 2; i++) {
		snprintf(c[i].name, sizeof(c[i].name), "md-%c", 'a' + i);
		c[i].protocol = JD_PROTO_UDP;
		c[i].local_ports[0] = (struct jd_port_range){ 30001, 30001 };
		c[i].n_local_ports = 1;
		snprintf(c[i].local_address, sizeof(c[i].local_address), "239.1.1.%d", i + 1);
		c[i].sequence =
			(struct jd_sequence){ .offset = 0, .size = 8, .byte_order = JD_BIG_ENDIAN };
		snprintf(c[i].feed, sizeof(c[i].feed), "md");
		c[i].leg = i ? JD_LEG_B : JD_LEG_A;
	}
	snprintf(c[2].name, sizeof(c[2].name), "feed-le");
	c[2].protocol = JD_PROTO_UDP;
	c[2].local_ports[0] = (struct jd_port_range){ 1, 29999 };
	c[2].n_local_ports = 1;
	/* with a message count and a session: gaps in messages, streams per session */
	c[2].sequence = (struct jd_sequence){ .offset = 2,
					      .size = 4,
					      .byte_order = JD_LITTLE_ENDIAN,
					      .count = { .offset = 0, .size = 1 },
					      .session = { .offset = 6, .size = 2 } };
	snprintf(c[3].name, sizeof(c[3].name), "orders");
	c[3].protocol = JD_PROTO_TCP;
	c[3].remote_ports[0] = (struct jd_port_range){ 1, 65535 };
	c[3].n_remote_ports = 1;
	classes.n = 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_options o;
	struct pcap_analysis *a;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	struct buf out = {};
	FILE *f;
	pcap_t *p;

	if (!classes.n) {
		set_classes();
		if (pcap_lib_open())
			abort();
	}
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fclose(f);
		return 0;
	}
	pcap_options_defaults(&o);
	o.interval_ns = 1000;
	o.burst_packets = 1;
	o.max_flows = 64;
	o.all_flows = true;
	o.n_triggers = 1;
	o.triggers[0].trigger = 0;
	o.triggers[0].response = 3;
	a = pcap_analysis_new(&o, &classes);
	if (a) {
		int linktype = pcap_datalink(p);

		unsigned n = 0;

		while (pcap_next_ex(p, &h, &bytes) == 1) {
			uint64_t ts = pcap_record_ns(&h->ts), hw;

			/* the capture gear's times, each kind in turn */
			if (pcap_hw_timestamp((enum pcap_hwts)(1 + n++ % 3), linktype, bytes,
					      h->caplen, h->len, ts, &hw))
				ts = hw;
			pcap_analysis_frame(a, linktype, ts, bytes, h->caplen, h->len);
		}
		pcap_analysis_finish(a);
		json_decref(pcap_report_json(a));
		pcap_report_openmetrics(a, &out);
		buf_free(&out);
		pcap_analysis_free(a);
	}
	pcap_close(p); /* closes f */
	return 0;
}
