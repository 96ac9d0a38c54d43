// SPDX-License-Identifier: MIT
/*
 * pcapgen: a synthetic capture for jitterd pcap, fast (records written in
 * bulk, no per-packet library calls): classic pcap, nanosecond timestamps,
 * Ethernet.
 *
 *   pcapgen PACKETS FILE
 *
 * What is in it (config/pcap-example.yaml names it):
 *   - md-feed-a / md-feed-b: a UDP feed, 10.0.0.1 -> 239.1.1.1:30001 and
 *     10.0.0.2 -> 239.1.1.2:30001, a 64-bit big-endian sequence number at
 *     payload offset 0, the same number on both legs, B usually 300-900 ns
 *     behind A and every 16th number ahead; every 100000th number is never
 *     sent on A, every 77777th never on B, every 50000th sent twice on A;
 *   - order-entry: 8 TCP sessions from 10.0.1.1:50000+k to 10.0.2.1:9001
 *     (handshake, then 48-byte requests, 96-byte responses 2-12 us later,
 *     a pure ACK now and then);
 *   - other: UDP noise on 256 flows of no class;
 *   - a 50 us burst of feed packets every 10 ms.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *out;
static size_t out_len, out_cap = 1 << 22;
static FILE *file;

static void flush_out(void)
{
	if (out_len && fwrite(out, 1, out_len, file) != out_len) {
		perror("pcapgen: write");
		exit(1);
	}
	out_len = 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the file is in this host's byte order */
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Ethernet + IPv4 + UDP/TCP headers into p; returns the header length. */
static unsigned headers(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
			uint16_t dport, unsigned payload)
{
	unsigned l4 = proto == 17 ? 8 : 20, ip_len = 20 + l4 + payload;
	static uint16_t ip_id;

	memset(p, 0, 14 + 20 + l4);
	p[0] = 0x02, p[5] = 0x01, p[6] = 0x02, p[11] = 0x02; /* MACs */
	be16(p + 12, 0x0800);
	p += 14;
	p[0] = 0x45;
	be16(p + 2, (uint16_t)ip_len);
	be16(p + 4, ip_id++);
	p[8] = 64;
	p[9] = proto;
	be32(p + 12, src);
	be32(p + 16, dst);
	p += 20;
	be16(p, sport);
	be16(p + 2, dport);
	if (proto == 17)
		be16(p + 4, (uint16_t)(8 + payload));
	return 14 + 20 + l4;
}

static void record(uint64_t ts, unsigned len)
{
	uint8_t *h = out + out_len;

	put_u32(h, (uint32_t)(ts / 1000000000ull));
	put_u32(h + 4, (uint32_t)(ts % 1000000000ull));
	put_u32(h + 8, len);
	put_u32(h + 12, len);
	out_len += 16 + len;
}

static uint8_t *frame(void)
{
	if (out_len + 2048 > out_cap)
		flush_out();
	return out + out_len + 16;
}

static void feed(uint64_t ts, int leg, uint64_t seq)
{
	uint8_t *p = frame();
	unsigned h = headers(p, leg ? 0x0a000002 : 0x0a000001, leg ? 0xef010102 : 0xef010101, 17,
			     40000, 30001, 64);

	for (int i = 0; i < 8; i++)
		p[h + i] = (uint8_t)(seq >> (56 - 8 * i));
	memset(p + h + 8, 0x5a, 56);
	record(ts, h + 64);
}

struct session {
	uint32_t cseq, sseq;
	int state; /* 0 closed, 1 syn sent, 2 syn-ack sent, 3 idle, 4 request out */
};

static void tcp(uint64_t ts, int k, int from_client, uint8_t flags, uint32_t seq, uint32_t ack,
		unsigned payload)
{
	uint8_t *p = frame();
	uint32_t c = 0x0a000101, s = 0x0a000201;
	uint16_t cp = (uint16_t)(50000 + k);
	unsigned h = from_client ? headers(p, c, s, 6, cp, 9001, payload)
				 : headers(p, s, c, 6, 9001, cp, payload);
	uint8_t *t = p + 14 + 20;

	be32(t + 4, seq);
	be32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	be16(t + 14, 65535);
	memset(p + h, 0x41 + k, payload);
	record(ts, h + payload);
}

