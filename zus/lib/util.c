// SPDX-License-Identifier: BSD-3-Clause
/*
 * util.c - small helpers: CPU lists, errno sanity, zuf-root files.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "zus_private.h"

static int parse_uint(const char **p, unsigned int *v)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	n = strtoul(*p, &end, 10);
	if (errno || n > 0xffffffUL)
		return -EINVAL;
	*v = (unsigned int)n;
	*p = end;
	return 0;
}

/*
 * Parse a kernel CPU list ("0-3,5,7-8\n") into cpus[] (at most max).
 * Returns the number of CPUs or -EINVAL.
 */
int zus_parse_cpulist(const char *s, unsigned int *cpus, unsigned int max)
{
	unsigned int n = 0, a, b;

	while (*s && *s != '\n') {
		if (parse_uint(&s, &a))
			return -EINVAL;
		b = a;
		if (*s == '-') {
			s++;
			if (parse_uint(&s, &b) || b < a)
				return -EINVAL;
		}
		for (; a <= b; a++) {
			if (n >= max)
				return -EINVAL;
			cpus[n++] = a;
		}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return n ? (int)n : -EINVAL;
}

/* A plugin's return value as the kernel accepts it: 0 or -1..-4095. */
int zus_errno_sane(int err)
{
	if (err > 0 || err < -4095)
		return -EIO;
	return err;
}

/* A new zuf-root special file (its role comes with its first ioctl). */
int zus_open_root(const struct zus_server *s)
{
	int fd = open(s->zuf_root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}
