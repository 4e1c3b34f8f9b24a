// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-bench [-n ITER] [-w WARMUP] [--csv FILE] [--fuse FILE] ZUFS_PATH
 *
 * Round-trip latency, one call at a time from one thread:
 *   getppid       the cheapest system call (the floor)
 *   zufs-noop     ZUFS_IOC_NOOP on ZUFS_PATH: application -> ZT -> back
 *   zufs-echo-4k  ZUFS_IOC_ECHO of one page (zero-copy window, both ways)
 *   fuse-stat     stat() of FILE on a FUSE mount whose server answers every
 *                 LOOKUP/GETATTR from memory (zufs-bench-fuse, timeouts 0)
 * Each is timed per call after WARMUP calls; prints median and p99 in ns as
 * a table, and as CSV (operation,iterations,median_ns,p99_ns,mean_ns) with
 * --csv. Measurements, not assertions: exit 0 unless a call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

struct bench {
	const char *name;
	int (*call)(void *ctx);
	void *ctx;
	uint64_t median, p99, mean;
	unsigned long n;
};

static int zfd = -1;
static unsigned char page[4096] __attribute__((aligned(4096)));

static int call_getppid(void *ctx)
{
	(void)ctx;
	return getppid() > 0 ? 0 : -1;
}

static int call_noop(void *ctx)
{
	(void)ctx;
	return tool_noop(zfd);
}

static int call_echo(void *ctx)
{
	uint64_t checked;

	(void)ctx;
	/* the server checks pattern(1) and writes pattern(1) back */
	return tool_echo(zfd, page, sizeof(page), 1, 1, &checked);
}

static int call_stat(void *ctx)
{
	struct stat st;

	return stat(ctx, &st) ? -errno : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void run(struct bench *b, unsigned long n, unsigned long warm,
		uint64_t *t)
{
	uint64_t t0, sum = 0;
	unsigned long i;
	int err;

	for (i = 0; i < warm + n; i++) {
		t0 = tool_now_ns();
		err = b->call(b->ctx);
		if (i >= warm)
			t[i - warm] = tool_now_ns() - t0;
		if (err)
			tool_die(1, "%s failed: %s", b->name,
				 err < 0 ? strerror(-err) : "error");
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	for (i = 0; i < n; i++)
		sum += t[i];
	b->n = n;
	b->median = t[n / 2];
	b->p99 = t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	b->mean = sum / n;
}

static void usage(void)
{
	fprintf(stderr, "Usage: zufs-bench [-n ITER] [-w WARMUP] [--csv FILE] [--fuse FILE] ZUFS_PATH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "fuse", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench b[4] = {
		{ .name = "getppid", .call = call_getppid },
		{ .name = "zufs-noop", .call = call_noop },
		{ .name = "zufs-echo-4k", .call = call_echo },
		{ .name = "fuse-stat", .call = call_stat },
	};
	unsigned long n = 100000, warm = 1000;
	const char *csv = NULL, *fuse = NULL;
	unsigned int i, nb = 3;
	uint64_t *t;
	FILE *f;
	int c;

	tool_name = "zufs-bench";
	while ((c = getopt_long(argc, argv, "n:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': n = tool_count(optarg); break;
		case 'w': warm = strtoul(optarg, NULL, 10); break;
		case 'c': csv = optarg; break;
		case 'f': fuse = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !n)
		usage();
	zfd = tool_open(argv[optind]);
	tool_fill(page, sizeof(page), 1);
	if (fuse) {
		b[3].ctx = (void *)fuse;
		nb = 4;
	}
	t = malloc(n * sizeof(*t));
	if (!t)
		tool_die(2, "out of memory");
	for (i = 0; i < nb; i++)
		run(&b[i], n, warm, t);
	free(t);

	printf("%-14s %10s %10s %10s %10s\n", "operation", "iterations",
	       "median_ns", "p99_ns", "mean_ns");
	for (i = 0; i < nb; i++)
		printf("%-14s %10lu %10llu %10llu %10llu\n", b[i].name, b[i].n,
		       (unsigned long long)b[i].median,
		       (unsigned long long)b[i].p99,
		       (unsigned long long)b[i].mean);
	if (!csv)
		return 0;
	f = fopen(csv, "w");
	if (!f)
		tool_die(2, "cannot write %s: %s", csv, strerror(errno));
	fprintf(f, "operation,iterations,median_ns,p99_ns,mean_ns\n");
	for (i = 0; i < nb; i++)
		fprintf(f, "%s,%lu,%llu,%llu,%llu\n", b[i].name, b[i].n,
			(unsigned long long)b[i].median,
			(unsigned long long)b[i].p99,
			(unsigned long long)b[i].mean);
	return fclose(f) ? 1 : 0;
}
