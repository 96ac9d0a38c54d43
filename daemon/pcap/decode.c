// SPDX-License-Identifier: MIT
/*
 * Frame bytes -> struct pcap_pkt: Ethernet (802.1Q, 802.1ad/QinQ, MPLS),
 * Linux cooked captures v1 and v2, raw IP, BSD loopback (NULL, LOOP),
 * NFLOG; VNTag, PPPoE sessions; IPv4 (options), IPv6 (extension headers);
 * TCP and UDP; tunnels (VXLAN, GRE with IP or Ethernet inside, ERSPAN
 * I/II/III: a switch's mirror sent over GRE), of which the inner packet is
 * the one decoded: its flow is the one that matters. The frame's lengths
 * (caplen, len) stay the outer ones: the bytes the wire carried.
 *
 * Every read of packet bytes goes through one gate, NEED(): the bytes must
 * have been captured (caplen), whatever the headers claim. A frame whose
 * headers end past the snap length is PV_SNAPPED (TCP options excepted:
 * the 20 fixed bytes have ports, sequence and ACK numbers), an IP fragment is
 * PV_FRAGMENT (its ports are in the first fragment only: analysis.c hands
 * it to reasm.c, l4_off saying where its fragment part starts): both are
 * counted, neither is read further here. A payload cut
 * by the snap length keeps its true length (payload_len) beside what was
 * captured of it (payload_caplen).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "pcap/capture.h"

const char *const pcap_verdict_names[PV_N] = {
	[PV_OK] = "decoded",	     [PV_NOT_IP] = "not_ip",   [PV_OTHER_L4] = "other_l4",
	[PV_FRAGMENT] = "fragment",  [PV_SNAPPED] = "snapped", [PV_MALFORMED] = "malformed",
	[PV_LINKTYPE] = "link_type",
};

#define ETH_P_IPV4    0x0800
#define ETH_P_IPV6    0x86dd
#define ETH_P_8021Q   0x8100
#define ETH_P_8021AD  0x88a8
#define ETH_P_QINQ1   0x9100
#define ETH_P_MPLS    0x8847
#define ETH_P_MPLS_M  0x8848
#define ETH_P_TEB     0x6558 /* GRE: transparent Ethernet bridging */
#define ETH_P_ERSPAN  0x88be /* GRE: ERSPAN type I (no sequence number) or II */
#define ETH_P_ERSPAN3 0x22eb
#define ETH_P_VNTAG   0x8926
#define ETH_P_PPPOE   0x8864 /* session stage */
#define ETH_P_ARISTA  0xd28b /* Arista's timestamp header (subtype 1) */
#define VXLAN_PORT    4789
#define TUNNELS_MAX   4 /* tunnels within tunnels decoded */

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif

/* The gate: n bytes at off must have been captured. */
#define NEED(off, n, have)                                                                         \
	do {                                                                                       \
		if ((uint64_t)(off) + (uint64_t)(n) > (uint64_t)(have))                            \
			return PV_SNAPPED;                                                         \
	} while (0)

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool pcap_linktype_supported(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_NFLOG: return true;
	}
	return false;
}

static enum pcap_verdict decode_ethertype(struct pcap_pkt *p, const uint8_t *frame,
					  uint32_t type_off, uint32_t off, uint32_t caplen,
					  uint32_t len);
static enum pcap_verdict decode_ip(struct pcap_pkt *p, uint16_t ethertype, const uint8_t *frame,
				   uint32_t off, uint32_t caplen, uint32_t len);

/* A tunnel's inner Ethernet frame or IP packet at off in b (have bytes of
 * it captured, len on the wire); ethertype 0: Ethernet. */
static enum pcap_verdict decode_inner(struct pcap_pkt *p, uint16_t ethertype, const uint8_t *b,
				      uint32_t off, uint32_t have, uint32_t len)
{
	if (++p->tunnels > TUNNELS_MAX)
		return PV_MALFORMED;
	NEED(off, 0, have);
	if (off > len)
		return PV_MALFORMED;
	if (!ethertype)
		return decode_ethertype(p, b + off, 12, 14, have - off, len - off);
	return decode_ip(p, ethertype, b, off, have, len);
}

/* GRE (RFC 2784/2890), version 0: checksum, key and sequence number are
 * optional words; inside, IP or Ethernet; or ERSPAN's mirrored Ethernet
 * frame: type I with no header (GRE without a sequence number), II with 8
 * bytes, III with 12 and an optional 8 more (its O bit). */
