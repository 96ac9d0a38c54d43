// SPDX-License-Identifier: MIT
/*
 * libjitterd-span (jitterd_span.h). The hot path is jd_span_record():
 * the thread's ring is in a thread-local pointer; a record is five stores
 * and a release store of head, after one load of the cached tail. Only
 * when the ring looks full does it read jitterd's tail again (one shared
 * cache line); still full: drops + 1, return.
 *
 * The CPU at the end of a span: with the TSC, rdtscp gives the time and
 * the CPU in one instruction (Linux keeps the CPU number in TSC_AUX);
 * with CLOCK_MONOTONIC, rseq's cpu_id (glibc registers rseq) or, without
 * it, sched_getcpu() (a vDSO call).
 */
#include "jitterd_span.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
#include <sys/rseq.h>
#define HAVE_RSEQ 1
#else
#define HAVE_RSEQ 0
#endif

#define DEFAULT_SOCKET	"/run/jitterd/spans.sock"
#define DEFAULT_THREADS 16
#define DEFAULT_SLOTS	4096
#define DEFAULT_TIMEOUT 2000

#define TLS __thread __attribute__((tls_model("initial-exec")))

/* The process's registration: set once, read by every thread. */
static struct {
	struct jd_span_shm *shm;
	size_t size;
	uint32_t n_rings, slots, n_spans;
	int clock;
	int fd; /* the socket: jitterd sees the process leave when it closes */
	uint64_t generation;
} reg = { .fd = -1 };
static _Atomic uint64_t generation; /* a new registration, a fork: threads claim again */
static pthread_key_t ring_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static char error[256];

struct thread_state {
	struct jd_span_ring *ring; /* NULL: none yet (or none free) */
	uint64_t head, tail;	   /* head: ours; tail: jitterd's, as last read */
	uint64_t generation;
	uint64_t t0[JD_SPAN_MAX_SPANS];
};
static TLS struct thread_state me;

const char *jd_span_error(void)
{
	return error;
}

/* ---- the clock ---------------------------------------------------------- */

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t cpu_now(void)
{
#if HAVE_RSEQ
	if (__rseq_size) {
		const struct rseq *rs =
			(const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
		int32_t cpu = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);

		if (cpu >= 0)
			return (uint32_t)cpu;
	}
#endif
	{
		int cpu = sched_getcpu();

		return cpu < 0 ? JD_SPAN_CPU_UNKNOWN : (uint32_t)cpu;
	}
}

static inline uint64_t now(int clock)
{
#if HAVE_TSC
	if (clock == JD_SPAN_CLOCK_TSC)
		return __rdtsc();
#endif
	(void)clock;
	return mono_ns();
}

/* The end of a span: the time and the CPU it was read on. */
static inline uint64_t now_cpu(int clock, uint32_t *cpu)
{
#if HAVE_TSC
	if (clock == JD_SPAN_CLOCK_TSC) {
		unsigned aux;
		uint64_t t = __rdtscp(&aux);

		*cpu = aux & 0xfff;
		return t;
	}
#endif
	*cpu = cpu_now();
	return now(clock);
}

uint64_t jd_span_now(void)
{
	return now(reg.clock);
}

/* ---- rings ---------------------------------------------------------------- */

static struct jd_span_ring *ring_at(uint32_t i)
{
	return (struct jd_span_ring *)(reg.shm->rings + (size_t)i * JD_SPAN_RING_BYTES(reg.slots));
}

static void release_ring(void *arg)
{
	struct jd_span_ring *r = arg;

	/* Only if it is still of this registration (not unmapped since). */
	if (r && me.ring == r && me.generation == atomic_load(&generation)) {
		__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
		me.ring = NULL;
	}
}

static void make_key(void)
{
	pthread_key_create(&ring_key, release_ring);
}

