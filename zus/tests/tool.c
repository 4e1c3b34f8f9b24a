// SPDX-License-Identifier: BSD-3-Clause
/* tool.c - shared bits of the zufs-* test tools. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "tool.h"

const char *tool_name = "zufs-tool";

static void vmsg(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s: %s\n", tool_name, buf);
}

void tool_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void tool_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(code);
}

int tool_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		tool_die(2, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

int tool_noop(int fd)
{
	return ioctl(fd, ZUFS_IOC_NOOP) < 0 ? -errno : 0;
}

int tool_echo(int fd, void *buf, size_t len, uint32_t seed_in,
	      uint32_t seed_out, uint64_t *checked)
{
	struct zufs_ioc_app_echo ae = {
		.buf = (uint64_t)(uintptr_t)buf, .len = len,
		.seed_in = seed_in, .seed_out = seed_out,
	};
	int err = ioctl(fd, ZUFS_IOC_ECHO, &ae) < 0 ? -errno : 0;

	*checked = ae.checked;
	return err;
}

void tool_fill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = zufs_echo_pattern(seed, i);
}

long long tool_verify(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != zufs_echo_pattern(seed, i))
			return (long long)i;
	return -1;
}

uint64_t tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned long long tool_count(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return 0;
	if (*end == 'k' || *end == 'K')
		v *= 1000, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000, end++;
	return *end ? 0 : v;
}
