/* SPDX-License-Identifier: BSD-3-Clause */
/* tool.h - shared bits of the zufs-* test tools (application side). */
#ifndef ZUFS_TOOL_H
#define ZUFS_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "zus_api.h"

extern const char *tool_name;

/* Print "NAME: message" to stderr (and exit(code) for tool_die). */
void tool_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Open a file or directory on a ZUFS mount (read-only is enough). */
int tool_open(const char *path);

/* 0 or -errno */
int tool_noop(int fd);
int tool_echo(int fd, void *buf, size_t len, uint32_t seed_in,
	      uint32_t seed_out, uint64_t *checked);

void tool_fill(void *buf, size_t len, uint32_t seed);
/* Index of the first byte that is not pattern(seed, i), or -1. */
long long tool_verify(const void *buf, size_t len, uint32_t seed);

uint64_t tool_now_ns(void);
/* Parse a positive count with optional K/M suffix (1000 based); 0 if bad. */
unsigned long long tool_count(const char *s);

#endif