/* The first record of a thread (or after a new registration): a free ring. */
static bool claim_ring(void)
{
	uint64_t gen = atomic_load(&generation);
	uint32_t tid = (uint32_t)gettid();

	me.generation = gen;
	me.ring = NULL;
	if (!reg.shm)
		return false;
	for (uint32_t i = 0; i < reg.n_rings; i++) {
		struct jd_span_ring *r = ring_at(i);
		uint32_t free_ = 0;

		if (__atomic_compare_exchange_n(&r->owner, &free_, tid, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			me.ring = r;
			/* A ring a thread left goes on from where it stopped. */
			me.head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
			me.tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
			pthread_once(&key_once, make_key);
			pthread_setspecific(ring_key, r);
			return true;
		}
	}
	return false;
}

int jd_span_thread_init(void)
{
	if (me.ring && me.generation == atomic_load(&generation))
		return 0;
	return claim_ring() ? 0 : -ENOSPC;
}

static inline void put(uint32_t span, uint64_t t0, uint64_t t1, uint32_t cpu)
{
	struct jd_span_ring *r = me.ring;
	struct jd_span_record *rec;
	uint64_t h = me.head;

	if (__builtin_expect(
		    !r || me.generation != atomic_load_explicit(&generation, memory_order_relaxed),
		    0)) {
		if (!reg.shm)
			return;
		if (!claim_ring()) {
			__atomic_fetch_add(&reg.shm->no_ring_drops, 1, __ATOMIC_RELAXED);
			return;
		}
		r = me.ring;
		h = me.head;
	}
	if (__builtin_expect(h - me.tail >= reg.slots, 0)) {
		me.tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (h - me.tail >= reg.slots) {
			/* Only this thread writes drops: no locked instruction. */
			__atomic_store_n(&r->drops,
					 __atomic_load_n(&r->drops, __ATOMIC_RELAXED) + 1,
					 __ATOMIC_RELAXED);
			return;
		}
	}
	rec = &r->records[h & (reg.slots - 1)];
	rec->t0 = t0;
	rec->t1 = t1;
	rec->span = span;
	rec->cpu = cpu;
	rec->seq = h;
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	me.head = h + 1;
}

void jd_span_record(unsigned id, uint64_t t0, uint64_t t1)
{
	if (id < reg.n_spans)
		put(id, t0, t1, cpu_now());
}

void jd_span_begin(unsigned id)
{
	if (id < JD_SPAN_MAX_SPANS)
		me.t0[id] = now(reg.clock);
}

void jd_span_end(unsigned id)
{
	uint32_t cpu;
	uint64_t t1;

	if (id >= reg.n_spans || !me.t0[id]) /* no begin: nothing to record */
		return;
	t1 = now_cpu(reg.clock, &cpu);
	put(id, me.t0[id], t1, cpu);
	me.t0[id] = 0;
}

void jd_span_mark(unsigned id)
{
	uint32_t cpu;
	uint64_t t;

	if (id >= reg.n_spans)
		return;
	t = now_cpu(reg.clock, &cpu);
	put(id | JD_SPAN_MARK, t, t, cpu);
}

uint64_t jd_span_dropped(void)
{
	uint64_t n;

	if (!reg.shm)
		return 0;
	n = __atomic_load_n(&reg.shm->no_ring_drops, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < reg.n_rings; i++)
		n += __atomic_load_n(&ring_at(i)->drops, __ATOMIC_RELAXED);
	return n;
}

/* ---- registration ---------------------------------------------------------- */

static int fail(int err, const char *what)
{
	snprintf(error, sizeof(error), "%s: %s", what, strerror(-err));
	return err;
}

static bool alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n bytes of s: [A-Za-z0-9_.:-], 1 to max - 1 of them (a span's name, a label's value). */
static bool word_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alpha(s[i]) && !digit(s[i]) && s[i] != '.' && s[i] != ':' && s[i] != '-')
			return false;
	return true;
}

/* A label's name: [A-Za-z_][A-Za-z0-9_]*, 1 to 31 bytes. */
static bool label_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= JD_SPAN_LABEL_NAME_MAX || !alpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!alpha(s[i]) && !digit(s[i]))
			return false;
	return true;
}

/*
 * A span as the component names it, "order_send" or
 * "order_send{venue=XNAS,session=am}", into its declaration. Whether
 * jitterd takes those labels is its config's say (collectors.spans.labels).
 */
