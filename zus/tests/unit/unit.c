// SPDX-License-Identifier: BSD-3-Clause
/*
 * unit.c - host unit tests of zus: runs every group, prints
 * "N passed, N failed" last, exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

unsigned int unit_passed, unit_failed;
const char *unit_current = "";

int unit_check(int ok, const char *what, const char *file, int line)
{
	if (ok) {
		unit_passed++;
		return 1;
	}
	unit_failed++;
	fprintf(stderr, "FAIL [%s] %s:%d: %s\n", unit_current, file, line,
		what);
	return 0;
}

int unit_capture_stderr(char *buf, size_t size, int (*f)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved, ret;
	size_t n;

	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	ret = f(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	if (n)		/* show it anyway, indented, for the log */
		fprintf(stderr, "    | %.*s", (int)n, buf);
	return ret;
}

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "pure", t_pure },
	{ "config", t_config },
	{ "plugin", t_plugin },
	{ "server", t_server },
	{ "ns", t_ns },
};

int main(int argc, char **argv)
{
	unsigned int i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int f = unit_failed, p = unit_passed;

		if (argc > 1 && strcmp(argv[1], groups[i].name))
			continue;
		unit_current = groups[i].name;
		groups[i].fn();
		printf("zus-unit: %-8s %u passed, %u failed\n", groups[i].name,
		       unit_passed - p, unit_failed - f);
	}
	printf("%u passed, %u failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
