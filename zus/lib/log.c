// SPDX-License-Identifier: BSD-3-Clause
/*
 * log.c - one-line messages to stderr, version and ABI message text.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zus_private.h"

#ifndef ZUS_VERSION
#define ZUS_VERSION "0.0.0"
#endif

static atomic_int log_level = ZUS_LOG_INFO;
static char log_prog[32] = "zus";

void zus_log_set_prog(const char *prog)
{
	snprintf(log_prog, sizeof(log_prog), "%s", prog);
}

void zus_set_log_level(int level)
{
	atomic_store(&log_level, level);
}

int zus_get_log_level(void)
{
	return atomic_load(&log_level);
}

int zus_log_level_from_name(const char *name)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]) || (name[0] == '0' + (int)i && !name[1]))
			return (int)i;
	if (!strcmp(name, "err") || !strcmp(name, "warning"))
		return !strcmp(name, "err") ? ZUS_LOG_ERR : ZUS_LOG_WARN;
	return -1;
}

/* A whole line in one write(2), so threads never interleave. */
void zus_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n, m;

	if (level > atomic_load(&log_level))
		return;
	n = snprintf(buf, sizeof(buf), "%s: ", log_prog);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

const char *zus_version(void)
{
	return ZUS_VERSION;
}

int zus_abi_mismatch_msg(char *buf, size_t size, const char *prog,
			 unsigned int our_major, unsigned int our_minor,
			 unsigned int k_major, unsigned int k_minor)
{
	/* The side with the older major must be upgraded. */
	const char *pkg = k_major < our_major ? "zufs-dkms" : "zus";

	return snprintf(buf, size,
			"ABI mismatch: %s speaks ZUFS ABI %u.%u but zuf.ko speaks %u.%u; upgrade the %s package",
			prog, our_major, our_minor, k_major, k_minor, pkg);
}

void zus_time_now(struct zufs_time *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t->sec = ts.tv_sec;
	t->nsec = (__u32)ts.tv_nsec;
	t->reserved = 0;
}
