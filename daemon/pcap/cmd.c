// SPDX-License-Identifier: MIT
/*
 * `jitterd pcap`: the command line, and reading captures with libpcap.
 *
 *   jitterd pcap [--config FILE] [options] FILE...     files, one after the other
 *                                                      ("-": standard input)
 *   jitterd pcap [--config FILE] --interface IF        live, a line per second
 *   jitterd pcap [--config FILE] match A B             two capture points
 *
 * Files are pcap (micro- or nanosecond) or pcapng, opened by libpcap at
 * nanosecond precision. A file libpcap cannot open is an error naming it,
 * exit 2. A damaged record (a file cut short, a record length no capture
 * has) ends the reading of its file: a warning names the file and the
 * byte offset of the record, the report has what came before (and says
 * where the damage is), and only when no frame at all could be read is
 * the exit 2, as tshark.
 *
 * Exit codes: 0 done, 1 runtime failure, 2 bad usage, config or input.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/parse.h"
#include "pcap/capture.h"
#include "pcap/cmd.h"
#include "pcap/input.h"
#include "pcap/libpcap.h"
#include "pcap/match.h"
#include "pcap/merge.h"

struct pcap_args {
	const char *config_path;
	const char *interface;
	const char *html;
	const char *samples;
	const char *filter; /* a capture filter (pcap-filter(7)) */
	bool quiet;	    /* no progress line on a terminal */
	enum pcap_output output;
	uint64_t duration_ns; /* live: stop after this; 0 = at SIGINT */
	uint64_t line_ns;     /* live: a line this often */
	struct pcap_options o;
	const char *trigger_names[PCAP_MAX_TRIGGERS][2];
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jitterd pcap [--config FILE] [options] FILE...   (- : standard input)\n"
		"       jitterd pcap [--config FILE] [options] --interface IF\n"
		"       jitterd pcap [--config FILE] [options] match A B\n"
		"       jitterd pcap merge A.json B.json ...   (reports of --json, made one)\n"
		"  -c, --config FILE        jitterd.yaml: collectors.sockets.classes name the "
		"flows\n"
		"      --json               the report as JSON (schema: docs/pcap.md)\n"
		"      --openmetrics        the report as metrics (jitterd_pcap_*)\n"
		"      --html FILE          also write a self-contained HTML page with plots\n"
		"      --interval DUR       throughput window (1ms)\n"
		"      --burst-bps N        a window above N bits/s is a microburst\n"
		"      --burst-packets N    a window with more than N packets is a microburst\n"
		"      --trigger T:R        time from the latest packet of class T to each of R\n"
		"      --trigger-window DUR how far back a trigger counts (10ms)\n"
		"      --window DUR         match: how long a packet at A waits for B (1s)\n"
		"      --clock-offset auto|DUR  match: B's clock minus A's, taken off B's times;\n"
		"                           auto: estimated from flows seen both ways (the\n"
		"                           captures are read twice)\n"
		"      --dup-window DUR     a frame equal to one of its flow's last two within "
		"DUR\n"
		"                           is a tap's copy, left out (100us; 0s: keep them)\n"
		"      --top N              unclassified flows shown (10)\n"
		"      --max-flows N        flows followed (1048576); more are counted apart\n"
		"      --all-flows          --json: list every flow (all_flows)\n"
		"      --no-reassembly      IP fragments counted only, not reassembled\n"
		"      --timestamp SRC      whose time a frame has: capture (the host's), or the\n"
		"                           gear's: arista (0xd28b header), metamako (7130\n"
		"                           trailer), exablaze (Nexus 3550 trailer)\n"
		"      --samples FILE       every latency sample: kind,class,frame,ts_ns,value_ns\n"
		"  -i, --interface IF       capture live (immediate mode, ns timestamps if "
		"offered)\n"
		"      --duration DUR       live: stop after DUR instead of at Ctrl-C\n"
		"  -f, --filter EXPR        only packets that pcap-filter(7) EXPR selects\n"
		"      --threads N          1: read and analyse on one thread; more: a file is\n"
		"                           read (and decompressed) on a thread of its own\n"
		"                           (default: the CPUs this process may use)\n"
		"  -q, --quiet              no progress line on a terminal (stderr)\n"
		"  -h, --help               this text\n");
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "jitterd pcap: %s %s: %s\n", opt, val, why);
	return -EINVAL;
}