static enum pcap_verdict decode_gre(struct pcap_pkt *p, uint32_t off)
{
	const uint8_t *ip = p->ip;
	uint32_t have = p->ip_caplen, hdr = 4;
	uint16_t flags, type;

	NEED(off, 4, have);
	flags = be16(ip + off);
	type = be16(ip + off + 2);
	if (flags & 0x0007) /* version 1 is PPTP's */
		return PV_OTHER_L4;
	hdr += (flags & 0x8000 ? 4u : 0) + (flags & 0x2000 ? 4u : 0) + (flags & 0x1000 ? 4u : 0);
	if (type == ETH_P_ERSPAN) {
		hdr += flags & 0x1000 ? 8u : 0;
		type = 0;
	} else if (type == ETH_P_ERSPAN3) {
		NEED(off + hdr, 12, have);
		hdr += ip[off + hdr + 11] & 0x01 ? 20u : 12u;
		type = 0;
	} else if (type == ETH_P_TEB) {
		type = 0;
	} else if (type != ETH_P_IPV4 && type != ETH_P_IPV6)
		return PV_OTHER_L4;
	return decode_inner(p, type, ip, off + hdr, have, p->ip_len);
}

static enum pcap_verdict decode_l4(struct pcap_pkt *p, uint8_t proto, uint32_t off)
{
	const uint8_t *ip = p->ip;
	uint32_t have = p->ip_caplen, hdr;

	p->proto = proto;
	p->l4_off = off;
	if (proto == IPPROTO_UDP) {
		uint16_t ulen;

		NEED(off, 8, have);
		ulen = be16(ip + off + 4);
		/* The UDP length, bounded by the IP length (a jumbogram says 0). */
		if (ulen < 8 || ulen > p->ip_len - off)
			return PV_MALFORMED;
		p->sport = be16(ip + off);
		p->dport = be16(ip + off + 2);
		hdr = 8;
		p->payload_len = ulen - 8;
		/* VXLAN: the I flag, then the inner Ethernet frame */
		if (p->dport == VXLAN_PORT && have >= off + 16 && (ip[off + 8] & 0x08))
			return decode_inner(p, 0, ip, off + 16, have, off + ulen);
	} else if (proto == IPPROTO_TCP) {
		NEED(off, 20, have);
		hdr = (uint32_t)(ip[off + 12] >> 4) * 4;
		if (hdr < 20 || hdr > p->ip_len - off)
			return PV_MALFORMED;
		p->sport = be16(ip + off);
		p->dport = be16(ip + off + 2);
		p->seq = be32(ip + off + 4);
		p->ack = be32(ip + off + 8);
		p->tcp_flags = ip[off + 13];
		p->window = be16(ip + off + 14);
		p->payload_len = p->ip_len - off - hdr;
	} else if (proto == IPPROTO_GRE) {
		return decode_gre(p, off);
	} else {
		return PV_OTHER_L4;
	}
	p->payload = ip + (have > off + hdr ? off + hdr : have); /* options may be cut */
	p->payload_caplen = have > off + hdr ? have - off - hdr : 0;
	if (p->payload_caplen > p->payload_len)
		p->payload_caplen = p->payload_len;
	return PV_OK;
}

static enum pcap_verdict decode_ipv4(struct pcap_pkt *p)
{
	const uint8_t *ip = p->ip;
	uint32_t ihl, total;
	uint16_t frag;

	NEED(0, 20, p->ip_caplen);
	if (ip[0] >> 4 != 4)
		return PV_MALFORMED;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (!total) /* TSO: the sending host's capture of a segment not cut yet */
		total = p->ip_len;
	if (ihl < 20 || total < ihl)
		return PV_MALFORMED;
	/* What the link layer carried beyond the IP length is padding; less
	 * than it (on the wire) is a lie of the header. */
	if (total > p->ip_len)
		return PV_MALFORMED;
	p->ip_len = total;
	if (p->ip_caplen > total)
		p->ip_caplen = total;
	NEED(0, ihl, p->ip_caplen);
	p->ip_version = 4;
	memset(p->src, 0, 10);
	p->src[10] = p->src[11] = 0xff;
	memcpy(p->dst, p->src, 12);
	memcpy(p->src + 12, ip + 12, 4);
	memcpy(p->dst + 12, ip + 16, 4);
	frag = be16(ip + 6);
	if (frag & 0x3fff) { /* MF or an offset: reasm.c takes it from here */
		p->l4_off = ihl;
		return PV_FRAGMENT;
	}
	return decode_l4(p, ip[9], ihl);
}

