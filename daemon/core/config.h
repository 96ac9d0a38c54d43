/* SPDX-License-Identifier: MIT */
/*
 * jitterd configuration: the whole schema of jitterd.yaml as one struct.
 * Defaults are in the schema's rows (config.c) and must equal what the
 * commented config/jitterd.yaml says; a unit test holds them together.
 */
#ifndef JD_CONFIG_H
#define JD_CONFIG_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JD_NAME_MAX		 64 /* names used as label values, incl. NUL */
#define JD_MAX_EVENT_KINDS	 32 /* kinds of event, all collectors' and the daemon's */
#define JD_MAX_CPU_GROUPS	 16
#define JD_MAX_WORKLOADS	 32
#define JD_MAX_SOCKET_CLASSES	 32
#define JD_MAX_PORT_RANGES	 16 /* per port list */
#define JD_COMM_GLOB_MAX	 64
#define JD_PATH_MAX		 256
#define JD_MAX_COLLECTORS	 8
#define JD_COLLECTOR_OPTIONS_MAX 12288 /* bytes of a collector's own options struct */
#define JD_MAX_SESSIONS		 8
#define JD_AN_MAX_SIGNALS	 32 /* anomaly.signals rows of all collectors */

struct jd_cpu_group {
	char name[JD_NAME_MAX];
	cpu_set_t cpus;
};

struct jd_workload {
	char name[JD_NAME_MAX];
	char comm[JD_COMM_GLOB_MAX]; /* fnmatch glob on the 15-char comm; "" = any */
	char cgroup[JD_PATH_MAX];    /* cgroup v2 path, "" = any; at least one of the two is set */
	char sockets[JD_PATH_MAX];   /* its socket classes, comma-separated ("": none) */
};

struct jd_port_range {
	uint16_t first, last; /* inclusive */
};

enum jd_protocol { JD_PROTO_TCP = 1, JD_PROTO_UDP = 2 };

/* Captures only (jitterd pcap): where a UDP payload holds its sequence
 * number; size 0 = none. The sockets collector ignores these. */
enum jd_byte_order { JD_BIG_ENDIAN = 1, JD_LITTLE_ENDIAN = 2 };
/* A known framing that says where everything is (format: moldudp64). */
enum jd_seq_format { JD_SEQ_PLAIN = 0, JD_SEQ_MOLDUDP64 = 1 };
#define JD_SESSION_MAX 16
struct jd_seq_field {
	uint32_t offset; /* bytes into the UDP payload */
	uint32_t size;	 /* 0 = none */
};
struct jd_sequence {
	uint32_t offset; /* bytes into the UDP payload */
	uint32_t size;	 /* 2, 4 or 8 */
	enum jd_byte_order byte_order;
	/* Messages in the packet (1, 2 or 4 bytes, the same byte order): the
	 * sequence number is the first one's, the next packet's is this plus
	 * count. Size 0: one message a packet. */
	struct jd_seq_field count;
	/* Bytes naming the sequence space (a session, 1 to JD_SESSION_MAX):
	 * each value is a stream of its own. Size 0: none. */
	struct jd_seq_field session;
	enum jd_seq_format format;
};

/* Captures only: this class is leg A or B of feed (A/B arbitration). */
enum jd_leg { JD_LEG_NONE = 0, JD_LEG_A = 1, JD_LEG_B = 2 };

struct jd_socket_class {
	char name[JD_NAME_MAX];
	enum jd_protocol protocol;
	struct jd_port_range local_ports[JD_MAX_PORT_RANGES];
	int n_local_ports;
	struct jd_port_range remote_ports[JD_MAX_PORT_RANGES];
	int n_remote_ports;
	char local_address[64]; /* textual IPv4/IPv6 address, "" = any */
	struct jd_sequence sequence;
	char feed[JD_NAME_MAX]; /* "" = not a leg of an A/B feed */
	enum jd_leg leg;
};

/* A list of classes (collectors.sockets.classes: config_field() gives this). */
struct jd_socket_classes {
	struct jd_socket_class at[JD_MAX_SOCKET_CLASSES];
	int n;
};

enum jd_anomaly_method { JD_AN_METHOD_MAD, JD_AN_METHOD_EWMA };

/*
 * anomaly.signals.<name>: the rows come from the signals the collectors
 * declare (daemon/anomaly/signal.h); signals[] holds them in the order of
 * collectors_signal_configs().
 */
struct jd_anomaly_signal {
	bool enabled;
	/* The smallest excess over the baseline that can be an anomaly, in the
	 * signals' unit: ns for latencies, per second for rates, percent for
	 * shares, bytes for queues (the row says which field it fills). */
	uint64_t floor_ns;
	uint32_t floor;
	bool p50, p99, p999; /* runqueue_latency: which quantiles are judged */
};