static bool parse_span(unsigned i, const char *s, struct jd_span_decl *d)
{
	const char *brace = s ? strchr(s, '{') : NULL;
	size_t n = brace ? (size_t)(brace - s) : s ? strlen(s) : 0;
	const char *p, *end;
	unsigned k = 0;

	if (!word_ok(s, n, JD_SPAN_NAME_MAX)) {
		snprintf(error, sizeof(error), "span %u: a name of [A-Za-z0-9_.:-], 1 to %d bytes",
			 i, JD_SPAN_NAME_MAX - 1);
		return false;
	}
	memcpy(d->name, s, n);
	if (!brace)
		return true;
	end = brace + strlen(brace) - 1;
	if (*end != '}') {
		snprintf(error, sizeof(error), "span %u (%.48s): labels end with }", i, s);
		return false;
	}
	for (p = brace + 1; p < end; k++) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *v_end = comma ? comma : end;

		if (k == JD_SPAN_MAX_LABELS) {
			snprintf(error, sizeof(error), "span %u (%.48s): at most %d labels", i, s,
				 JD_SPAN_MAX_LABELS);
			return false;
		}
		if (!eq || eq > v_end || !label_name_ok(p, (size_t)(eq - p)) ||
		    !word_ok(eq + 1, (size_t)(v_end - eq - 1), JD_SPAN_LABEL_VALUE_MAX)) {
			snprintf(error, sizeof(error),
				 "span %u (%.48s): labels are name=value, the name "
				 "[A-Za-z_][A-Za-z0-9_]* "
				 "up to %d bytes, the value [A-Za-z0-9_.:-] up to %d",
				 i, s, JD_SPAN_LABEL_NAME_MAX - 1, JD_SPAN_LABEL_VALUE_MAX - 1);
			return false;
		}
		memcpy(d->labels[k].name, p, (size_t)(eq - p));
		memcpy(d->labels[k].value, eq + 1, (size_t)(v_end - eq - 1));
		p = comma ? comma + 1 : end;
		if (comma && p == end) { /* "{a=b,}" */
			snprintf(error, sizeof(error), "span %u (%.48s): a label after the comma",
				 i, s);
			return false;
		}
	}
	return true;
}

/*
 * The old registration's rings stay mapped (a thread may be writing one
 * now, without a lock to wait for); jitterd lets them go when the old
 * socket closes. Replacing a registration leaks its rings' memory.
 */
static void forget(void)
{
	atomic_fetch_add(&generation, 1);
	if (reg.fd >= 0)
		close(reg.fd);
	reg.shm = NULL;
	reg.n_spans = 0;
	reg.fd = -1;
}

/* A child after fork() shares the parent's rings: it must not write them. */
static void in_child(void)
{
	atomic_fetch_add(&generation, 1);
	reg.n_spans = 0;
	reg.shm = NULL; /* the mapping stays (it is the parent's too): not ours to write */
	if (reg.fd >= 0)
		close(reg.fd);
	reg.fd = -1;
}

static void install_atfork(void)
{
	pthread_atfork(NULL, NULL, in_child);
}

