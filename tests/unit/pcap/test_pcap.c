// SPDX-License-Identifier: MIT
/* jitterd pcap's pieces without files: the log-linear histogram, the frame
 * decoder's bounds, and how a packet finds its class. */
#include <check.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "pcap/capture.h"

/* ---- histogram ------------------------------------------------------------ */

START_TEST(a_value_lies_in_its_bucket_and_buckets_nest_in_powers_of_two)
{
	for (uint64_t v = 1; v < (1ull << 62); v = v * 3 / 2 + 1) {
		unsigned i = llh_index(v);
		uint64_t up = llh_upper(i), lo = i ? llh_upper(i - 1) : 0;

		ck_assert_uint_lt(lo, v);
		ck_assert_uint_le(v, up);
		/* (lo, up] never holds a power of two but at its top (the
		 * buckets below 64 hold one value each) */
		if (i >= LLH_LINEAR)
			ck_assert_uint_eq(64 - __builtin_clzll(lo), 64 - __builtin_clzll(up - 1));
	}
	ck_assert_uint_lt(llh_index(UINT64_MAX), LLH_BUCKETS);
}
END_TEST

START_TEST(percentiles_are_within_one_sixty_fourth)
{
	struct llhist h = {};

	for (uint64_t v = 1; v <= 100000; v++)
		llh_add(&h, v * 37);
	for (int k = 1; k < 1000; k++) {
		double q = k / 1000.0, want = q * 100000 * 37, got = (double)llh_quantile(&h, q);

		ck_assert_msg(got >= want * (1 - 1.0 / 64) - 37 &&
				      got <= want * (1 + 1.0 / 64) + 37,
			      "q %f: %f for %f", q, got, want);
	}
	ck_assert_uint_eq(llh_quantile(&h, 1), 100000 * 37);
	ck_assert_uint_eq(h.min, 37);
	llh_free(&h);
}
END_TEST

/* ---- decoding --------------------------------------------------------------- */

static unsigned udp_frame(uint8_t *f, int vlans, unsigned payload)
{
	unsigned o = 12;

	memset(f, 0, 256);
	for (int i = 0; i < vlans; i++) {
		f[o] = i ? 0x81 : (vlans > 1 ? 0x88 : 0x81);
		f[o + 1] = i ? 0x00 : (vlans > 1 ? 0xa8 : 0x00);
		f[o + 3] = (uint8_t)(10 + i);
		o += 4;
	}
	f[o] = 0x08, f[o + 1] = 0x00;
	o += 2;
	f[o] = 0x45;
	f[o + 3] = (uint8_t)(28 + payload);
	f[o + 9] = IPPROTO_UDP;
	f[o + 12] = 10, f[o + 15] = 1;					 /* 10.0.0.1 */
	f[o + 16] = 239, f[o + 17] = 1, f[o + 19] = 1;			 /* 239.1.0.1 */
	f[o + 20 + 1] = 100, f[o + 20 + 2] = 0x75, f[o + 20 + 3] = 0x31; /* 100 -> 30001 */
	f[o + 20 + 5] = (uint8_t)(8 + payload);
	return o + 28 + payload;
}

START_TEST(vlan_and_qinq_frames_decode_to_the_same_udp_packet)
{
	uint8_t f[256];
	struct pcap_pkt p;

	for (int vlans = 0; vlans <= 2; vlans++) {
		unsigned len = udp_frame(f, vlans, 16);

		ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_OK);
		ck_assert_uint_eq(p.n_vlans, vlans);
		ck_assert_uint_eq(p.sport, 100);
		ck_assert_uint_eq(p.dport, 30001);
		ck_assert_uint_eq(p.payload_len, 16);
		ck_assert_uint_eq(p.payload_caplen, 16);
		/* Ethernet padding after the IP packet is not payload */
		ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len + 20, len + 20, &p), PV_OK);
		ck_assert_uint_eq(p.payload_len, 16);
	}
}
END_TEST

START_TEST(every_cut_inside_the_headers_is_snapped_never_read)
{
	uint8_t f[256];
	unsigned len = udp_frame(f, 2, 16);
	struct pcap_pkt p;

	for (unsigned cut = 0; cut < len - 16; cut++)
		ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, cut, len, &p), PV_SNAPPED);
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len - 10, len, &p), PV_OK);
	ck_assert_uint_eq(p.payload_len, 16);
	ck_assert_uint_eq(p.payload_caplen, 6);
}
END_TEST

/* Ethernet, IPv4 (total length as given), TCP with 20 bytes of options
 * (data offset 10), seq 1000, ack 2000, and payload bytes. */
static unsigned tcp_frame(uint8_t *f, uint16_t total, unsigned payload)
{
	memset(f, 0, 256);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 2] = (uint8_t)(total >> 8), f[14 + 3] = (uint8_t)total;
	f[14 + 9] = IPPROTO_TCP;
	f[14 + 12] = 10, f[14 + 15] = 1;
	f[14 + 16] = 10, f[14 + 19] = 2;
	f[34 + 1] = 50, f[34 + 3] = 80;	      /* 50 -> 80 */
	f[34 + 6] = 0x03, f[34 + 7] = 0xe8;   /* seq 1000 */
	f[34 + 10] = 0x07, f[34 + 11] = 0xd0; /* ack 2000 */
	f[34 + 12] = 10 << 4;
	f[34 + 13] = PCAP_TCP_ACK;
	return 14 + 20 + 40 + payload;
}