struct jd_anomaly_session {
	char name[JD_NAME_MAX];
	uint32_t start_min, end_min; /* minutes after local midnight; end < start wraps */
};

struct jd_anomaly_config {
	bool enabled;
	uint64_t interval_ns;
	int method; /* enum jd_anomaly_method */
	uint32_t window, warmup, sensitivity, raise_after, clear_after, min_samples;
	struct jd_anomaly_signal signals[JD_AN_MAX_SIGNALS];
	struct {
		bool cpu_groups, workloads, cpus, vectors, sockets;
	} subjects;
	struct jd_anomaly_session sessions[JD_MAX_SESSIONS];
	int n_sessions;
	char record[JD_PATH_MAX]; /* append each interval's signal values here ("" = no) */
};

struct jd_config {
	char listen[128];	      /* "ADDR:PORT", ":PORT", "[v6]:PORT" */
	char web_config[JD_PATH_MAX]; /* TLS and basic auth (webconfig.h); "" = none */

	/* A partition of the CPUs. n_cpu_groups == 0 means one group "all". */
	struct jd_cpu_group cpu_groups[JD_MAX_CPU_GROUPS];
	int n_cpu_groups;

	struct jd_workload workloads[JD_MAX_WORKLOADS];
	int n_workloads;

	/*
	 * collectors.<name>, by the collector's place in daemon/probes/collectors.c's
	 * table. The keys of options (under collectors.<name> and under events:)
	 * are the collector's own rows (collector_ops.config_keys/event_keys),
	 * and so is the struct they fill.
	 */
	struct jd_collector_config {
		bool enabled;
		_Alignas(8) unsigned char options[JD_COLLECTOR_OPTIONS_MAX];
	} collectors[JD_MAX_COLLECTORS];

	struct {
		uint32_t log_size;	    /* recent events kept for /events, per kind */
		uint64_t drain_interval_ns; /* how often the daemon drains ring buffers */
		/* Kinds whose log is not log_size long. */
		struct jd_event_log_size {
			char kind[JD_NAME_MAX];
			uint32_t size;
		} log_sizes[JD_MAX_EVENT_KINDS];
		int n_log_sizes;
		/* Shipped to the fleet's log pipeline (event_sinks.h). */
		char file[JD_PATH_MAX];		 /* JSON lines appended here; "" = none */
		char file_kinds[JD_PATH_MAX];	 /* comma-separated kinds; "" = every kind */
		uint32_t file_max_bytes;	 /* rotate before the file would outgrow this */
		uint32_t file_keep;		 /* rotated files kept: file.1 ... file.N */
		char journal_kinds[JD_PATH_MAX]; /* to the systemd journal; "" = none */
	} events;

	struct {
		uint64_t interval_ns; /* the daemon re-runs the doctor's cheap checks */
		/* The cpu group of the isolated CPUs; "" = the group named
		 * "isolated" if any, else /sys/devices/system/cpu/isolated. */
		char isolated_group[JD_NAME_MAX];
	} doctor;

	struct {
		bool cpus_set;
		cpu_set_t cpus; /* pin the daemon here when cpus_set */
	} daemon;

	struct jd_anomaly_config anomaly;
};

struct yw_key_set;
struct yw_list;

/* The rows of one socket class, for the config of whoever uses classes. */
extern const struct yw_list config_socket_class_list;

/* The built-in configuration: cfg zeroed, then every row's default. */
void config_defaults(struct jd_config *cfg);

/*
 * Parse and validate YAML text into cfg, starting from config_defaults();
 * an empty document gives the defaults. name is what errors are reported against.
 * nr_cpus is the number of possible CPUs of this machine (cpu_groups must
 * cover exactly 0..nr_cpus-1); 0 skips that check.
 * On error, writes one "name:line:col: message" line per problem (followed
 * by the offending source line and a caret) to err and returns -EINVAL; cfg is
 * then unspecified, so callers parse into a scratch copy.
 */
int config_parse(struct jd_config *cfg, const char *name, const char *text, size_t len,
		 unsigned nr_cpus, FILE *err);
/* The same for a file; a file that cannot be read is "path: strerror". */
int config_load_file(struct jd_config *cfg, const char *path, unsigned nr_cpus, FILE *err);

/* Where the value of a dotted key path ("collectors.sockets.peak_window")
 * is stored in cfg, or NULL: for tests and tools that name keys. */
void *config_field(struct jd_config *cfg, const char *path);

/* The key tables of jitterd.yaml's top level, writing into cfg: fills sets
 * (CONFIG_SCHEMA_SETS of them) and returns how many, for yamlwalk.h's
 * walks (tests hold config/jitterd.yaml to the defaults through it). */
#define CONFIG_SCHEMA_SETS 1
unsigned config_schema(struct jd_config *cfg, struct yw_key_set *sets);

#endif
