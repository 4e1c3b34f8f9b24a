// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-echo PATH - check the zero-copy window both ways.
 *
 * ZUFS_IOC_ECHO on a file or directory of a zutest mount, for sizes from
 * 1 byte to 4 MiB (one window), at page-aligned and unaligned addresses,
 * and 16 MiB (the kernel splits it into window-sized pieces). The buffer is
 * filled with zufs_echo_pattern(seed_in, i); the server checks it and
 * writes zufs_echo_pattern(seed_out, i), which we check afterwards. A
 * corrupted byte must come back as EILSEQ. Exit 0 if all passed, 1 if not,
 * 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tool.h"

#define MiB (1024UL * 1024UL)
#define ARENA (16 * MiB + 2 * 4096)

static const size_t sizes[] = { 1, 2, 100, 4095, 4096, 4097, 65536,
				MiB + 3, 4 * MiB, 16 * MiB };
static const size_t offsets[] = { 0, 1, 7, 2048, 4095 };

static unsigned int failures, runs;

static void one(int fd, unsigned char *arena, size_t len, size_t off,
		uint32_t seed)
{
	unsigned char *buf = arena + off;
	uint32_t sin = seed, sout = seed * 2654435761U + 1;
	uint64_t checked = 0;
	long long bad;
	int err;

	runs++;
	tool_fill(buf, len, sin);
	err = tool_echo(fd, buf, len, sin, sout, &checked);
	if (err) {
		tool_msg("FAIL: echo of %zu bytes at page offset %zu: %s",
			 len, off, strerror(-err));
		failures++;
		return;
	}
	bad = tool_verify(buf, len, sout);
	if (checked != len || bad >= 0) {
		tool_msg("FAIL: echo of %zu bytes at page offset %zu: checked %llu, first wrong byte %lld",
			 len, off, (unsigned long long)checked, bad);
		failures++;
	}
}

/* A wrong byte at position at must be reported as EILSEQ. */
static void corrupt(int fd, unsigned char *arena, size_t len, size_t at)
{
	uint64_t checked = 0;
	int err;

	runs++;
	tool_fill(arena, len, 5);
	arena[at] ^= 0xff;
	err = tool_echo(fd, arena, len, 5, 6, &checked);
	if (err != -EILSEQ) {
		tool_msg("FAIL: corrupted byte %zu of %zu: got %s, expected EILSEQ",
			 at, len, err ? strerror(-err) : "success");
		failures++;
	}
}

int main(int argc, char **argv)
{
	unsigned char *arena;
	unsigned int i, j;
	int fd;

	tool_name = "zufs-echo";
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: zufs-echo PATH   (a file or directory on a zutest mount)\n");
		return 2;
	}
	fd = tool_open(argv[1]);
	arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		tool_die(2, "mmap: %s", strerror(errno));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++)
			one(fd, arena, sizes[i], offsets[j], i * 31 + j + 1);
	corrupt(fd, arena, 4096, 0);
	corrupt(fd, arena, 3 * MiB, 2 * MiB + 17);
	corrupt(fd, arena, 16 * MiB, 9 * MiB + 1);	/* in a later piece */
	munmap(arena, ARENA);
	if (failures) {
		printf("zufs-echo: %u of %u echo checks FAILED\n", failures, runs);
		return 1;
	}
	printf("zufs-echo: %u echo checks passed (1 B .. 16 MiB, aligned and unaligned)\n",
	       runs);
	return 0;
}
