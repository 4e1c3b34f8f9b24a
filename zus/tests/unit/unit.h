/* SPDX-License-Identifier: BSD-3-Clause */
/* unit.h - a tiny test harness: CHECK() counts, the runner prints
 * "N passed, N failed".
 */
#ifndef ZUS_UNIT_H
#define ZUS_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern unsigned int unit_passed, unit_failed;
extern const char *unit_current;

#define CHECK(cond) unit_check(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!unit_check(_a == _b, #a " == " #b, __FILE__, __LINE__))	\
		fprintf(stderr, "    got %lld, expected %lld\n", _a, _b);	\
} while (0)
#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (!unit_check(_a && !strcmp(_a, _b), #a " == \"" #b "\"",	\
			__FILE__, __LINE__))				\
		fprintf(stderr, "    got \"%s\"\n", _a ? _a : "(null)");	\
} while (0)

int unit_check(int ok, const char *what, const char *file, int line);

/* Run f() with stderr captured into buf (NUL terminated). */
int unit_capture_stderr(char *buf, size_t size, int (*f)(void *), void *arg);

/* test groups */
void t_pure(void);
void t_config(void);
void t_plugin(void);
void t_server(void);
void t_ns(void);

#endif
