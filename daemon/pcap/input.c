// SPDX-License-Identifier: MIT
#include "pcap/input.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/parse.h"
#include "pcap/capture.h"
#include "pcap/libpcap.h"
#include "pcap/readahead.h"

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

/* ---- compressed streams --------------------------------------------------- */

/*
 * gzip through zlib (linked already); zstd through libzstd.so.1, opened
 * when a zstd capture comes (the daemon has no use for it). Its streaming
 * API and structs are stable since zstd 1.0 (zstd.h), declared here so
 * that building needs no libzstd-dev.
 */
/* Read by libzstd, not by this file (cppcheck sees no use). */
struct zstd_in {
	const void *src; // cppcheck-suppress unusedStructMember
	size_t size;	 // cppcheck-suppress unusedStructMember
	size_t pos;
};
struct zstd_out {
	void *dst;   // cppcheck-suppress unusedStructMember
	size_t size; // cppcheck-suppress unusedStructMember
	size_t pos;
};
static struct {
	void *(*create)(void);
	size_t (*free)(void *);
	size_t (*decompress)(void *, struct zstd_out *, struct zstd_in *);
	unsigned (*is_error)(size_t);
	const char *(*error_name)(size_t);
} zstd;

static int zstd_open(void)
{
	static void *lib;

	if (lib)
		return 0;
	lib = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -ENOENT;
	zstd.create = (void *(*)(void))dlsym(lib, "ZSTD_createDStream");
	zstd.free = (size_t(*)(void *))dlsym(lib, "ZSTD_freeDStream");
	zstd.decompress = (size_t(*)(void *, struct zstd_out *, struct zstd_in *))dlsym(
		lib, "ZSTD_decompressStream");
	zstd.is_error = (unsigned (*)(size_t))dlsym(lib, "ZSTD_isError");
	zstd.error_name = (const char *(*)(size_t))dlsym(lib, "ZSTD_getErrorName");
	if (!zstd.create || !zstd.free || !zstd.decompress || !zstd.is_error || !zstd.error_name) {
		dlclose(lib);
		lib = NULL;
		return -ENOENT;
	}
	return 0;
}

enum { ST_PLAIN, ST_GZIP, ST_ZSTD };
#define ST_IN (1 << 20)

struct stream {
	FILE *raw;
	int kind;
	uint8_t replay[8]; /* served before anything else */
	size_t n_replay, replay_pos;
	uint8_t *in;
	size_t in_len, in_pos;
	bool raw_eof, failed;
	uint64_t raw_bytes;
	z_stream z;
	void *zs;
	char err[128];
};

static bool st_fill(struct stream *s)
{
	size_t n;

	if (s->in_pos < s->in_len)
		return true;
	if (s->raw_eof)
		return false;
	n = fread(s->in, 1, ST_IN, s->raw);
	s->raw_bytes += n;
	s->in_pos = 0;
	s->in_len = n;
	if (n < ST_IN)
		s->raw_eof = true;
	return n > 0;
}

static ssize_t st_read(void *cookie, char *buf, size_t size)
{
	struct stream *s = cookie;
	size_t done = 0;

	while (done < size && s->replay_pos < s->n_replay)
		buf[done++] = (char)s->replay[s->replay_pos++];
	if (done == size || s->failed)
		return (ssize_t)done;
	if (s->kind == ST_PLAIN) {
		size_t n = fread(buf + done, 1, size - done, s->raw);

		s->raw_bytes += n;
		return (ssize_t)(done + n);
	}
	while (done < size) {
		if (!st_fill(s))
			break; /* the end, or cut short: the record reader says so */
		if (s->kind == ST_GZIP) {
			int r;

			s->z.next_in = s->in + s->in_pos;
			s->z.avail_in = (uInt)(s->in_len - s->in_pos);
			s->z.next_out = (Bytef *)buf + done;
			s->z.avail_out = (uInt)(size - done);
			r = inflate(&s->z, Z_NO_FLUSH);
			done = size - s->z.avail_out;
			s->in_pos = s->in_len - s->z.avail_in;
			if (r == Z_STREAM_END) {
				inflateReset(&s->z); /* another member may follow */
			} else if (r != Z_OK && r != Z_BUF_ERROR) {
				snprintf(s->err, sizeof(s->err), "gzip: %s",
					 s->z.msg ? s->z.msg : "bad data");
				s->failed = true;
				break;
			}
		} else {
			struct zstd_in zi = { .src = s->in, .size = s->in_len, .pos = s->in_pos };
			struct zstd_out zo = { .dst = buf, .size = size, .pos = done };
			size_t r = zstd.decompress(s->zs, &zo, &zi);

			done = zo.pos;
			s->in_pos = zi.pos;
			if (zstd.is_error(r)) {
				snprintf(s->err, sizeof(s->err), "zstd: %s", zstd.error_name(r));
				s->failed = true;
				break;
			}
		}
	}
	return (ssize_t)done;
}