START_TEST(a_snap_length_inside_tcp_options_keeps_ports_sequence_and_ack)
{
	uint8_t f[256];
	unsigned len = tcp_frame(f, 20 + 40 + 100, 100);
	struct pcap_pkt p;

	for (unsigned cut = 14 + 20 + 20; cut <= 14 + 20 + 40; cut++) {
		ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, cut, len, &p), PV_OK);
		ck_assert_uint_eq(p.dport, 80);
		ck_assert_uint_eq(p.seq, 1000);
		ck_assert_uint_eq(p.ack, 2000);
		ck_assert_uint_eq(p.payload_len, 100);
		ck_assert_uint_eq(p.payload_caplen, 0);
	}
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, 14 + 20 + 19, len, &p), PV_SNAPPED);
}
END_TEST

START_TEST(ipv4_total_length_zero_is_tso_and_takes_the_frames_length)
{
	uint8_t f[256];
	unsigned len = tcp_frame(f, 0, 100);
	struct pcap_pkt p;

	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_OK);
	ck_assert_uint_eq(p.ip_len, 160);
	ck_assert_uint_eq(p.payload_len, 100);
	ck_assert_uint_eq(p.payload_caplen, 100);
	/* cut by the snap length: the wire length still says how much */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, 14 + 60 + 10, len, &p), PV_OK);
	ck_assert_uint_eq(p.payload_len, 100);
	ck_assert_uint_eq(p.payload_caplen, 10);
}
END_TEST

START_TEST(fragments_and_lying_lengths_are_told_apart)
{
	uint8_t f[256];
	unsigned len = udp_frame(f, 0, 16);
	struct pcap_pkt p;

	f[14 + 6] = 0x20; /* more fragments */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_FRAGMENT);
	f[14 + 6] = 0, f[14 + 7] = 8; /* an offset */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_FRAGMENT);
	f[14 + 7] = 0;
	f[14 + 3] = 200; /* IP longer than the frame */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_MALFORMED);
	f[14 + 3] = 44;
	f[14 + 20 + 5] = 200; /* UDP longer than IP */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_MALFORMED);
	f[14 + 20 + 5] = 24;
	f[14] = 0x44; /* IHL 16 bytes */
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_MALFORMED);
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len - 1, &p), PV_MALFORMED);
	ck_assert_int_eq(pcap_decode(147, f, len, len, &p), PV_LINKTYPE);
}
END_TEST

START_TEST(cooked_v2_and_ipv6_extension_headers)
{
	uint8_t f[256] = { 0x86, 0xdd }; /* SLL2: protocol first, 20 bytes */
	uint8_t *ip = f + 20;
	struct pcap_pkt p;

	ip[0] = 0x60;
	ip[5] = 8 + 8 + 4; /* payload length: hop-by-hop, UDP, 4 bytes */
	ip[6] = 0;	   /* hop-by-hop */
	ip[8 + 15] = 1, ip[24 + 15] = 2;
	ip[40] = IPPROTO_UDP; /* next header; length 0 = 8 bytes */
	ip[48 + 1] = 7, ip[48 + 3] = 9, ip[48 + 5] = 12;
	ck_assert_int_eq(pcap_decode(DLT_LINUX_SLL2, f, 20 + 60, 20 + 60, &p), PV_OK);
	ck_assert_uint_eq(p.ip_version, 6);
	ck_assert_uint_eq(p.dport, 9);
	ck_assert_uint_eq(p.payload_len, 4);
	ip[40] = 44; /* a fragment header next */
	ck_assert_int_eq(pcap_decode(DLT_LINUX_SLL2, f, 20 + 60, 20 + 60, &p), PV_FRAGMENT);
}
END_TEST

/* ---- classes ----------------------------------------------------------------- */

START_TEST(the_first_class_matching_either_end_wins)
{
	struct jd_socket_classes cl = { .n = 3 };
	uint8_t f[256];
	unsigned len = udp_frame(f, 0, 16);
	struct pcap_pkt p;

	cl.at[0] = (struct jd_socket_class){ .name = "tcp",
					     .protocol = JD_PROTO_TCP,
					     .local_ports = { { 30001, 30001 } },
					     .n_local_ports = 1 };
	cl.at[1] = (struct jd_socket_class){ .name = "grp",
					     .protocol = JD_PROTO_UDP,
					     .local_ports = { { 30000, 30010 } },
					     .n_local_ports = 1,
					     .local_address = "239.1.0.2" };
	cl.at[2] = (struct jd_socket_class){ .name = "any",
					     .protocol = JD_PROTO_UDP,
					     .remote_ports = { { 30001, 30001 } },
					     .n_remote_ports = 1 };
	ck_assert_int_eq(pcap_decode(DLT_EN10MB, f, len, len, &p), PV_OK);
	/* not tcp; not the group; port 30001 is the remote end when 10.0.0.1:100 is local */
	ck_assert_int_eq(pcap_classify(&cl, &p), 2);
	strcpy(cl.at[1].local_address, "239.1.0.1");
	ck_assert_int_eq(pcap_classify(&cl, &p), 1);
	cl.at[1].local_ports[0] = (struct jd_port_range){ 1, 2 };
	cl.at[2].remote_ports[0] = (struct jd_port_range){ 1, 2 };
	ck_assert_int_eq(pcap_classify(&cl, &p), -1);
}
END_TEST

