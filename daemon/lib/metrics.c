// SPDX-License-Identifier: MIT
#include "lib/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/negotiate.h"

#define NSEC_PER_SEC 1000000000ull
#define NO_SAMPLE    UINT32_MAX
#define MAX_LABELS   16
/* Long enough for any sane name, short enough to build suffixed names on the stack. */
#define MAX_NAME_LEN 200
/* Distinct programming errors remembered so that each is logged once per process. */
#define MAX_REPORTED 32

enum sample_kind { SAMPLE_U64, SAMPLE_DOUBLE, SAMPLE_HIST };

/*
 * Strings live in m->text and are referred to by offset, because the text
 * grows (and moves) while a scrape adds samples.
 */
struct sample {
	size_t labels; /* pre-encoded `name="value",...`, without braces */
	uint32_t labels_len;
	uint32_t next; /* next sample of the same family */
	enum sample_kind kind;
	union {
		uint64_t u64;
		double dbl;
		struct {
			size_t buckets; /* index into m->buckets */
			uint64_t sum;
			unsigned n_buckets;
			unsigned first_log2;
		} hist;
	} v;
};

struct metric_family {
	struct metrics *m;
	size_t name, help; /* offsets in m->text */
	enum metric_type type;
	enum metric_unit unit;
	uint32_t first, last; /* sample chain, in insertion order */
};

struct metrics {
	/*
	 * The first n_families are in use, sorted by name; the rest up to
	 * n_allocated are spare structs kept from earlier scrapes.
	 */
	struct metric_family **families;
	size_t n_families, n_allocated, cap_families;
	struct sample *samples;
	size_t n_samples, cap_samples;
	uint64_t *buckets;
	size_t n_buckets, cap_buckets;
	struct buf text;
	bool oom; /* something was dropped for lack of memory: fail the scrape */
	char *reported[MAX_REPORTED];
	unsigned n_reported;
};

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
};

static const char *const unit_names[] = {
	[METRIC_UNIT_NONE] = "no unit",
	[METRIC_UNIT_SECONDS] = "seconds",
};

static const char *const hist_suffixes[] = { "_bucket", "_sum", "_count" };

__attribute__((format(printf, 2, 3))) static void report(struct metrics *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Collectors repeat their mistakes every scrape; the log should not. */
	for (unsigned i = 0; i < m->n_reported; i++)
		if (!strcmp(m->reported[i], msg))
			return;
	if (m->n_reported < MAX_REPORTED) {
		m->reported[m->n_reported] = strdup(msg);
		if (m->reported[m->n_reported])
			m->n_reported++;
	}
	log_err("metrics: %s", msg);
}

/* Returns the array with room for need elements, or NULL (the old one is then untouched). */
static void *grow(void *array, size_t *cap, size_t need, size_t elem_size)
{
	size_t n = *cap ? *cap : 64;

	if (need <= *cap)
		return array;
	while (n < need)
		n *= 2;
	array = realloc(array, n * elem_size);
	if (array)
		*cap = n;
	return array;
}

static const char *text_at(const struct metrics *m, size_t off)
{
	return m->text.data + off;
}

static size_t text_add(struct metrics *m, const char *s)
{
	size_t off = m->text.len;

	/* With the terminating NUL, so that names and help read as C strings. */
	buf_append(&m->text, s, strlen(s) + 1);
	if (m->text.oom)
		m->oom = true;
	return off;
}

static bool name_valid(const char *s, bool colon_ok)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (colon_ok && c == ':') || (i > 0 && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return i > 0 && i <= MAX_NAME_LEN;
}

static bool metric_name_valid(const char *s)
{
	return name_valid(s, true);
}

static bool label_name_valid(const char *s, enum metric_type type)
{
	/* __ is reserved for Prometheus; le is how histograms name their buckets. */
	return name_valid(s, false) && strncmp(s, "__", 2) &&
	       !(type == METRIC_HISTOGRAM && !strcmp(s, "le"));
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		/* Excludes overlong forms and UTF-16 surrogates. */
		if (s[0] == 0xe0)
			lo = 0xa0;
		if (s[0] == 0xed)
			hi = 0x9f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if (s[0] == 0xf0)
			lo = 0x90;
		if (s[0] == 0xf4)
			hi = 0x8f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

/*
 * Label values can come from the kernel (comm, interface names) and one
 * invalid UTF-8 byte makes Prometheus reject the whole scrape, so such
 * bytes become U+FFFD.
 */
static void put_escaped(struct buf *out, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			buf_puts(out, "\xef\xbf\xbd");
			p++;
		} else if (*p == '\\') {
			buf_puts(out, "\\\\");
			p++;
		} else if (*p == '\n') {
			buf_puts(out, "\\n");
			p++;
		} else if (quote && *p == '"') {
			buf_puts(out, "\\\"");
			p++;
		} else {
			buf_append(out, (const char *)p, n);
			p += n;
		}
	}
}