static enum pcap_verdict decode_ipv6(struct pcap_pkt *p)
{
	const uint8_t *ip = p->ip;
	uint32_t off = 40, total;
	uint8_t next;
	int hops;

	NEED(0, 40, p->ip_caplen);
	if (ip[0] >> 4 != 6)
		return PV_MALFORMED;
	total = 40u + be16(ip + 4);
	if (total == 40 && p->ip_len > 40) /* BIG TCP or a jumbogram: the link's length */
		total = p->ip_len;
	if (total > p->ip_len)
		return PV_MALFORMED;
	p->ip_len = total;
	if (p->ip_caplen > total)
		p->ip_caplen = total;
	p->ip_version = 6;
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	next = ip[6];
	for (hops = 0; hops < 8; hops++) {
		switch (next) {
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			NEED(off, 2, p->ip_caplen);
			next = ip[off];
			off += 8u + ip[off + 1] * 8u;
			if (off > total)
				return PV_MALFORMED;
			continue;
		case 44: /* fragment: reasm.c takes it from here */
			p->l4_off = off;
			return PV_FRAGMENT;
		default: return decode_l4(p, next, off);
		}
	}
	return PV_MALFORMED;
}

static enum pcap_verdict decode_ip(struct pcap_pkt *p, uint16_t ethertype, const uint8_t *frame,
				   uint32_t off, uint32_t caplen, uint32_t len)
{
	p->ip = frame + off;
	p->ip_caplen = caplen - off; /* NEED() checked off <= caplen */
	p->ip_len = len > off ? len - off : 0;
	if (ethertype == ETH_P_IPV4)
		return decode_ipv4(p);
	if (ethertype == ETH_P_IPV6)
		return decode_ipv6(p);
	return PV_NOT_IP;
}

/* The ethertype at type_off, the header's end at off, then VLAN tags
 * (two kept, up to 8 skipped). */
/* Arista's timestamp header at off (after its EtherType): the length of
 * its time (8: 32-bit seconds and nanoseconds; 6: the seconds' low 16
 * bits and nanoseconds), or 0 when it is not one. Versions: 0x0010 and
 * 0x0020 TAI, 0x0110 and 0x0120 UTC. */
static uint32_t arista_ts_len(const uint8_t *frame, uint32_t off, uint32_t caplen)
{
	if ((uint64_t)off + 4 > caplen || be16(frame + off) != 1)
		return 0;
	switch (be16(frame + off + 2) & 0xfeff) {
	case 0x0010: return 8;
	case 0x0020: return 6;
	default: return 0;
	}
}

static enum pcap_verdict decode_ethertype(struct pcap_pkt *p, const uint8_t *frame,
					  uint32_t type_off, uint32_t off, uint32_t caplen,
					  uint32_t len)
{
	uint16_t type;
	int tags = 0;

	NEED(off, 0, caplen);
	NEED(type_off, 2, caplen);
	type = be16(frame + type_off);
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1 ||
	       type == ETH_P_VNTAG || type == ETH_P_ARISTA) {
		if (++tags > 8)
			return PV_MALFORMED;
		if (type == ETH_P_ARISTA) { /* subtype, version, the time; the frame's type */
			uint32_t ts = arista_ts_len(frame, off, caplen);

			if (!ts)
				return PV_NOT_IP;
			NEED(off, 4 + ts + 2, caplen);
			type = be16(frame + off + 4 + ts);
			off += 4 + ts + 2;
			continue;
		}
		if (type == ETH_P_VNTAG) { /* Cisco's 4-byte port tag */
			NEED(off, 6, caplen);
			type = be16(frame + off + 4);
			off += 6;
			continue;
		}
		NEED(off, 4, caplen);
		if (p->n_vlans < 2)
			p->vlan[p->n_vlans++] = be16(frame + off) & 0x0fff;
		type = be16(frame + off + 2);
		off += 4;
	}
	if (type == ETH_P_PPPOE) { /* version/type, code, session, length; PPP protocol */
		uint32_t end, ppp;

		NEED(off, 8, caplen);
		end = off + 6 + be16(frame + off + 4);
		ppp = frame[off + 6] & 1 ? frame[off + 6]
					 : be16(frame + off + 6); /* 1 byte: compressed */
		off += frame[off + 6] & 1 ? 7 : 8;
		type = ppp == 0x0021 ? ETH_P_IPV4 : ppp == 0x0057 ? ETH_P_IPV6 : 0;
		if (!type)
			return PV_NOT_IP;
		if (end < off || end > len)
			return PV_MALFORMED;
		return decode_ip(p, type, frame, off, caplen < end ? caplen : end, end);
	}
	if (type == ETH_P_MPLS || type == ETH_P_MPLS_M) {
		do { /* labels to the bottom of the stack (bit 8) */
			if (++tags > 8)
				return PV_MALFORMED;
			NEED(off, 4, caplen);
			off += 4;
		} while (!(frame[off - 2] & 0x01));
		NEED(off, 1, caplen);
		switch (frame[off] >> 4) { /* what is under the labels, by its first nibble */
		case 4: type = ETH_P_IPV4; break;
		case 6: type = ETH_P_IPV6; break;
		case 0: return decode_inner(p, 0, frame, off + 4, caplen, len); /* control word */
		default: return PV_NOT_IP;
		}
	}
	NEED(off, 0, caplen);
	return decode_ip(p, type, frame, off, caplen, len);
}