static int connect_to(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int send_hello(int sock, const struct jd_span_hello *h, int memfd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)h, .iov_len = JD_SPAN_HELLO_BYTES(h->n_spans) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &memfd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int jd_span_register(const struct jd_span_def *spans, unsigned n_spans,
		     const struct jd_span_options *o)
{
	static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
	struct jd_span_options opt = o ? *o : (struct jd_span_options){ 0 };
	struct jd_span_hello *h;
	struct jd_span_reply reply;
	const char *path;
	struct jd_span_shm *shm = MAP_FAILED;
	int memfd = -1, sock = -1, err;
	uint64_t size;
	ssize_t got;

	error[0] = '\0';
	if (!opt.clock)
		opt.clock = HAVE_TSC ? JD_SPAN_CLOCK_TSC : JD_SPAN_CLOCK_MONOTONIC;
	if (!opt.max_threads)
		opt.max_threads = DEFAULT_THREADS;
	if (!opt.slots)
		opt.slots = DEFAULT_SLOTS;
	if (!opt.timeout_ms)
		opt.timeout_ms = DEFAULT_TIMEOUT;
	path = opt.socket ? opt.socket : getenv("JITTERD_SPAN_SOCKET");
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	if (n_spans == 0 || n_spans > JD_SPAN_MAX_SPANS)
		return fail(-EINVAL, "between 1 and 64 spans");
	if ((opt.clock != JD_SPAN_CLOCK_MONOTONIC && opt.clock != JD_SPAN_CLOCK_TSC) ||
	    (opt.clock == JD_SPAN_CLOCK_TSC && !HAVE_TSC))
		return fail(-EINVAL, "clock");
	if (opt.max_threads > JD_SPAN_MAX_RINGS || opt.slots < JD_SPAN_MIN_SLOTS ||
	    opt.slots > JD_SPAN_MAX_SLOTS || (opt.slots & (opt.slots - 1)))
		return fail(-EINVAL, "max_threads up to 1024, slots a power of two 16..1048576");
	h = calloc(1, sizeof(*h));
	if (!h)
		return fail(-ENOMEM, "registration");
	*h = (struct jd_span_hello){ .magic = JD_SPAN_MAGIC,
				     .version = JD_SPAN_VERSION,
				     .clock = (uint32_t)opt.clock,
				     .n_rings = opt.max_threads,
				     .slots = opt.slots,
				     .n_spans = n_spans };
	for (unsigned i = 0; i < n_spans; i++) {
		if (!parse_span(i, spans[i].name, &h->spans[i])) {
			free(h);
			return -EINVAL;
		}
		h->spans[i].threshold_ns = spans[i].threshold_ns;
	}
	size = JD_SPAN_SHM_BYTES(opt.max_threads, opt.slots);
	memfd = memfd_create("jitterd-spans", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0) {
		err = fail(-errno, "memfd_create");
		goto out;
	}
	/* Sealed: jitterd maps it and must never see it shrink under it. */
	if (ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		err = fail(-errno, "sizing the rings");
		goto out;
	}
	shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, memfd, 0);
	if (shm == MAP_FAILED) {
		err = fail(-errno, "mapping the rings");
		goto out;
	}
	*shm = (struct jd_span_shm){ .magic = JD_SPAN_MAGIC,
				     .version = JD_SPAN_VERSION,
				     .n_rings = opt.max_threads,
				     .slots = opt.slots };
	sock = connect_to(path, opt.timeout_ms);
	if (sock < 0) {
		snprintf(error, sizeof(error), "connecting to jitterd at %s: %s", path,
			 strerror(-sock));
		err = sock;
		goto out;
	}
	err = send_hello(sock, h, memfd);
	if (err) {
		fail(err, "registering");
		goto out;
	}
	got = recv(sock, &reply, sizeof(reply), 0);
	if (got != (ssize_t)sizeof(reply) || reply.magic != JD_SPAN_MAGIC) {
		err = got < 0 ? -errno : -EPROTO;
		snprintf(error, sizeof(error), "no answer from jitterd at %s: %s", path,
			 got < 0 ? strerror(errno) : "short reply");
		goto out;
	}
	if (reply.status) {
		reply.why[sizeof(reply.why) - 1] = '\0';
		snprintf(error, sizeof(error), "jitterd refused: %s", reply.why);
		err = reply.status < 0 ? reply.status : -EPROTO;
		goto out;
	}
	pthread_once(&atfork_once, install_atfork);
	forget();
	reg.shm = shm;
	reg.size = size;
	reg.n_rings = opt.max_threads;
	reg.slots = opt.slots;
	reg.clock = opt.clock;
	reg.fd = sock;
	reg.n_spans = n_spans;
	atomic_fetch_add(&generation, 1);
	shm = MAP_FAILED;
	sock = -1;
	err = 0;
out:
	if (shm != MAP_FAILED)
		munmap(shm, size);
	if (sock >= 0)
		close(sock);
	if (memfd >= 0)
		close(memfd);
	free(h);
	return err;
}