/* Returns how many packets it wrote. */
static int step_session(uint64_t ts, struct session *s, int k)
{
	switch (s->state) {
	case 0:
		s->cseq = 1000u * (unsigned)k;
		s->sseq = 7000000u * (unsigned)k;
		tcp(ts, k, 1, 0x02, s->cseq++, 0, 0);
		s->state = 1;
		break;
	case 1:
		tcp(ts, k, 0, 0x12, s->sseq++, s->cseq, 0);
		s->state = 2;
		break;
	case 2:
	case 3:
		tcp(ts, k, 1, 0x18, s->cseq, s->sseq, 48);
		s->cseq += 48;
		s->state = 4;
		break;
	case 4:
		tcp(ts, k, 0, 0x18, s->sseq, s->cseq, 96);
		s->sseq += 96;
		s->state = 3;
		if (rnd(4) == 0) { /* the client acks alone now and then */
			tcp(ts + 100, k, 1, 0x10, s->cseq, s->sseq, 0);
			return 2;
		}
		break;
	}
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t n, i = 0, ts = 1700000000ull * 1000000000ull, seq = 1, next_burst;
	struct session sessions[8] = {};
	uint8_t hdr[24];

	if (argc != 3 || !(n = strtoull(argv[1], NULL, 10))) {
		fprintf(stderr, "usage: pcapgen PACKETS FILE\n");
		return 2;
	}
	file = fopen(argv[2], "wb");
	out = malloc(out_cap);
	if (!file || !out) {
		perror(argv[2]);
		return 1;
	}
	put_u32(hdr, 0xa1b23c4d); /* nanosecond pcap */
	hdr[4] = 2, hdr[5] = 0, hdr[6] = 4, hdr[7] = 0;
	if (hdr[0] != 0x4d) { /* big-endian host: the version is big-endian too */
		hdr[4] = 0, hdr[5] = 2, hdr[6] = 0, hdr[7] = 4;
	}
	memset(hdr + 8, 0, 8);
	put_u32(hdr + 16, 262144);
	put_u32(hdr + 20, 1);
	fwrite(hdr, 1, 24, file);
	next_burst = ts + 10000000;
	while (i < n) {
		unsigned kind = rnd(10);
		int burst = ts >= next_burst && ts < next_burst + 50000;

		if (ts >= next_burst + 50000)
			next_burst += 10000000;
		ts += burst ? 20 + rnd(20) : 150 + rnd(300);
		if (burst || kind < 6) {
			uint64_t d = 300 + rnd(600);
			int b_first = seq % 16 == 0;

			if (seq % 100000 == 0) { /* lost on A */
				feed(ts, 1, seq);
				i++;
			} else if (seq % 77777 == 0) { /* lost on B */
				feed(ts, 0, seq);
				i++;
			} else {
				feed(ts, b_first, seq);
				feed(ts + d, !b_first, seq);
				ts += d;
				i += 2;
				if (seq % 50000 == 0) {
					feed(ts + 10, 0, seq);
					ts += 10;
					i++;
				}
			}
			seq++;
		} else if (kind < 9) {
			int k = (int)rnd(8);

			if (sessions[k].state == 4)
				ts += 2000 + rnd(10000); /* the server thinks */
			if (step_session(ts, &sessions[k], k) == 2)
				ts += 100, i++;
			i++;
		} else {
			uint8_t *p = frame();
			unsigned f = rnd(256), h = headers(p, 0x0a090000 + f, 0x0a090100, 17,
							   (uint16_t)(20000 + f), 53, 40);

			memset(p + h, 0, 40);
			record(ts, h + 40);
			i++;
		}
	}
	flush_out();
	if (fclose(file)) {
		perror(argv[2]);
		return 1;
	}
	fprintf(stderr, "pcapgen: %llu packets, feed sequence 1..%llu\n", (unsigned long long)i,
		(unsigned long long)seq - 1);
	return 0;
}