/* BSD loopback: the address family in 4 bytes, the capturing host's byte
 * order (NULL) or network order (LOOP); IPv6 is 24, 28 or 30 by BSD. */
static enum pcap_verdict decode_loopback(struct pcap_pkt *p, int linktype, const uint8_t *frame,
					 uint32_t caplen, uint32_t len)
{
	uint32_t af;

	NEED(0, 4, caplen);
	af = be32(frame);
	if (linktype == DLT_NULL && !(af & 0xffff)) /* a little-endian host's */
		af = (uint32_t)frame[0] | (uint32_t)frame[1] << 8 | (uint32_t)frame[2] << 16 |
		     (uint32_t)frame[3] << 24;
	if (af == 2)
		return decode_ip(p, ETH_P_IPV4, frame, 4, caplen, len);
	if (af == 24 || af == 28 || af == 30 || af == 10) /* 10: Linux's AF_INET6 */
		return decode_ip(p, ETH_P_IPV6, frame, 4, caplen, len);
	return PV_NOT_IP;
}

/* NFLOG (Linux's iptables/nftables log target): family, version, group,
 * then TLVs (length and type in the capturing host's byte order, padded to
 * 4 bytes); type 9 is the packet, from its IP header. */
static enum pcap_verdict decode_nflog(struct pcap_pkt *p, const uint8_t *frame, uint32_t caplen,
				      uint32_t len)
{
	uint32_t off = 4;
	bool le;

	NEED(0, 8, caplen);
	/* The first TLV (the packet header, 8 bytes) is short: where its
	 * length's non-zero byte is says the byte order. */
	le = frame[4] != 0 || frame[5] == 0;
	for (int n = 0; n < 64; n++) {
		uint32_t tl, type;

		NEED(off, 4, caplen);
		tl = le ? (uint32_t)(frame[off] | frame[off + 1] << 8) : be16(frame + off);
		type = le ? (uint32_t)(frame[off + 2] | frame[off + 3] << 8)
			  : be16(frame + off + 2);
		if (tl < 4)
			return PV_MALFORMED;
		if ((type & 0x7fff) == 9) { /* NFULA_PAYLOAD */
			uint32_t end = off + tl, have = caplen < end ? caplen : end;

			if (end > len)
				return PV_MALFORMED;
			NEED(off, 5, caplen);
			return decode_ip(p, frame[off + 4] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IPV4,
					 frame, off + 4, have, end);
		}
		off += (tl + 3) & ~3u;
	}
	return PV_MALFORMED;
}

enum pcap_verdict pcap_decode(int linktype, const uint8_t *frame, uint32_t caplen, uint32_t len,
			      struct pcap_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->caplen = caplen;
	p->len = len;
	if (caplen > len) /* libpcap checks this for files; a live buffer, too */
		return PV_MALFORMED;
	switch (linktype) {
	case DLT_EN10MB: return decode_ethertype(p, frame, 12, 14, caplen, len);
	case DLT_LINUX_SLL: return decode_ethertype(p, frame, 14, 16, caplen, len);
	case DLT_LINUX_SLL2: return decode_ethertype(p, frame, 0, 20, caplen, len);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		NEED(0, 1, caplen);
		return decode_ip(p, frame[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IPV4, frame, 0, caplen,
				 len);
	case DLT_NULL:
	case DLT_LOOP: return decode_loopback(p, linktype, frame, caplen, len);
	case DLT_NFLOG: return decode_nflog(p, frame, caplen, len);
	}
	return PV_LINKTYPE;
}

void pcap_endpoint(char *buf, size_t size, const uint8_t addr[16], uint16_t port)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char ip[INET6_ADDRSTRLEN];

	if (!memcmp(addr, v4mapped, 12)) {
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, port);
	} else {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, port);
	}
}