/* ---- the class rows only jitterd pcap reads ------------------------------------ */

static int parse(const char *classes, char *err, size_t size)
{
	static struct jd_config cfg;
	char text[1024];
	FILE *e = fmemopen(err, size, "w");
	int ret;

	snprintf(text, sizeof(text), "collectors:\n  sockets:\n    classes:\n%s", classes);
	memset(err, 0, size);
	ret = config_parse(&cfg, "t.yaml", text, strlen(text), 0, e);
	fclose(e);
	return ret;
}

START_TEST(sequence_feed_and_leg_rows_are_validated)
{
	char err[2048];

	ck_assert_int_eq(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 4, size: 8, byte_order: little }, feed: md, leg: a }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 4, size: 3 } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "t.yaml:4:") && strstr(err, "use 2, 4 or 8"), "%s", err);
	ck_assert_int_ne(parse("      - { name: a, protocol: tcp, local_ports: [\"1\"], sequence: "
			       "{ offset: 0, size: 4 } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "sequence is for udp classes"), "%s", err);
	ck_assert_int_ne(
		parse("      - { name: a, protocol: udp, local_ports: [\"1\"], feed: md }\n", err,
		      sizeof(err)),
		0);
	ck_assert_msg(strstr(err, "feed and leg go together"), "%s", err);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], feed: md, "
			       "leg: c }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ size: 4 } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "offset"), "%s", err);
}
END_TEST

START_TEST(sequence_format_count_and_session_rows_are_validated)
{
	static struct jd_config cfg;
	char err[2048], text[1024];
	FILE *e;

	ck_assert_int_eq(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 2, size: 4, count: { offset: 0, size: 1 }, session: { "
			       "offset: 6, size: 16 } } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ format: moldudp64, offset: 4 } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "format says where everything is: no offset"), "%s", err);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ format: sbe } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 0, size: 8, count: { offset: 8, size: 3 } } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "use 1, 2 or 4"), "%s", err);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 0, size: 8, session: { offset: 8, size: 17 } } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_int_ne(parse("      - { name: a, protocol: udp, local_ports: [\"1\"], sequence: "
			       "{ offset: 0 } }\n",
			       err, sizeof(err)),
			 0);
	ck_assert_msg(strstr(err, "\"size\""), "%s", err);

	/* format: moldudp64 puts everything where MoldUDP64 has it */
	snprintf(text, sizeof(text),
		 "collectors:\n  sockets:\n    classes:\n      - { name: m, protocol: udp, "
		 "local_ports: [\"1\"], sequence: { format: moldudp64 }, feed: f, leg: a }\n");
	e = fmemopen(err, sizeof(err), "w");
	ck_assert_int_eq(config_parse(&cfg, "t.yaml", text, strlen(text), 0, e), 0);
	fclose(e);
	{
		const struct jd_socket_classes *cl =
			config_field(&cfg, "collectors.sockets.classes");
		const struct jd_sequence *sq = &cl->at[0].sequence;

		ck_assert_uint_eq(sq->offset, 10);
		ck_assert_uint_eq(sq->size, 8);
		ck_assert_int_eq(sq->byte_order, JD_BIG_ENDIAN);
		ck_assert_uint_eq(sq->count.offset, 18);
		ck_assert_uint_eq(sq->count.size, 2);
		ck_assert_uint_eq(sq->session.offset, 0);
		ck_assert_uint_eq(sq->session.size, 10);
	}
}
END_TEST

static Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("pcap");

	tcase_add_test(tc, a_value_lies_in_its_bucket_and_buckets_nest_in_powers_of_two);
	tcase_add_test(tc, percentiles_are_within_one_sixty_fourth);
	tcase_add_test(tc, vlan_and_qinq_frames_decode_to_the_same_udp_packet);
	tcase_add_test(tc, every_cut_inside_the_headers_is_snapped_never_read);
	tcase_add_test(tc, a_snap_length_inside_tcp_options_keeps_ports_sequence_and_ack);
	tcase_add_test(tc, ipv4_total_length_zero_is_tso_and_takes_the_frames_length);
	tcase_add_test(tc, fragments_and_lying_lengths_are_told_apart);
	tcase_add_test(tc, cooked_v2_and_ipv6_extension_headers);
	tcase_add_test(tc, the_first_class_matching_either_end_wins);
	tcase_add_test(tc, sequence_feed_and_leg_rows_are_validated);
	tcase_add_test(tc, sequence_format_count_and_session_rows_are_validated);
	suite_add_tcase(s, tc);
	return s;
}

JD_CHECK_MAIN(pcap_suite)