/* --threads' default: the CPUs this process may run on (taskset, cgroup cpusets). */
static uint32_t cpus_usable(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	n = CPU_COUNT(&set);
	return n > 0 ? (uint32_t)n : 1;
}

static int parse_args(int argc, char **argv, struct pcap_args *pa)
{
	enum {
		O_JSON = 256,
		O_OM,
		O_HTML,
		O_INTERVAL,
		O_BBPS,
		O_BPK,
		O_TRIG,
		O_TWIN,
		O_TOP,
		O_MAXF,
		O_SAMPLES,
		O_DURATION,
		O_WINDOW,
		O_DUPWIN,
		O_CLOCK,
		O_NOREASM,
		O_HWTS,
		O_THREADS,
		O_ALL
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, O_JSON },
		{ "openmetrics", no_argument, NULL, O_OM },
		{ "html", required_argument, NULL, O_HTML },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "burst-bps", required_argument, NULL, O_BBPS },
		{ "burst-packets", required_argument, NULL, O_BPK },
		{ "trigger", required_argument, NULL, O_TRIG },
		{ "trigger-window", required_argument, NULL, O_TWIN },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "dup-window", required_argument, NULL, O_DUPWIN },
		{ "clock-offset", required_argument, NULL, O_CLOCK },
		{ "top", required_argument, NULL, O_TOP },
		{ "max-flows", required_argument, NULL, O_MAXF },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "all-flows", no_argument, NULL, O_ALL },
		{ "no-reassembly", no_argument, NULL, O_NOREASM },
		{ "timestamp", required_argument, NULL, O_HWTS },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "filter", required_argument, NULL, 'f' },
		{ "interface", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *why;
	uint64_t v;
	int c;

	pcap_options_defaults(&pa->o);
	pa->o.threads = cpus_usable();
	pa->line_ns = NS_PER_S;
	optind = 1; /* argv[0] is "pcap" */
	while ((c = getopt_long(argc, argv, "+c:i:f:hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': pa->config_path = optarg; break;
		case O_JSON: pa->output = PCAP_OUT_JSON; break;
		case O_OM: pa->output = PCAP_OUT_OPENMETRICS; break;
		case O_HTML: pa->html = optarg; break;
		case O_SAMPLES: pa->samples = optarg; break;
		case O_ALL: pa->o.all_flows = true; break;
		case O_NOREASM: pa->o.no_reassembly = true; break;
		case O_HWTS: {
			int k;

			for (k = 0; k < HWTS_N && strcmp(optarg, pcap_hwts_names[k]); k++)
				;
			if (k == HWTS_N)
				return bad("--timestamp", optarg,
					   "use capture, arista, metamako or exablaze");
			pa->o.hw_ts = (enum pcap_hwts)k;
			break;
		}
		case 'q': pa->quiet = true; break;
		case 'f': pa->filter = optarg; break;
		case 'i': pa->interface = optarg; break;
		case O_DUPWIN:
			if (parse_duration_ns(optarg, &pa->o.dup_window, &why))
				return bad("--dup-window", optarg, why);
			break;
		case O_CLOCK: {
			bool minus = optarg[0] == '-';

			if (!strcmp(optarg, "auto")) {
				pa->o.clock_offset_auto = true;
				break;
			}
			if (parse_duration_ns(optarg + minus, &v, &why))
				return bad("--clock-offset", optarg, why);
			if (v > INT64_MAX)
				return bad("--clock-offset", optarg, "out of range");
			pa->o.clock_offset = minus ? -(int64_t)v : (int64_t)v;
			pa->o.clock_offset_auto = false;
			break;
		}
		case O_INTERVAL:
		case O_TWIN:
		case O_DURATION:
		case O_WINDOW:
			if (parse_duration_ns(optarg, &v, &why))
				return bad(argv[optind - 2], optarg, why);
			if (!v)
				return bad(argv[optind - 2], optarg, "must be more than 0");
			if (c == O_INTERVAL)
				pa->o.interval_ns = v;
			else if (c == O_TWIN)
				pa->o.trigger_window = v;
			else if (c == O_WINDOW)
				pa->o.match_window = v;
			else
				pa->duration_ns = v;
			break;
		case O_THREADS:
			if (parse_uint(optarg, &v, &why))
				return bad("--threads", optarg, why);
			if (!v || v > 1024)
				return bad("--threads", optarg, "from 1 to 1024");
			pa->o.threads = (uint32_t)v;
			break;
		case O_BBPS:
		case O_BPK:
		case O_TOP:
		case O_MAXF:
			if (parse_uint(optarg, &v, &why))
				return bad(argv[optind - 2], optarg, why);
			if ((c == O_TOP || c == O_MAXF) && (v > UINT32_MAX || (c == O_MAXF && !v)))
				return bad(argv[optind - 2], optarg, "out of range");
			if (c == O_BBPS)
				pa->o.burst_bps = v;
			else if (c == O_BPK)
				pa->o.burst_packets = v;
			else if (c == O_TOP)
				pa->o.top = (uint32_t)v;
			else
				pa->o.max_flows = (uint32_t)v;
			break;
		case O_TRIG: {
			char *colon = strchr(optarg, ':');

			if (!colon || colon == optarg || !colon[1])
				return bad("--trigger", optarg, "use TRIGGER_CLASS:RESPONSE_CLASS");
			if (pa->o.n_triggers == PCAP_MAX_TRIGGERS)
				return bad("--trigger", optarg, "too many");
			*colon = 0;
			pa->trigger_names[pa->o.n_triggers][0] = optarg;
			pa->trigger_names[pa->o.n_triggers++][1] = colon + 1;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	return 0;
}

static int class_index(const struct jd_socket_classes *cl, const char *name)
{
	for (int i = 0; i < cl->n; i++)
		if (!strcmp(cl->at[i].name, name))
			return i;
	return -1;
}

/* The classes, and the rules across them that one class's row cannot check. */
static int load_classes(struct pcap_args *pa, struct jd_config *cfg,
			struct jd_socket_classes **classes)
{
	static struct jd_socket_classes none;

	config_defaults(cfg);
	*classes = &none;
	if (pa->config_path) {
		if (config_load_file(cfg, pa->config_path, 0, stderr))
			return -EINVAL;
		*classes = config_field(cfg, "collectors.sockets.classes");
	}
	for (int i = 0; i < (*classes)->n; i++) {
		const struct jd_socket_class *x = &(*classes)->at[i];
		int legs = 0;

		if (!x->leg)
			continue;
		for (int j = 0; j < (*classes)->n; j++)
			if (!strcmp((*classes)->at[j].feed, x->feed))
				legs |= 1 << (*classes)->at[j].leg;
		if (legs != (1 << JD_LEG_A | 1 << JD_LEG_B)) {
			fprintf(stderr,
				"%s: feed \"%s\" needs one class with leg a and one with leg b\n",
				pa->config_path, x->feed);
			return -EINVAL;
		}
	}
	for (int i = 0; i < pa->o.n_triggers; i++) {
		for (int k = 0; k < 2; k++) {
			int ci = class_index(*classes, pa->trigger_names[i][k]);

			if (ci < 0)
				return bad("--trigger", pa->trigger_names[i][k],
					   "no socket class of that name in the config");
			if (k == 0)
				pa->o.triggers[i].trigger = ci;
			else
				pa->o.triggers[i].response = ci;
		}
	}
	return 0;
}

/* ---- files -------------------------------------------------------------- */

/* --filter, compiled by libpcap for this capture's link type. */
static int compile_filter(pcap_t *p, const char *expr, const char *what, struct bpf_program *prog)
{
	if (!pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN))
		return 0;
	fprintf(stderr, "jitterd pcap: %s: --filter %s: %s\n", what, expr, pcap_geterr(p));
	return -EINVAL;
}

/* Live: the kernel filters. */
static int set_filter(pcap_t *p, const char *expr, const char *what)
{
	struct bpf_program prog;
	int ret;

	if (!expr)
		return 0;
	if (compile_filter(p, expr, what, &prog))
		return -EINVAL;
	ret = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (ret)
		fprintf(stderr, "jitterd pcap: %s: --filter %s: %s\n", what, expr, pcap_geterr(p));
	return ret ? -EINVAL : 0;
}

/* ---- progress on a terminal ------------------------------------------------- */

/*
 * On a terminal (stderr), a line that says how far reading has come: the
 * bytes of the file read (compressed bytes for a compressed one) of its
 * size, packets, the rate and the time left; looked at every 65536
 * packets, drawn at the first look and then at most 4 times a second;
 * erased when the file is read.
 * Nothing when stderr is not a terminal or with --quiet.
 */
#define PROGRESS_EVERY 65536

static struct {
	bool on;
	bool drawn;
	const char *path;
	uint64_t size; /* 0: unknown (standard input) */
	uint64_t start_ns, last_ns, packets, next_check;
} progress;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void progress_file(const char *path, const struct cap_reader *r)
{
	struct stat st;

	(void)r;
	if (!progress.on)
		return;
	progress.path = path;
	progress.size = strcmp(path, "-") && !stat(path, &st) && S_ISREG(st.st_mode)
				? (uint64_t)st.st_size
				: 0;
	progress.start_ns = mono_ns();
	progress.last_ns = 0; /* the first look draws */
	progress.next_check = PROGRESS_EVERY;
	progress.packets = 0;
}

static void progress_draw(const struct cap_reader *r, uint64_t packets, uint64_t now)
{
	double secs = (double)(now - progress.start_ns) / 1e9, bytes = (double)cap_bytes_read(r);
	double rate = secs > 0 ? (double)packets / secs : 0, brate = secs > 0 ? bytes / secs : 0;

	fprintf(stderr, "\r\033[K%s: %.1f MB", progress.path, bytes / 1e6);
	if (progress.size)
		fprintf(stderr, " of %.1f MB (%.0f%%)", (double)progress.size / 1e6,
			100.0 * bytes / (double)progress.size);
	fprintf(stderr, ", %llu packets, %.2f M packets/s, %.1f MB/s", (unsigned long long)packets,
		rate / 1e6, brate / 1e6);
	if (progress.size && brate > 0 && bytes <= (double)progress.size) {
		unsigned left = (unsigned)(((double)progress.size - bytes) / brate + 0.5);

		fprintf(stderr, ", %u:%02u left", left / 60, left % 60);
	}
	progress.drawn = true;
}

/* A record read: all it costs is a count and a compare, when on. */
static inline void progress_tick(const struct cap_reader *r)
{
	uint64_t now;

	if (!progress.on || ++progress.packets < progress.next_check)
		return;
	progress.next_check += PROGRESS_EVERY;
	now = mono_ns();
	if (now - progress.last_ns < NS_PER_S / 4)
		return;
	progress.last_ns = now;
	progress_draw(r, progress.packets, now);
}

static void progress_done(void)
{
	if (progress.on && progress.drawn)
		fputs("\r\033[K", stderr);
	progress.drawn = false;
}

/* --filter for each link type a file has (pcapng: one per interface). */
#define FILTER_TYPES 8
struct file_filter {
	const char *expr;
	int n;
	int linktype[FILTER_TYPES];
	bool ok[FILTER_TYPES];
	struct bpf_program prog[FILTER_TYPES];
};

/* Whether the filter takes the record: -1 when it cannot be compiled. */
static int filter_takes(struct file_filter *ff, const char *path, const struct cap_rec *rec)
{
	struct pcap_pkthdr h = { .caplen = rec->caplen, .len = rec->len };
	int i;

	for (i = 0; i < ff->n && ff->linktype[i] != rec->linktype; i++)
		;
	if (i == ff->n) {
		pcap_t *dead;

		if (ff->n == FILTER_TYPES)
			return -1;
		dead = pcap_open_dead(rec->linktype, 262144);
		if (!dead)
			return -1;
		ff->linktype[i] = rec->linktype;
		ff->ok[i] = !compile_filter(dead, ff->expr, path, &ff->prog[i]);
		pcap_close(dead);
		ff->n++;
	}
	if (!ff->ok[i])
		return -1;
	return pcap_offline_filter(&ff->prog[i], &h, rec->data) != 0;
}

/* A file, or standard input ("-"), compressed or not. Files are filtered
 * here, record by record, so that a damaged record's offset counts every
 * record before it. */
static int read_file(struct pcap_analysis *a, const char *path, const char *filter,
		     enum pcap_hwts hw_ts, bool read_ahead)
{
	struct file_filter ff = { .expr = filter };
	struct cap_reader *r;
	struct cap_rec rec;
	int k, ret = 0;

	if (cap_open(path, read_ahead, &r))
		return -EINVAL;
	if (filter) { /* compiled now for the first link type: a bad one is said before reading */
		rec = (struct cap_rec){ .linktype = cap_linktype(r), .data = (const uint8_t *)"" };
		if (filter_takes(&ff, path, &rec) < 0) {
			cap_close(r);
			ret = -EINVAL;
			goto out;
		}
	}
	pcap_analysis_add_file(a, path);
	progress_file(path, r);
	cap_set_hw_timestamp(r, hw_ts);
	while ((k = cap_next(r, &rec)) == 1) {
		progress_tick(r);
		if (filter) {
			int t = filter_takes(&ff, path, &rec);

			if (t < 0) {
				ret = -EINVAL;
				break;
			}
			if (!t)
				continue;
		}
		pcap_analysis_frame(a, rec.linktype, rec.ts_ns, rec.data, rec.caplen, rec.len);
	}
	progress_done();
	if (hw_ts) {
		uint64_t with, without;

		cap_hw_counts(r, &with, &without);
		pcap_analysis_hw_counts(a, with, without);
	}
	if (k < 0) {
		pcap_read_error(path, cap_offset(r), cap_error(r));
		pcap_analysis_damage(a, cap_offset(r), cap_error(r));
	}
	cap_close(r);
out:
	for (int i = 0; i < ff.n; i++)
		if (ff.ok[i])
			pcap_freecode(&ff.prog[i]);
	return ret;
}

/* ---- live --------------------------------------------------------------- */

static volatile sig_atomic_t stop;
static pcap_t *live;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
	if (live)
		pcap_breakloop(live);
}

struct live_ctx {
	struct pcap_analysis *a;
	int linktype;
	bool nano;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_ctx *lc = (struct live_ctx *)user;
	uint64_t frac = (uint64_t)h->ts.tv_usec * (lc->nano ? 1 : 1000);

	pcap_analysis_frame(lc->a, lc->linktype, (uint64_t)h->ts.tv_sec * NS_PER_S + frac, data,
			    h->caplen, h->len);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int capture_live(struct pcap_analysis *a, const struct pcap_args *pa)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct sigaction sa = { .sa_handler = on_signal };
	struct live_ctx lc = { .a = a };
	struct pcap_stat st;
	uint64_t start = now_ns(), next_line = start + pa->line_ns;
	int r;

	live = pcap_create(pa->interface, err);
	if (!live) {
		fprintf(stderr, "jitterd pcap: %s: %s\n", pa->interface, err);
		return -EINVAL;
	}
	pcap_set_snaplen(live, 262144);
	pcap_set_immediate_mode(live, 1);
	pcap_set_timeout(live, 100);
	pcap_set_buffer_size(live, 32 << 20); /* a busy host may not run us for a while */
	pcap_set_tstamp_precision(live, PCAP_TSTAMP_PRECISION_NANO); /* where offered */
	r = pcap_activate(live);
	if (r < 0) {
		fprintf(stderr, "jitterd pcap: %s: %s\n", pa->interface, pcap_geterr(live));
		pcap_close(live);
		return r == PCAP_ERROR_NO_SUCH_DEVICE || r == PCAP_ERROR_PERM_DENIED ? -EINVAL
										     : -EIO;
	}
	lc.nano = pcap_get_tstamp_precision(live) == PCAP_TSTAMP_PRECISION_NANO;
	if (set_filter(live, pa->filter, pa->interface)) {
		pcap_close(live);
		return -EINVAL;
	}
	lc.linktype = pcap_datalink(live);
	if (!pcap_linktype_supported(lc.linktype)) {
		fprintf(stderr, "jitterd pcap: %s: link type %d is not one this tool decodes\n",
			pa->interface, lc.linktype);
		pcap_close(live);
		return -EINVAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pcap_analysis_add_file(a, pa->interface);
	fprintf(stderr, "jitterd pcap: capturing on %s (%s timestamps); Ctrl-C ends\n",
		pa->interface, lc.nano ? "nanosecond" : "microsecond");
	pcap_analysis_interval_line(a, stdout, start);
	while (!stop) {
		uint64_t t;

		r = pcap_dispatch(live, -1, on_packet, (u_char *)&lc);
		if (r == PCAP_ERROR) {
			fprintf(stderr, "jitterd pcap: %s: %s\n", pa->interface, pcap_geterr(live));
			break;
		}
		t = now_ns();
		if (t >= next_line) {
			pcap_analysis_interval_line(
				a, pa->output == PCAP_OUT_TEXT ? stdout : stderr, t);
			next_line += pa->line_ns;
		}
		if (pa->duration_ns && t - start >= pa->duration_ns)
			break;
	}
	/* what came before the stop and is still in the buffer */
	pcap_setnonblock(live, 1, err);
	while (pcap_dispatch(live, -1, on_packet, (u_char *)&lc) > 0)
		;
	if (pcap_stats(live, &st) == 0)
		fprintf(stderr,
			"jitterd pcap: %s: %u packets received by the filter, %u dropped by "
			"the kernel, %u by the interface\n",
			pa->interface, st.ps_recv, st.ps_drop, st.ps_ifdrop);
	pcap_close(live);
	live = NULL;
	return r == PCAP_ERROR ? -EIO : 0;
}

/* ---- output ------------------------------------------------------------- */

static int write_report(struct pcap_analysis *a, const struct pcap_args *pa)
{
	struct buf out = {};
	json_t *j = NULL;
	int ret = 0;

	if (pa->output == PCAP_OUT_JSON || pa->html)
		j = pcap_report_json(a);
	if (pa->output == PCAP_OUT_TEXT) {
		pcap_report_text(a, stdout);
	} else if (pa->output == PCAP_OUT_JSON) {
		ret = json_append(&out, j);
		buf_putc(&out, '\n');
	} else {
		ret = pcap_report_openmetrics(a, &out);
	}
	if (!ret && out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
		ret = -EIO;
	if (!ret && pa->html) {
		ret = pcap_report_html(j, pa->html);
		if (ret)
			fprintf(stderr, "jitterd pcap: %s: %s\n", pa->html, strerror(-ret));
	}
	json_decref(j);
	buf_free(&out);
	return ret;
}

int pcap_main(int argc, char **argv)
{
	struct pcap_args pa = {};
	struct jd_config *cfg = malloc(sizeof(*cfg));
	struct jd_socket_classes *classes;
	struct pcap_analysis *a = NULL;
	int status = 2;

	if (!cfg)
		return 1;
	if (pcap_lib_open()) {
		free(cfg);
		return 1;
	}
	if (parse_args(argc, argv, &pa) || load_classes(&pa, cfg, &classes))
		goto out;
	if (pa.samples) {
		pa.o.samples = fopen(pa.samples, "w");
		if (!pa.o.samples) {
			fprintf(stderr, "jitterd pcap: %s: %s\n", pa.samples, strerror(errno));
			goto out;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "merge")) {
		if (argc - optind < 2) {
			fprintf(stderr,
				"jitterd pcap: merge takes reports: merge A.json B.json ...\n");
			goto out;
		}
		status = pcap_merge_main(argc - optind - 1, argv + optind + 1);
		goto out;
	}
	if (optind < argc && !strcmp(argv[optind], "match")) {
		if (argc - optind != 3) {
			fprintf(stderr, "jitterd pcap: match takes two captures: match A B\n");
			usage(stderr);
			goto out;
		}
		status = pcap_match_main(argc - optind - 1, argv + optind + 1, classes, &pa.o,
					 pa.output, pa.html);
		goto out;
	}
	if (!pa.interface && optind == argc) {
		fprintf(stderr, "jitterd pcap: no capture file (or --interface)\n");
		usage(stderr);
		goto out;
	}
	if (pa.interface && optind < argc) {
		fprintf(stderr, "jitterd pcap: --interface or files, not both\n");
		goto out;
	}
	a = pcap_analysis_new(&pa.o, classes);
	if (!a) {
		status = 1;
		goto out;
	}
	if (pa.interface) {
		int r = capture_live(a, &pa);

		if (r) {
			status = r == -EINVAL ? 2 : 1;
			goto out;
		}
	}
	progress.on = !pa.quiet && isatty(STDERR_FILENO);
	for (int i = optind; i < argc; i++)
		if (read_file(a, argv[i], pa.filter, pa.o.hw_ts, pa.o.threads > 1))
			goto out;
	if (!pa.interface && !pcap_analysis_frames(a) && optind < argc)
		goto out; /* nothing could be read (said on stderr) */
	pcap_analysis_finish(a);
	status = write_report(a, &pa) ? 1 : 0;
out:
	if (pa.o.samples)
		fclose(pa.o.samples);
	pcap_analysis_free(a);
	free(cfg);
	return status;
}