/*
 * Read ahead, a compressed stream is asked for what the FILE read without
 * the thread asks of it: BUFSIZ at a time (glibc's cookie FILE, whatever
 * setvbuf() says). zstd hands over nothing of what it decoded in the call
 * that finds a bad checksum, so the bytes before such damage, and its
 * offset, depend on the pieces asked for: the same pieces, the same report.
 */
static ssize_t st_read_ahead(void *cookie, char *buf, size_t size)
{
	struct stream *s = cookie;
	size_t done = 0;

	if (s->kind == ST_PLAIN)
		return st_read(cookie, buf, size);
	while (done < size) {
		size_t want = size - done < BUFSIZ ? size - done : BUFSIZ;
		ssize_t n = st_read(cookie, buf + done, want);

		done += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	return (ssize_t)done;
}

static int st_close(void *cookie)
{
	struct stream *s = cookie;

	if (s->kind == ST_GZIP)
		inflateEnd(&s->z);
	if (s->kind == ST_ZSTD && s->zs)
		zstd.free(s->zs);
	if (s->raw != stdin)
		fclose(s->raw);
	free(s->in);
	free(s);
	return 0;
}

/* The read-ahead thread's end of it. */
static void st_done(void *cookie)
{
	st_close(cookie);
}

/* ---- pcapng, read here -------------------------------------------------------- */

#define NG_SHB	      0x0a0d0d0a
#define NG_IDB	      1
#define NG_OPB	      2 /* obsolete packet block */
#define NG_SPB	      3
#define NG_EPB	      6
#define NG_BLOCK_MAX  (64u << 20)
#define NG_IFACES_MAX 4096

struct ng_iface {
	int linktype;
	uint32_t snaplen;
	bool pow2;	  /* if_tsresol: 2^-exp, else 10^-exp */
	uint8_t exp;	  /* of the resolution */
	int64_t offset_s; /* if_tsoffset */
};

struct cap_reader {
	const char *path;
	struct stream *st;    /* NULL: a plain file read directly */
	struct readahead *ra; /* the stream read on a thread of its own (then it owns st) */
	FILE *f;
	pcap_t *p; /* classic pcap: libpcap */
	bool ng, swap;
	long offset; /* ng: where the next block starts */
	struct ng_iface *ifs;
	uint32_t n_ifs;
	int first_linktype;
	uint8_t *buf;
	uint32_t buf_size;
	char err[256];
	const char *compression;
	/* classic pcap, read here (the four usual magics; libpcap for the rest):
	 * a buffer of whole reads, records handed out of it without a copy */
	int hw; /* enum pcap_hwts */
	uint64_t hw_with, hw_without;
	bool classic, nano;
	uint32_t snaplen;
	const uint8_t *win; /* buf, or read ahead the chunk the records are in */
	uint32_t pos, len;  /* in win */
	bool eof;
};

#define CLASSIC_BUF    (1u << 20)
#define CLASSIC_MAXCAP 262144u /* libpcap's most for a record past the snap length */

/* Why the stream stopped, once the reading has come to where it did (read
 * ahead, the thread may be further); NULL when it did not fail. */
static const char *stream_failure(const struct cap_reader *r)
{
	if (!r->st || (r->ra && !ra_at_end(r->ra)))
		return NULL;
	return r->st->failed ? r->st->err : NULL;
}

/* Read ahead, records are handed out of the thread's chunks without a
 * copy; one cut by a chunk's end is put together in buf. */
static bool classic_have_ahead(struct cap_reader *r, uint32_t need)
{
	while (r->len - r->pos < need) {
		uint32_t left = r->len - r->pos;
		const void *c;

		if (!left && need <= CLASSIC_BUF) {
			size_t n = ra_chunk(r->ra, &c);

			if (!n) {
				r->eof = true;
				return false;
			}
			r->win = c;
			r->pos = 0;
			r->len = (uint32_t)n;
			continue;
		}
		memmove(r->buf, r->win + r->pos, left); /* before the chunk goes back */
		r->win = r->buf;
		r->pos = 0;
		r->len = left;
		/* longer than buf: as without the thread, a buffer's worth, then no more */
		if (need > CLASSIC_BUF) {
			r->len += (uint32_t)ra_read(r->ra, r->buf + left, CLASSIC_BUF - left);
			r->eof = true;
			return false;
		}
		r->len += (uint32_t)ra_read(r->ra, r->buf + left, need - left);
		if (r->len < need) {
			r->eof = true;
			return false;
		}
	}
	return true;
}

/* Whole records out of r->buf: at least need bytes from pos, reading more
 * as needed. false at the end of the file (or the stream's failure). */
static bool classic_have(struct cap_reader *r, uint32_t need)
{
	if (r->len - r->pos >= need)
		return true;
	if (r->ra)
		return classic_have_ahead(r, need);
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	while (r->len < need && !r->eof) {
		size_t n = fread(r->buf + r->len, 1, CLASSIC_BUF - r->len, r->f);

		r->len += (uint32_t)n;
		if (!n)
			r->eof = true;
	}
	return r->len >= need;
}

static int classic_next(struct cap_reader *r, struct cap_rec *rec)
{
	const uint8_t *h;
	uint32_t sec, frac, caplen, len;

	if (!classic_have(r, 16)) {
		const char *why = stream_failure(r);

		if (r->len == r->pos && !why)
			return 0;
		snprintf(r->err, sizeof(r->err), "%s", why ? why : "record header cut short");
		return -1;
	}
	h = r->win + r->pos;
	memcpy(&sec, h, 4);
	memcpy(&frac, h + 4, 4);
	memcpy(&caplen, h + 8, 4);
	memcpy(&len, h + 12, 4);
	if (r->swap) {
		sec = __builtin_bswap32(sec);
		frac = __builtin_bswap32(frac);
		caplen = __builtin_bswap32(caplen);
		len = __builtin_bswap32(len);
	}
	if (caplen > CLASSIC_MAXCAP && caplen > r->snaplen) {
		snprintf(r->err, sizeof(r->err), "invalid record length %u", caplen);
		return -1;
	}
	if (!classic_have(r, 16 + caplen)) {
		const char *why = stream_failure(r);

		snprintf(r->err, sizeof(r->err), "%s", why ? why : "record cut short");
		return -1;
	}
	h = r->win + r->pos; /* it may have moved */
	rec->ts_ns = (uint64_t)sec * NS_PER_S + (r->nano ? frac : (uint64_t)frac * 1000);
	rec->caplen = caplen;
	rec->len = len;
	rec->linktype = r->first_linktype;
	rec->data = h + 16;
	r->pos += 16 + caplen;
	r->offset += 16 + (long)caplen;
	return 1;
}

/* The classic file header, or false for libpcap to read the file. */
static bool classic_open(struct cap_reader *r, const uint8_t m[4])
{
	uint32_t magic, lt;

	memcpy(&magic, m, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		r->swap = false;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		r->swap = true;
		magic = __builtin_bswap32(magic);
	} else {
		return false;
	}
	r->nano = magic == 0xa1b23c4d;
	r->buf = malloc(CLASSIC_BUF);
	if (!r->buf)
		return false;
	r->buf_size = CLASSIC_BUF;
	r->win = r->buf;
	r->classic = true; /* from here on, a classic file, whole or not */
	if (!classic_have(r, 24))
		return true; /* classic_next() finds nothing: cap_open says so */
	memcpy(&r->snaplen, r->win + 16, 4);
	memcpy(&lt, r->win + 20, 4);
	if (r->swap) {
		r->snaplen = __builtin_bswap32(r->snaplen);
		lt = __builtin_bswap32(lt);
	}
	lt &= 0x03ffffff; /* the FCS length bits above */
	r->first_linktype = lt == 101 ? DLT_RAW : (int)lt;
	r->pos = 24;
	r->offset = 24;
	return true;
}

static uint32_t ng32(const struct cap_reader *r, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t ng16(const struct cap_reader *r, const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static int ng_fail(struct cap_reader *r, const char *fmt, const char *what)
{
	snprintf(r->err, sizeof(r->err), fmt, what);
	return -1;
}

/* The next block: its type and body (after the 8-byte header, without the
 * trailing length). 1, 0 at a clean end, -1 damaged. */
static int ng_block(struct cap_reader *r, uint32_t *type, uint8_t **body, uint32_t *len)
{
	uint8_t h[12];
	size_t n = fread(h, 1, 8, r->f);
	uint32_t total;

	if (n == 0 && !stream_failure(r))
		return 0;
	if (n < 8)
		return ng_fail(r, "%s", stream_failure(r) ? stream_failure(r) : "block cut short");
	memcpy(type, h, 4);
	if (*type == NG_SHB) { /* its byte order says how to read the rest */
		uint32_t magic;

		if (fread(h + 8, 1, 4, r->f) < 4)
			return ng_fail(r, "%s", "section header cut short");
		memcpy(&magic, h + 8, 4);
		if (magic == 0x1a2b3c4d)
			r->swap = false;
		else if (magic == 0x4d3c2b1a)
			r->swap = true;
		else
			return ng_fail(r, "%s", "bad pcapng byte-order magic");
	}
	*type = ng32(r, h);
	total = ng32(r, h + 4);
	if (total < 12 || total % 4 || total > NG_BLOCK_MAX)
		return ng_fail(r, "%s", "bad pcapng block length");
	*len = total - 12;
	if (r->buf_size < total) {
		uint8_t *b = realloc(r->buf, total);

		if (!b)
			return ng_fail(r, "%s", "out of memory");
		r->buf = b;
		r->buf_size = total;
	}
	if (*type == NG_SHB) {
		memcpy(r->buf, h + 8, 4);
		if (fread(r->buf + 4, 1, total - 12, r->f) < total - 12)
			return ng_fail(r, "%s", "block cut short");
	} else if (fread(r->buf, 1, total - 8, r->f) < total - 8) {
		return ng_fail(r, "%s", stream_failure(r) ? stream_failure(r) : "block cut short");
	}
	*body = r->buf;
	return 1;
}

static int ng_idb(struct cap_reader *r, const uint8_t *b, uint32_t len)
{
	struct ng_iface *x;
	uint32_t o = 8;

	if (len < 8)
		return ng_fail(r, "%s", "interface block too short");
	if (r->n_ifs == NG_IFACES_MAX)
		return ng_fail(r, "%s", "too many interfaces");
	x = realloc(r->ifs, (r->n_ifs + 1) * sizeof(*x));
	if (!x)
		return ng_fail(r, "%s", "out of memory");
	r->ifs = x;
	x = &r->ifs[r->n_ifs++];
	*x = (struct ng_iface){ .linktype = ng16(r, b), .snaplen = ng32(r, b + 4), .exp = 6 };
	if (x->linktype == 101) /* LINKTYPE_RAW: the one file value of ours that is not its DLT_ */
		x->linktype = DLT_RAW;
	while (o + 4 <= len) { /* options */
		uint16_t code = ng16(r, b + o), olen = ng16(r, b + o + 2);

		if (code == 0 || o + 4 + olen > len)
			break;
		if (code == 9 && olen >= 1) { /* if_tsresol */
			x->pow2 = b[o + 4] & 0x80;
			x->exp = b[o + 4] & 0x7f;
		} else if (code == 14 && olen >= 8) { /* if_tsoffset, seconds */
			uint64_t v;

			memcpy(&v, b + o + 4, 8);
			x->offset_s = (int64_t)(r->swap ? __builtin_bswap64(v) : v);
		}
		o += 4 + ((olen + 3u) & ~3u);
	}
	if (r->n_ifs == 1)
		r->first_linktype = x->linktype;
	return 0;
}

static uint64_t ng_ns(const struct ng_iface *x, uint64_t t)
{
	unsigned __int128 ns;

	if (x->pow2) {
		ns = (unsigned __int128)t * 1000000000u;
		ns = x->exp < 128 ? ns >> x->exp : 0;
	} else if (x->exp <= 9) {
		uint64_t m = 1;

		for (unsigned i = x->exp; i < 9; i++)
			m *= 10;
		ns = (unsigned __int128)t * m;
	} else {
		uint64_t d = 1;

		for (unsigned i = 9; i < x->exp && i < 28; i++)
			d *= 10;
		ns = t / d;
	}
	ns += (unsigned __int128)(x->offset_s * 1000000000);
	return (uint64_t)ns;
}

static int ng_next(struct cap_reader *r, struct cap_rec *rec)
{
	for (;;) {
		uint32_t type, len, ifc, caplen, wire;
		uint64_t t;
		uint8_t *b;
		long at = r->offset;
		int ret = ng_block(r, &type, &b, &len);

		if (ret <= 0)
			return ret;
		r->offset += (long)len + 12;
		if (type == NG_SHB) {
			r->n_ifs = 0; /* a new section: its own interfaces */
			continue;
		}
		if (type == NG_IDB) {
			if (ng_idb(r, b, len))
				return -1;
			continue;
		}
		if (type != NG_EPB && type != NG_SPB && type != NG_OPB)
			continue; /* statistics, names, custom blocks */
		if (type == NG_SPB) {
			if (len < 4 || !r->n_ifs)
				goto bad;
			ifc = 0;
			wire = ng32(r, b);
			caplen = wire < len - 4 ? wire : len - 4;
			if (r->ifs[0].snaplen && caplen > r->ifs[0].snaplen)
				caplen = r->ifs[0].snaplen;
			rec->ts_ns = 0;
			b += 4;
		} else {
			if (len < 20)
				goto bad;
			ifc = type == NG_EPB ? ng32(r, b) : ng16(r, b);
			t = (uint64_t)ng32(r, b + 4) << 32 | ng32(r, b + 8);
			caplen = ng32(r, b + 12);
			wire = ng32(r, b + 16);
			if (ifc >= r->n_ifs || caplen > len - 20)
				goto bad;
			rec->ts_ns = ng_ns(&r->ifs[ifc], t);
			b += 20;
		}
		rec->caplen = caplen;
		rec->len = wire < caplen ? caplen : wire;
		rec->linktype = r->ifs[ifc].linktype;
		rec->data = b;
		return 1;
	bad:
		r->offset = at;
		return ng_fail(r, "%s", "bad packet block (length or interface)");
	}
}

/* ---- the reader ------------------------------------------------------------------ */

/* pcapng and libpcap read the read-ahead stream through a FILE. */
static ssize_t ra_cookie_read(void *cookie, char *buf, size_t size)
{
	return (ssize_t)ra_read(cookie, buf, size);
}

static int ra_cookie_close(void *cookie)
{
	ra_close(cookie);
	return 0;
}

int cap_open(const char *path, bool read_ahead, struct cap_reader **out)
{
	struct cap_reader *r = calloc(1, sizeof(*r));
	struct stream *s = calloc(1, sizeof(*s));
	uint8_t m[4];
	ssize_t n;
	int ret = -EINVAL;

	if (!r || !s) {
		free(r);
		free(s);
		return -ENOMEM;
	}
	r->path = path;
	s->raw = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!s->raw) {
		ret = -errno;
		fprintf(stderr, "jitterd pcap: %s: %s\n", path, strerror(errno));
		free(r);
		free(s);
		return ret;
	}
	/* read ahead, the thread asks for 256 KiB or 1 MiB at a time: read(2) straight into it */
	if (read_ahead)
		setvbuf(s->raw, NULL, _IONBF, 0);
	else
		setvbuf(s->raw, NULL, _IOFBF, 1 << 20);
	n = (ssize_t)fread(s->replay, 1, 4, s->raw);
	s->raw_bytes = (uint64_t)n;
	s->n_replay = (size_t)n;
	if (n == 4 && s->replay[0] == 0x1f && s->replay[1] == 0x8b) {
		s->kind = ST_GZIP;
		r->compression = "gzip";
		if (inflateInit2(&s->z, 15 + 32) != Z_OK) {
			pcap_read_error(path, 0, "gzip: cannot start");
			goto fail;
		}
	} else if (n == 4 && !memcmp(s->replay, "\x28\xb5\x2f\xfd", 4)) {
		s->kind = ST_ZSTD;
		r->compression = "zstd";
		if (zstd_open() || !(s->zs = zstd.create())) {
			pcap_read_error(path, 0,
					"a zstd capture: needs libzstd.so.1 (Debian: libzstd1)");
			goto fail;
		}
	}
	if (s->kind != ST_PLAIN) { /* the magic is compressed input, not output */
		s->in = malloc(ST_IN);
		if (!s->in)
			goto fail;
		memcpy(s->in, s->replay, 4);
		s->in_len = 4;
		s->n_replay = 0;
	}
	/* the capture's own magic, put back to be read again */
	n = st_read(s, (char *)m, 4);
	if (n < 4) {
		pcap_read_error(path, 0, s->failed ? s->err : "too short to be a capture");
		goto fail;
	}
	memcpy(s->replay, m, 4);
	s->n_replay = 4;
	s->replay_pos = 0;
	if (read_ahead) {
		/* from here the thread reads the stream, and frees it */
		if (ra_start(st_read_ahead, st_done, s, &s->raw_bytes, &r->ra))
			goto fail;
		r->st = s;
		s = NULL;
		r->f = fopencookie(r->ra, "r",
				   (cookie_io_functions_t){ .read = ra_cookie_read,
							    .close = ra_cookie_close });
		if (!r->f) {
			ra_close(r->ra);
			goto fail;
		}
		setvbuf(r->f, NULL, _IOFBF, 1 << 20);
	} else if (s->kind == ST_PLAIN && s->raw != stdin && !fseek(s->raw, 0, SEEK_SET)) {
		r->f = s->raw; /* read directly: no copy on the way */
		free(s);
		s = NULL;
	} else {
		r->f = fopencookie(s, "r",
				   (cookie_io_functions_t){ .read = st_read, .close = st_close });
		if (!r->f)
			goto fail;
		setvbuf(r->f, NULL, _IOFBF, 1 << 20);
		r->st = s;
	}
	if (!memcmp(m, "\x0a\x0d\x0d\x0a", 4)) { /* pcapng: to its first interface */
		r->ng = true;
		while (!r->n_ifs) {
			uint32_t type, len;
			uint8_t *b;
			int k = ng_block(r, &type, &b, &len);

			if (k <= 0) {
				pcap_read_error(path, r->offset, k ? r->err : "no interface");
				goto fail_f;
			}
			r->offset += (long)len + 12;
			if (type == NG_IDB && ng_idb(r, b, len)) {
				pcap_read_error(path, r->offset, r->err);
				goto fail_f;
			}
		}
		if (!pcap_linktype_supported(r->first_linktype)) {
			fprintf(stderr,
				"jitterd pcap: %s: link type %d is not one this tool decodes\n",
				path, r->first_linktype);
			goto fail_f;
		}
		*out = r;
		return 0;
	}
	if (classic_open(r, m)) {
		if (!r->buf || r->len < 24) {
			pcap_read_error(path, 0,
					r->buf ? "file header cut short" : "out of memory");
			goto fail_f;
		}
		if (!pcap_linktype_supported(r->first_linktype)) {
			const char *name = pcap_datalink_val_to_name(r->first_linktype);

			fprintf(stderr,
				"jitterd pcap: %s: link type %d (%s) is not one this tool "
				"decodes\n",
				path, r->first_linktype, name ? name : "unknown");
			goto fail_f;
		}
		*out = r;
		return 0;
	}
	{
		char err[PCAP_ERRBUF_SIZE] = "";

		r->p = pcap_fopen_offline_with_tstamp_precision(r->f, PCAP_TSTAMP_PRECISION_NANO,
								err);
		if (!r->p) {
			pcap_read_error(path, 0, err);
			goto fail_f;
		}
	}
	r->first_linktype = pcap_datalink(r->p);
	if (!pcap_linktype_supported(r->first_linktype)) {
		const char *name = pcap_datalink_val_to_name(r->first_linktype);

		fprintf(stderr,
			"jitterd pcap: %s: link type %d (%s) is not one this tool decodes\n", path,
			r->first_linktype, name ? name : "unknown");
		pcap_close(r->p);
		r->f = NULL;
		r->st = NULL;
		goto fail_r;
	}
	r->offset = 24;
	*out = r;
	return 0;
fail_f:
	fclose(r->f); /* and the stream with it */
	r->st = NULL;
	s = NULL;
fail_r:
	free(r->buf);
	free(r->ifs);
	free(r);
	return -EINVAL;
fail:
	if (s)
		st_close(s);
	free(r);
	return -EINVAL;
}

static int cap_next_rec(struct cap_reader *r, struct cap_rec *rec);

int cap_next(struct cap_reader *r, struct cap_rec *rec)
{
	int k = cap_next_rec(r, rec);
	uint64_t t;

	if (k != 1 || !r->hw)
		return k;
	if (pcap_hw_timestamp((enum pcap_hwts)r->hw, rec->linktype, rec->data, rec->caplen,
			      rec->len, rec->ts_ns, &t)) {
		rec->ts_ns = t;
		r->hw_with++;
	} else {
		r->hw_without++;
	}
	return k;
}

void cap_set_hw_timestamp(struct cap_reader *r, int kind)
{
	r->hw = kind;
}

void cap_hw_counts(const struct cap_reader *r, uint64_t *with, uint64_t *without)
{
	*with = r->hw_with;
	*without = r->hw_without;
}

static int cap_next_rec(struct cap_reader *r, struct cap_rec *rec)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int k;

	if (r->classic)
		return classic_next(r, rec);
	if (r->ng)
		return ng_next(r, rec);
	k = pcap_next_ex(r->p, &h, &data);
	if (k == 1) {
		r->offset += 16 + (long)h->caplen;
		rec->ts_ns = pcap_record_ns(&h->ts);
		rec->caplen = h->caplen;
		rec->len = h->len;
		rec->linktype = r->first_linktype;
		rec->data = data;
		return 1;
	}
	if (k == PCAP_ERROR) {
		snprintf(r->err, sizeof(r->err), "%s",
			 stream_failure(r) ? stream_failure(r) : pcap_geterr(r->p));
		return -1;
	}
	return 0;
}

const char *cap_error(const struct cap_reader *r)
{
	return r->err;
}

long cap_offset(const struct cap_reader *r)
{
	return r->offset;
}

int cap_linktype(const struct cap_reader *r)
{
	return r->first_linktype;
}

const char *cap_compression(const struct cap_reader *r)
{
	return r->compression;
}

uint64_t cap_bytes_read(const struct cap_reader *r)
{
	if (r->ra)
		return ra_progress(r->ra);
	if (r->st)
		return r->st->raw_bytes;
	return r->f ? (uint64_t)ftell(r->f) : 0;
}

void cap_close(struct cap_reader *r)
{
	if (!r)
		return;
	if (r->p)
		pcap_close(r->p); /* closes r->f, and the stream with it */
	else if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r->ifs);
	free(r);
}