/* ---- hardware timestamps --------------------------------------------------- */

const char *const pcap_hwts_names[HWTS_N] = {
	[HWTS_NONE] = "capture",
	[HWTS_ARISTA] = "arista",
	[HWTS_METAMAKO] = "metamako",
	[HWTS_EXABLAZE] = "exablaze",
};

#define TAI_UTC_S    37ull	  /* TAI - UTC since 2017-01-01 */
#define METAMAKO_WIN (30 * 86400) /* a trailer's time this near the capture's (as Wireshark) */
#define EXABLAZE_WIN (7 * 86400)

static bool near(uint64_t s, uint64_t host_s, uint64_t win)
{
	return s > host_s ? s - host_s <= win : host_s - s <= win;
}

/* Arista's header after the source address (or after up to two VLAN tags). */
static bool hw_arista(const uint8_t *f, uint32_t caplen, uint64_t host_ns, uint64_t *ns)
{
	uint32_t off = 12, tl;
	uint64_t s, n;

	for (int tags = 0; tags <= 2; tags++, off += 4) {
		if ((uint64_t)off + 2 > caplen)
			return false;
		if (be16(f + off) == ETH_P_ARISTA)
			break;
		if (be16(f + off) != ETH_P_8021Q && be16(f + off) != ETH_P_8021AD)
			return false;
	}
	if (be16(f + off) != ETH_P_ARISTA || !(tl = arista_ts_len(f, off + 2, caplen)) ||
	    (uint64_t)off + 6 + tl > caplen)
		return false;
	if (tl == 8) {
		s = be32(f + off + 6);
		n = be32(f + off + 10);
	} else { /* 16 bits of seconds: the full count nearest the capture's */
		uint64_t host_s = host_ns / NS_PER_S + TAI_UTC_S;

		s = (host_s & ~0xffffull) | be16(f + off + 6);
		if (s + 0x8000 < host_s)
			s += 0x10000;
		else if (s > host_s + 0x8000 && s >= 0x10000)
			s -= 0x10000;
		n = be32(f + off + 8);
	}
	if (n >= NS_PER_S)
		return false;
	if (!(be16(f + off + 4) & 0x0100)) /* TAI */
		s = s >= TAI_UTC_S ? s - TAI_UTC_S : 0;
	*ns = s * NS_PER_S + n;
	return true;
}

/* A trailer after the IP packet: at the frame's end, or before an FCS. */
static bool hw_trailer(enum pcap_hwts kind, const uint8_t *f, uint32_t caplen, uint32_t len,
		       uint32_t ip_end, uint64_t host_ns, uint64_t *ns)
{
	uint32_t need = kind == HWTS_METAMAKO ? 12 : 16;
	uint64_t host_s = host_ns / NS_PER_S;

	if (caplen != len) /* the end was not captured */
		return false;
	for (uint32_t fcs = 0; fcs <= 4; fcs += 4) {
		uint32_t end = caplen - fcs;
		const uint8_t *t;
		uint64_t s, n;

		if (end < need || end - need < ip_end)
			continue;
		t = f + end - need;
		if (kind == HWTS_METAMAKO) { /* seconds, ns, flags, device (2), port */
			s = be32(t);
			n = be32(t + 4);
			if (s <= 3600 || n >= NS_PER_S || !near(s, host_s, METAMAKO_WIN))
				continue;
		} else { /* original FCS, device, port, seconds, 40-bit fraction, reserved */
			uint64_t frac = (uint64_t)t[10] << 32 | be32(t + 11);

			s = be32(t + 6);
			n = (uint64_t)(((unsigned __int128)frac * NS_PER_S) >> 40);
			if (!near(s, host_s, EXABLAZE_WIN))
				continue;
		}
		*ns = s * NS_PER_S + n;
		return true;
	}
	return false;
}

bool pcap_hw_timestamp(enum pcap_hwts kind, int linktype, const uint8_t *frame, uint32_t caplen,
		       uint32_t len, uint64_t host_ns, uint64_t *ns)
{
	struct pcap_pkt p;
	enum pcap_verdict v;

	if (linktype != DLT_EN10MB || kind == HWTS_NONE)
		return false;
	if (kind == HWTS_ARISTA)
		return hw_arista(frame, caplen, host_ns, ns);
	v = pcap_decode(linktype, frame, caplen, len, &p);
	if (v != PV_OK && v != PV_OTHER_L4 && v != PV_FRAGMENT)
		return false;
	return hw_trailer(kind, frame, caplen, len, (uint32_t)(p.ip - frame) + p.ip_len, host_ns,
			  ns);
}
