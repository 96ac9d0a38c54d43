// SPDX-License-Identifier: MIT
/*
 * IP reassembly (reasm.h). Fragments are rare: a linear look-up among the
 * datagrams in progress is enough, and nothing here runs for a frame that
 * is not a fragment.
 */
#include <stdlib.h>
#include <string.h>

#include "pcap/reasm.h"

const char *const reasm_failure_names[RF_N] = {
	[RF_TIMEOUT] = "timeout", [RF_END] = "incomplete_at_end", [RF_CONFLICT] = "conflict",
	[RF_SNAPPED] = "snapped", [RF_TOO_BIG] = "too_big",	  [RF_FULL] = "table_full",
};

#define REASM_PAYLOAD_MAX 65535u
#define BLOCKS		  (REASM_PAYLOAD_MAX / 8 + 1)
#define HDR_MAX		  1024 /* IPv4 header, or IPv6's and its unfragmentable extension headers */

struct dgram {
	bool used, failed; /* failed: counted once; its later fragments are swallowed */
	uint8_t version, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint64_t first_ns, wire;
	uint8_t hdr[HDR_MAX];
	uint32_t hdr_len, next_at; /* IPv6: where the next-header byte of the last header is */
	uint8_t next;		   /* IPv6: the fragment header's next header */
	bool have_hdr, have_last;
	uint32_t total;	  /* payload bytes, known from the last fragment */
	uint32_t max_end; /* the furthest byte any fragment reached */
	uint8_t *data;
	uint32_t cap;
	uint8_t have[BLOCKS / 8 + 1]; /* bit b: bytes 8b..8b+7 are here */
};

struct reasm {
	struct dgram d[REASM_MAX];
	uint32_t used;
	uint64_t bytes;
	struct reasm_stats st;
	uint8_t out[HDR_MAX + REASM_PAYLOAD_MAX];
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct reasm *reasm_new(void)
{
	return calloc(1, sizeof(struct reasm));
}

static void drop(struct reasm *r, struct dgram *d)
{
	r->bytes -= d->cap;
	free(d->data);
	memset(d, 0, sizeof(*d));
	r->used--;
}

/* d cannot be made whole: counted once, its buffer freed; the entry stays
 * (failed) to swallow the datagram's later fragments until it times out. */
static void fail(struct reasm *r, struct dgram *d, enum reasm_failure why)
{
	if (d->failed)
		return;
	r->st.failures[why]++;
	d->failed = true;
	r->bytes -= d->cap;
	free(d->data);
	d->data = NULL;
	d->cap = 0;
}

void reasm_free(struct reasm *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < REASM_MAX; i++)
		free(r->d[i].data);
	free(r);
}

static void expire(struct reasm *r, uint64_t now)
{
	for (unsigned i = 0; i < REASM_MAX && r->used; i++) {
		struct dgram *d = &r->d[i];

		if (d->used && now > d->first_ns && now - d->first_ns > REASM_TIMEOUT_NS) {
			fail(r, d, RF_TIMEOUT);
			drop(r, d);
		}
	}
}

static struct dgram *oldest(struct reasm *r, const struct dgram *but)
{
	struct dgram *o = NULL;

	for (unsigned i = 0; i < REASM_MAX; i++)
		if (r->d[i].used && &r->d[i] != but && (!o || r->d[i].first_ns < o->first_ns))
			o = &r->d[i];
	return o;
}

static struct dgram *find(struct reasm *r, const struct pcap_pkt *p, uint32_t id, uint8_t proto,
			  uint64_t ts)
{
	struct dgram *free_slot = NULL;

	for (unsigned i = 0; i < REASM_MAX; i++) {
		struct dgram *d = &r->d[i];

		if (!d->used) {
			if (!free_slot)
				free_slot = d;
			continue;
		}
		if (d->version == p->ip_version && d->id == id && d->proto == proto &&
		    !memcmp(d->src, p->src, 16) && !memcmp(d->dst, p->dst, 16))
			return d;
	}
	if (!free_slot) { /* full: the oldest goes */
		free_slot = oldest(r, NULL);
		fail(r, free_slot, RF_FULL);
		drop(r, free_slot);
	}
	free_slot->used = true;
	free_slot->version = p->ip_version;
	free_slot->id = id;
	free_slot->proto = proto;
	memcpy(free_slot->src, p->src, 16);
	memcpy(free_slot->dst, p->dst, 16);
	free_slot->first_ns = ts;
	r->used++;
	return free_slot;
}

static bool grow(struct reasm *r, struct dgram *d, uint32_t end)
{
	uint32_t cap = d->cap ? d->cap : 2048;
	uint8_t *n;

	while (cap < end)
		cap *= 2;
	if (cap > REASM_PAYLOAD_MAX + 1)
		cap = REASM_PAYLOAD_MAX + 1;
	if (cap == d->cap)
		return true;
	while (r->bytes + cap - d->cap > REASM_BYTES_MAX) {
		struct dgram *o = oldest(r, d);

		if (!o)
			return false;
		fail(r, o, RF_FULL);
		drop(r, o);
	}
	n = realloc(d->data, cap);
	if (!n)
		return false;
	memset(n + d->cap, 0, cap - d->cap);
	r->bytes += cap - d->cap;
	d->data = n;
	d->cap = cap;
	return true;
}