static void put_u64(struct buf *out, uint64_t v)
{
	char s[20];
	size_t i = sizeof(s);

	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_append(out, s + i, sizeof(s) - i);
}

void metrics_format_seconds(struct buf *out, uint64_t ns)
{
	char frac[9];
	uint64_t rest = ns % NSEC_PER_SEC;
	size_t n = sizeof(frac);

	put_u64(out, ns / NSEC_PER_SEC);
	if (!rest)
		return;
	for (size_t i = n; i-- > 0; rest /= 10)
		frac[i] = (char)('0' + rest % 10);
	while (frac[n - 1] == '0')
		n--;
	buf_putc(out, '.');
	buf_append(out, frac, n);
}

static void put_value(struct buf *out, uint64_t v, enum metric_unit unit)
{
	if (unit == METRIC_UNIT_SECONDS)
		metrics_format_seconds(out, v);
	else
		put_u64(out, v);
}

/* The shortest %g form that reads back as the same double. */
static void put_double(struct buf *out, double v)
{
	char s[32];

	if (isnan(v)) {
		buf_puts(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	buf_puts(out, s);
}

/* Index of the family called name, or where it would be inserted. */
static size_t family_find(const struct metrics *m, const char *name, bool *found)
{
	size_t lo = 0, hi = m->n_families;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, text_at(m, m->families[mid]->name));

		if (!cmp) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static const struct metric_family *family_lookup(const struct metrics *m, const char *name)
{
	bool found;
	size_t i = family_find(m, name, &found);

	return found ? m->families[i] : NULL;
}

/*
 * A histogram writes name_bucket, name_sum and name_count: another family
 * with one of those names would put the same series in the output twice.
 */
static const char *family_clash(const struct metrics *m, const char *name, enum metric_type type)
{
	char other[MAX_NAME_LEN + sizeof("_bucket")];
	size_t len = strlen(name);
	const struct metric_family *f;

	for (size_t i = 0; i < sizeof(hist_suffixes) / sizeof(hist_suffixes[0]); i++) {
		const char *suffix = hist_suffixes[i];
		size_t slen = strlen(suffix);

		if (type == METRIC_HISTOGRAM) {
			snprintf(other, sizeof(other), "%s%s", name, suffix);
			if ((f = family_lookup(m, other)))
				return text_at(m, f->name);
		}
		if (len > slen && !strcmp(name + len - slen, suffix)) {
			snprintf(other, sizeof(other), "%.*s", (int)(len - slen), name);
			f = family_lookup(m, other);
			if (f && f->type == METRIC_HISTOGRAM)
				return text_at(m, f->name);
		}
	}
	return NULL;
}

static struct metric_family *family_insert(struct metrics *m, size_t pos)
{
	struct metric_family **families, *f;

	if (m->n_families == m->n_allocated) {
		families =
			grow(m->families, &m->cap_families, m->n_allocated + 1, sizeof(*families));
		if (!families)
			return NULL;
		m->families = families;
		f = malloc(sizeof(*f));
		if (!f)
			return NULL;
		m->families[m->n_allocated++] = f;
	}
	/* Take a spare before the shift below writes over its slot. */
	f = m->families[m->n_families];
	memmove(&m->families[pos + 1], &m->families[pos],
		(m->n_families - pos) * sizeof(*m->families));
	m->families[pos] = f;
	m->n_families++;
	return f;
}

struct metric_family *metrics_family(struct metrics *m, const char *name, const char *help,
				     enum metric_type type, enum metric_unit unit)
{
	struct metric_family *f;
	const char *clash;
	size_t pos, name_off, help_off;
	bool found;

	if (!m || !name)
		return NULL;
	if (!metric_name_valid(name)) {
		report(m, "invalid metric name \"%s\"", name);
		return NULL;
	}
	if ((unsigned)type > METRIC_HISTOGRAM || (unsigned)unit > METRIC_UNIT_SECONDS) {
		report(m, "%s: unknown type %d or unit %d", name, (int)type, (int)unit);
		return NULL;
	}
	pos = family_find(m, name, &found);
	if (found) {
		f = m->families[pos];
		if (f->type != type || f->unit != unit) {
			report(m, "%s: asked for as %s (%s), but it is %s (%s)", name,
			       type_names[type], unit_names[unit], type_names[f->type],
			       unit_names[f->unit]);
			return NULL;
		}
		return f;
	}
	clash = family_clash(m, name, type);
	if (clash) {
		report(m, "%s: its series would collide with those of %s", name, clash);
		return NULL;
	}
	name_off = text_add(m, name);
	help_off = text_add(m, help ? help : "");
	if (m->oom)
		return NULL;
	f = family_insert(m, pos);
	if (!f) {
		m->oom = true;
		return NULL;
	}
	*f = (struct metric_family){
		.m = m,
		.name = name_off,
		.help = help_off,
		.type = type,
		.unit = unit,
		.first = NO_SAMPLE,
		.last = NO_SAMPLE,
	};
	return f;
}

/* Appends the labels to m->text as they will be written; false drops the sample. */
static bool encode_labels(struct metric_family *f, va_list ap, size_t *off, uint32_t *len)
{
	struct metrics *m = f->m;
	const char *family = text_at(m, f->name);
	const char *names[MAX_LABELS];
	const char *name, *value;
	size_t start = m->text.len;
	unsigned n = 0;

	while ((name = va_arg(ap, const char *))) {
		value = va_arg(ap, const char *);
		if (!value) {
			report(m, "%s: label %s has no value", family, name);
			goto drop;
		}
		if (!label_name_valid(name, f->type)) {
			report(m, "%s: invalid label name \"%s\"", family, name);
			goto drop;
		}
		if (n == MAX_LABELS) {
			report(m, "%s: more than %d labels", family, MAX_LABELS);
			goto drop;
		}
		for (unsigned i = 0; i < n; i++) {
			if (!strcmp(names[i], name)) {
				report(m, "%s: label %s given twice", family, name);
				goto drop;
			}
		}
		if (n)
			buf_putc(&m->text, ',');
		names[n++] = name;
		buf_puts(&m->text, name);
		buf_puts(&m->text, "=\"");
		put_escaped(&m->text, value, true);
		buf_putc(&m->text, '"');
	}
	if (m->text.oom || m->text.len - start > UINT32_MAX) {
		m->oom = true;
		goto drop;
	}
	*off = start;
	*len = (uint32_t)(m->text.len - start);
	return true;
drop:
	m->text.len = start;
	return false;
}

/* Returns the new sample (valid until the next one is added), or NULL if it was dropped. */
static struct sample *sample_add(struct metric_family *f, enum sample_kind kind, va_list ap)
{
	struct metrics *m = f->m;
	struct sample *s;
	size_t labels;
	uint32_t labels_len, idx;

	if ((kind == SAMPLE_HIST) != (f->type == METRIC_HISTOGRAM)) {
		report(m, "%s: %s sample added to a %s", text_at(m, f->name),
		       kind == SAMPLE_HIST ? "histogram" : "scalar", type_names[f->type]);
		return NULL;
	}
	s = m->n_samples < NO_SAMPLE
		    ? grow(m->samples, &m->cap_samples, m->n_samples + 1, sizeof(*s))
		    : NULL;
	if (!s) {
		m->oom = true;
		return NULL;
	}
	m->samples = s;
	if (!encode_labels(f, ap, &labels, &labels_len))
		return NULL;
	idx = (uint32_t)m->n_samples++;
	s = &m->samples[idx];
	s->labels = labels;
	s->labels_len = labels_len;
	s->next = NO_SAMPLE;
	s->kind = kind;
	if (f->last == NO_SAMPLE)
		f->first = idx;
	else
		m->samples[f->last].next = idx;
	f->last = idx;
	return s;
}

void metric_u64(struct metric_family *f, uint64_t value, ...)
{
	struct sample *s;
	va_list ap;

	if (!f)
		return;
	va_start(ap, value);
	s = sample_add(f, SAMPLE_U64, ap);
	va_end(ap);
	if (s)
		s->v.u64 = value;
}

void metric_double(struct metric_family *f, double value, ...)
{
	struct sample *s;
	va_list ap;

	if (!f)
		return;
	va_start(ap, value);
	s = sample_add(f, SAMPLE_DOUBLE, ap);
	va_end(ap);
	if (s)
		s->v.dbl = value;
}

void metric_hist(struct metric_family *f, const struct metric_hist *h, ...)
{
	struct metrics *m;
	struct sample *s;
	uint64_t *buckets;
	va_list ap;

	if (!f || !h)
		return;
	m = f->m;
	/* Every finite bound 2^(first_log2 + i) must fit in a u64. */
	if (!h->n_buckets || !h->buckets || h->first_log2 > 63 ||
	    h->n_buckets - 1 > 64 - h->first_log2) {
		report(m, "%s: histogram with %u buckets from 2^%u cannot be written",
		       text_at(m, f->name), h->n_buckets, h->first_log2);
		return;
	}
	/* Reserved first, so that a failure cannot leave a sample without buckets. */
	buckets = grow(m->buckets, &m->cap_buckets, m->n_buckets + h->n_buckets, sizeof(*buckets));
	if (!buckets) {
		m->oom = true;
		return;
	}
	m->buckets = buckets;
	va_start(ap, h);
	s = sample_add(f, SAMPLE_HIST, ap);
	va_end(ap);
	if (!s)
		return;
	memcpy(&m->buckets[m->n_buckets], h->buckets, h->n_buckets * sizeof(*h->buckets));
	s->v.hist.buckets = m->n_buckets;
	s->v.hist.n_buckets = h->n_buckets;
	s->v.hist.first_log2 = h->first_log2;
	s->v.hist.sum = h->sum;
	m->n_buckets += h->n_buckets;
}

static void put_series(struct buf *out, const char *name, const char *suffix,
		       const struct metrics *m, const struct sample *s)
{
	buf_puts(out, name);
	buf_puts(out, suffix);
	if (s->labels_len) {
		buf_putc(out, '{');
		buf_append(out, text_at(m, s->labels), s->labels_len);
		buf_putc(out, '}');
	}
	buf_putc(out, ' ');
}

static void encode_hist(struct buf *out, const struct metrics *m, const struct metric_family *f,
			const struct sample *s)
{
	const uint64_t *b = &m->buckets[s->v.hist.buckets];
	const char *name = text_at(m, f->name);
	unsigned n = s->v.hist.n_buckets;
	uint64_t count = 0;

	for (unsigned i = 0; i < n; i++) {
		count += b[i];
		buf_puts(out, name);
		buf_puts(out, "_bucket{");
		if (s->labels_len) {
			buf_append(out, text_at(m, s->labels), s->labels_len);
			buf_putc(out, ',');
		}
		buf_puts(out, "le=\"");
		if (i + 1 < n)
			put_value(out, 1ull << (s->v.hist.first_log2 + i), f->unit);
		else
			buf_puts(out, "+Inf");
		buf_puts(out, "\"} ");
		put_u64(out, count);
		buf_putc(out, '\n');
	}
	put_series(out, name, "_sum", m, s);
	put_value(out, s->v.hist.sum, f->unit);
	buf_putc(out, '\n');
	put_series(out, name, "_count", m, s);
	put_u64(out, count);
	buf_putc(out, '\n');
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && !memcmp(s + len - n, suffix, n);
}

/*
 * How a family is announced: OpenMetrics calls a counter's family by its
 * name without _total and wants its unit when the name ends in one.
 */
struct family_header {
	const char *name;
	size_t name_len;
	const char *unit; /* NULL: no # UNIT line */
};

static struct family_header family_header(const struct metrics *m, const struct metric_family *f,
					  enum metrics_format format)
{
	static const char *const units[] = { "seconds", "bytes" };
	const char *name = text_at(m, f->name);
	struct family_header h = { name, strlen(name), NULL };

	if (format != METRICS_OPENMETRICS)
		return h;
	if (f->type == METRIC_COUNTER && has_suffix(name, h.name_len, "_total"))
		h.name_len -= strlen("_total");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		char suffix[16];

		snprintf(suffix, sizeof(suffix), "_%s", units[i]);
		if (has_suffix(name, h.name_len, suffix))
			h.unit = units[i];
	}
	return h;
}

static void put_meta(struct buf *out, const char *what, const struct family_header *h)
{
	buf_puts(out, what);
	buf_append(out, h->name, h->name_len);
	buf_putc(out, ' ');
}

static void encode_family(struct buf *out, const struct metrics *m, const struct metric_family *f,
			  enum metrics_format format)
{
	struct family_header h = family_header(m, f, format);
	const char *name = text_at(m, f->name);

	put_meta(out, "# HELP ", &h);
	/* Text 0.0.4 keeps quotes in HELP as they are; OpenMetrics escapes them. */
	put_escaped(out, text_at(m, f->help), format == METRICS_OPENMETRICS);
	buf_putc(out, '\n');
	put_meta(out, "# TYPE ", &h);
	buf_puts(out, type_names[f->type]);
	buf_putc(out, '\n');
	if (h.unit) {
		put_meta(out, "# UNIT ", &h);
		buf_puts(out, h.unit);
		buf_putc(out, '\n');
	}
	for (uint32_t i = f->first; i != NO_SAMPLE; i = m->samples[i].next) {
		const struct sample *s = &m->samples[i];

		switch (s->kind) {
		case SAMPLE_U64:
			put_series(out, name, "", m, s);
			put_value(out, s->v.u64, f->unit);
			break;
		case SAMPLE_DOUBLE:
			put_series(out, name, "", m, s);
			put_double(out, f->unit == METRIC_UNIT_SECONDS ? s->v.dbl / 1e9 : s->v.dbl);
			break;
		case SAMPLE_HIST: encode_hist(out, m, f, s); continue;
		}
		buf_putc(out, '\n');
	}
}

int metrics_encode_as(const struct metrics *m, struct buf *out, enum metrics_format format)
{
	/* A partial exposition would read as counter resets; better no scrape at all. */
	if (m->oom)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_families; i++) {
		const struct metric_family *f = m->families[i];

		/* Like client_golang: a family without samples is not written. */
		if (f->first != NO_SAMPLE)
			encode_family(out, m, f, format);
	}
	if (format == METRICS_OPENMETRICS)
		buf_puts(out, "# EOF\n");
	return out->oom ? -ENOMEM : 0;
}

