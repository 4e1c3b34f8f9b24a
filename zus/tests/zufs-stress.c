// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-stress [-t THREADS] [-n OPS] [-s MAXECHO] [-e EVERY] [-x] [-p SECS] PATH
 *
 * Many application threads (more than the server has channels) hammer the
 * ZT channels of a zutest mount with NOOP and small ECHO operations; every
 * result is verified (ECHO with a per-thread, per-operation seed). Prints
 * the totals and the operations per CPU; any error or mismatch makes the
 * exit status 1. -x stops every thread at the first error (to time how fast
 * callers learn that the server died); -p prints progress every SECS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CPUS 1024

static struct {
	unsigned int threads;
	unsigned long long ops;
	size_t max_echo;
	unsigned int echo_every;
	int fd;
	int stop_on_error;
	unsigned int progress;
} opt = { 8, 100000, 256, 4, -1, 0, 0 };

static atomic_int stop;
static atomic_ullong first_err_ns, first_err_real_ns;

static atomic_ullong n_noop, n_echo, n_bytes, n_err;
static atomic_ullong per_cpu[MAX_CPUS];

struct worker {
	pthread_t t;
	unsigned int id;
	unsigned long long ops;
	unsigned char *buf;
};

static void report(unsigned int id, unsigned long long op, const char *what)
{
	unsigned long long zero = 0;

	if (atomic_compare_exchange_strong(&first_err_ns, &zero, tool_now_ns())) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		atomic_store(&first_err_real_ns,
			     ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	}
	if (atomic_fetch_add(&n_err, 1) < 10)
		tool_msg("thread %u op %llu: %s", id, op, what);
	if (opt.stop_on_error)
		atomic_store(&stop, 1);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void do_echo(struct worker *w, unsigned long long op, uint64_t *rnd)
{
	size_t len = 1 + xorshift(rnd) % opt.max_echo;
	uint32_t sin = (uint32_t)(w->id * 0x9e3779b1U + op);
	uint32_t sout = ~sin ^ 0x5a5a5a5aU;
	uint64_t checked = 0;
	char msg[128];
	int err;

	tool_fill(w->buf, len, sin);
	err = tool_echo(opt.fd, w->buf, len, sin, sout, &checked);
	if (err) {
		snprintf(msg, sizeof(msg), "ECHO of %zu bytes: %s", len,
			 strerror(-err));
		report(w->id, op, msg);
	} else if (checked != len || tool_verify(w->buf, len, sout) >= 0) {
		snprintf(msg, sizeof(msg), "ECHO of %zu bytes: wrong answer (checked %llu)",
			 len, (unsigned long long)checked);
		report(w->id, op, msg);
	}
	atomic_fetch_add(&n_echo, 1);
	atomic_fetch_add(&n_bytes, len);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t rnd = 0x1234567ULL + w->id * 7919ULL;
	unsigned long long i;
	int err, cpu;

	for (i = 0; i < w->ops && !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
		cpu = sched_getcpu();
		if (cpu >= 0 && cpu < MAX_CPUS)
			atomic_fetch_add_explicit(&per_cpu[cpu], 1,
						  memory_order_relaxed);
		if (opt.echo_every && i % opt.echo_every == 0) {
			do_echo(w, i, &rnd);
			continue;
		}
		err = tool_noop(opt.fd);
		if (err)
			report(w->id, i, strerror(-err));
		atomic_fetch_add(&n_noop, 1);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: zufs-stress [-t THREADS] [-n OPS] [-s MAXECHO] [-e EVERY] [-x] [-p SECS] PATH\n"
		"  -t  application threads (default 8)\n"
		"  -n  total operations (default 100000; K and M suffixes)\n"
		"  -s  largest ECHO in bytes (default 256)\n"
		"  -e  one ECHO every EVERY operations, 0 = NOOP only (default 4)\n"
		"  -x  stop at the first error\n"
		"  -p  print progress every SECS seconds\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "t:n:s:e:xp:h")) != -1) {
		switch (c) {
		case 't': opt.threads = (unsigned int)tool_count(optarg); break;
		case 'n': opt.ops = tool_count(optarg); break;
		case 's': opt.max_echo = (size_t)tool_count(optarg); break;
		case 'e': opt.echo_every = (unsigned int)atoi(optarg); break;
		case 'x': opt.stop_on_error = 1; break;
		case 'p': opt.progress = (unsigned int)atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !opt.threads || opt.threads > 4096 ||
	    !opt.ops || !opt.max_echo || opt.max_echo > (64U << 20))
		usage();
	opt.fd = tool_open(argv[optind]);
}

static void print_totals(double secs)
{
	unsigned long long total = n_noop + n_echo;
	unsigned int c;

	printf("zufs-stress: %llu ops by %u threads in %.2f s (%.0f ops/s): %llu NOOP, %llu ECHO (%llu bytes), %llu errors\n",
	       total, opt.threads, secs, secs > 0 ? total / secs : 0.0,
	       (unsigned long long)n_noop, (unsigned long long)n_echo,
	       (unsigned long long)n_bytes, (unsigned long long)n_err);
	printf("zufs-stress: ops per CPU:");
	for (c = 0; c < MAX_CPUS; c++)
		if (per_cpu[c])
			printf(" cpu%u=%llu", c, (unsigned long long)per_cpu[c]);
	printf("\n");
}

static bool finished(void)
{
	return n_noop + n_echo >= opt.ops || atomic_load(&stop);
}

/* Every opt.progress seconds: operations so far, until all are done. */
static void progress(uint64_t t0)
{
	unsigned int i;

	while (!finished()) {
		for (i = 0; i < opt.progress * 10 && !finished(); i++)
			usleep(100000);
		printf("zufs-stress: %llu ops after %.0f s, %llu errors\n",
		       (unsigned long long)(n_noop + n_echo),
		       (tool_now_ns() - t0) / 1e9, (unsigned long long)n_err);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct timespec done_real;
	struct worker *w;
	uint64_t t0;
	unsigned int i;

	tool_name = "zufs-stress";
	parse(argc, argv);
	w = calloc(opt.threads, sizeof(*w));
	if (!w)
		tool_die(2, "out of memory");
	t0 = tool_now_ns();
	for (i = 0; i < opt.threads; i++) {
		w[i].id = i;
		w[i].ops = opt.ops / opt.threads + (i < opt.ops % opt.threads);
		w[i].buf = malloc(opt.max_echo);
		if (!w[i].buf || pthread_create(&w[i].t, NULL, work, &w[i]))
			tool_die(2, "cannot start thread %u", i);
	}
	if (opt.progress)
		progress(t0);
	for (i = 0; i < opt.threads; i++) {
		pthread_join(w[i].t, NULL);
		free(w[i].buf);
	}
	clock_gettime(CLOCK_REALTIME, &done_real);
	free(w);
	print_totals((tool_now_ns() - t0) / 1e9);
	if (first_err_ns)
		printf("zufs-stress: first error after %.3f s (at %llu ns since the epoch), stopped %.3f s later\n",
		       (first_err_ns - t0) / 1e9,
		       (unsigned long long)first_err_real_ns,
		       (tool_now_ns() - first_err_ns) / 1e9);
	if (first_err_ns)
		printf("zufs-stress: all threads returned at %llu ns since the epoch\n",
		       (unsigned long long)done_real.tv_sec * 1000000000ULL +
		       (unsigned long long)done_real.tv_nsec);
	if (n_err) {
		printf("zufs-stress: FAILED\n");
		return 1;
	}
	return 0;
}