/* IPv6: the offset of the next-header byte that names the fragment header at fh. */
static bool next_header_at(const uint8_t *ip, uint32_t fh, uint32_t *at)
{
	uint32_t off = 40;

	*at = 6;
	while (off < fh) {
		*at = off;
		off += 8u + ip[off + 1] * 8u;
	}
	return off == fh;
}

bool reasm_add(struct reasm *r, const struct pcap_pkt *p, uint64_t ts_ns, uint32_t len,
	       const uint8_t **ip_out, uint32_t *ip_len, uint64_t *wire)
{
	const uint8_t *ip = p->ip;
	uint32_t hlen = p->l4_off, off, flen, id, end, next_at = 0;
	uint8_t proto, next = 0;
	bool more;
	struct dgram *d;

	expire(r, ts_ns);
	if (p->ip_version == 4) {
		uint16_t frag = be16(ip + 6);

		id = be16(ip + 4);
		proto = ip[9];
		off = (uint32_t)(frag & 0x1fff) * 8;
		more = frag & 0x2000;
		flen = p->ip_len - hlen;
	} else {
		if (hlen + 8 > p->ip_caplen || hlen + 8 > p->ip_len)
			return false; /* too short to say which datagram: the verdict counts it */
		next = ip[hlen];
		off = be16(ip + hlen + 2) & 0xfff8;
		more = ip[hlen + 3] & 1;
		id = be32(ip + hlen + 4);
		proto = 0;
		flen = p->ip_len - hlen - 8;
		hlen += 8;
	}
	d = find(r, p, id, proto, ts_ns);
	d->wire += len;
	if (d->failed)
		return false;
	end = off + flen;
	if (p->ip_caplen < p->ip_len) {
		fail(r, d, RF_SNAPPED);
		return false;
	}
	if (end > REASM_PAYLOAD_MAX || (more && flen % 8) || p->l4_off > HDR_MAX ||
	    (p->ip_version == 6 && off == 0 && !next_header_at(ip, p->l4_off, &next_at))) {
		fail(r, d, RF_TOO_BIG);
		return false;
	}
	if ((d->have_last && (end > d->total || (!more && end != d->total))) ||
	    (!more && d->max_end > end)) {
		fail(r, d, RF_CONFLICT);
		return false;
	}
	if (!grow(r, d, end)) {
		fail(r, d, RF_FULL);
		return false;
	}
	for (uint32_t b = off / 8; b * 8 < end; b++) {
		uint32_t from = b * 8, to = from + 8 < end ? from + 8 : end;

		if (d->have[b / 8] & (1u << (b % 8))) {
			if (memcmp(d->data + from, ip + hlen + (from - off), to - from)) {
				fail(r, d, RF_CONFLICT);
				return false;
			}
			continue;
		}
		/* whole blocks but the last fragment's end (more: flen % 8 == 0) */
		memcpy(d->data + from, ip + hlen + (from - off), to - from);
		d->have[b / 8] |= (uint8_t)(1u << (b % 8));
	}
	if (end > d->max_end)
		d->max_end = end;
	if (!more) {
		d->have_last = true;
		d->total = end;
	}
	if (off == 0) {
		d->have_hdr = true;
		d->hdr_len = p->l4_off; /* IPv4: the header; IPv6: all before the fragment header */
		memcpy(d->hdr, ip, d->hdr_len);
		d->next_at = next_at;
		if (p->ip_version == 6)
			d->next = next;
	}
	if (!d->have_hdr || !d->have_last)
		return false;
	for (uint32_t b = 0; b * 8 < d->total; b++)
		if (!(d->have[b / 8] & (1u << (b % 8))))
			return false;
	/* whole */
	memcpy(r->out, d->hdr, d->hdr_len);
	memcpy(r->out + d->hdr_len, d->data, d->total);
	if (d->version == 4) {
		uint32_t n = d->hdr_len + d->total;

		if (n > 65535) {
			fail(r, d, RF_TOO_BIG);
			return false;
		}
		r->out[2] = (uint8_t)(n >> 8);
		r->out[3] = (uint8_t)n;
		r->out[6] = r->out[7] = 0;
	} else {
		uint32_t n = d->hdr_len - 40 + d->total;

		r->out[4] = (uint8_t)(n >> 8);
		r->out[5] = (uint8_t)n;
		r->out[d->next_at] = d->next;
	}
	*ip_out = r->out;
	*ip_len = d->hdr_len + d->total;
	*wire = d->wire;
	r->st.datagrams++;
	drop(r, d);
	return true;
}

void reasm_finish(struct reasm *r)
{
	for (unsigned i = 0; i < REASM_MAX && r->used; i++)
		if (r->d[i].used) {
			fail(r, &r->d[i], RF_END);
			drop(r, &r->d[i]);
		}
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
	return &r->st;
}