/* First choice first; both OpenMetrics versions are written the same way. */
static const struct media_offer format_offers[] = {
	{ "text/plain", "0.0.4" },
	{ "application/openmetrics-text", "1.0.0" },
	{ "application/openmetrics-text", "0.0.1" },
};
static const char *const format_types[] = {
	"text/plain; version=0.0.4; charset=utf-8",
	"application/openmetrics-text; version=1.0.0; charset=utf-8",
	"application/openmetrics-text; version=0.0.1; charset=utf-8",
};

const char *metrics_negotiate(const char *accept, enum metrics_format *format)
{
	unsigned i = negotiate_media(accept, format_offers,
				     sizeof(format_offers) / sizeof(format_offers[0]));

	*format = i ? METRICS_OPENMETRICS : METRICS_TEXT;
	return format_types[i];
}

int metrics_encode(const struct metrics *m, struct buf *out)
{
	return metrics_encode_as(m, out, METRICS_TEXT);
}

int metrics_each_sample(const struct metrics *m, const char *name,
			void (*fn)(const struct metric_sample_view *s, void *arg), void *arg)
{
	const struct metric_family *f = m ? family_lookup(m, name) : NULL;
	int n = 0;

	if (!f)
		return -ENOENT;
	for (uint32_t i = f->first; i != NO_SAMPLE; i = m->samples[i].next, n++) {
		const struct sample *s = &m->samples[i];
		struct metric_sample_view v = {
			.labels = text_at(m, s->labels),
			.labels_len = s->labels_len,
			.type = f->type,
		};

		switch (s->kind) {
		case SAMPLE_U64: v.value = (double)s->v.u64; break;
		case SAMPLE_DOUBLE: v.value = s->v.dbl; break;
		case SAMPLE_HIST:
			v.hist = (struct metric_hist){
				.buckets =
					(const unsigned long long *)&m->buckets[s->v.hist.buckets],
				.n_buckets = s->v.hist.n_buckets,
				.first_log2 = s->v.hist.first_log2,
				.sum = s->v.hist.sum,
			};
			break;
		}
		fn(&v, arg);
	}
	return n;
}

int metric_sample_label(const struct metric_sample_view *s, const char *name, char *out,
			size_t size)
{
	const char *p = s->labels, *end = s->labels + s->labels_len;
	size_t len = strlen(name), n = 0;

	while (p < end) {
		bool match = (size_t)(end - p) > len + 1 && !strncmp(p, name, len) && p[len] == '=';

		p = (const char *)memchr(p, '"', (size_t)(end - p)) +
		    1; /* encode_labels wrote name="value" */
		for (; p < end && *p != '"'; p++) {
			char c = *p;

			if (c == '\\' && p + 1 < end) {
				c = *++p == 'n' ? '\n' : *p;
			}
			if (match) {
				if (n + 1 >= size)
					return -ENOSPC;
				out[n++] = c;
			}
		}
		if (match) {
			out[n] = '\0';
			return 0;
		}
		p += 2; /* the closing quote and the comma */
	}
	return -ENOENT;
}

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_clear(struct metrics *m)
{
	if (!m)
		return;
	m->n_families = 0;
	m->n_samples = 0;
	m->n_buckets = 0;
	m->oom = false;
	buf_reset(&m->text);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_allocated; i++)
		free(m->families[i]);
	free(m->families);
	free(m->samples);
	free(m->buckets);
	buf_free(&m->text);
	for (unsigned i = 0; i < m->n_reported; i++)
		free(m->reported[i]);
	free(m);
}
