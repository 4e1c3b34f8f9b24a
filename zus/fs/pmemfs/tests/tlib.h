/* SPDX-License-Identifier: BSD-3-Clause */
/* tlib.h - tiny test harness and helpers for the pmemfs unit tests. */
#ifndef PMFS_TLIB_H
#define PMFS_TLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include "pmfs.h"

extern int t_failed;	/* failures in the current test */

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __FILE__, \
			__LINE__, #cond); \
		t_failed++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "    %s:%d: %s == %lld, expected %s == %lld\n", \
			__FILE__, __LINE__, #a, _a, #b, _b); \
		t_failed++; \
	} \
} while (0)

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "    %s:%d: REQUIRE(%s) failed\n", __FILE__, \
			__LINE__, #cond); \
		t_failed++; \
		return; \
	} \
} while (0)

struct img {
	char path[256];
	void *base;
	size_t len;
	int is_pmem;
};

/* image files live in /tmp (or $PMFS_TEST_DIR) */
const char *t_dir(void);
void img_path(struct img *im, const char *name);
/* create (sparse), map and format; inodes 0 = default */
int img_new(struct img *im, const char *name, uint64_t size, uint64_t inodes);
int img_map(struct img *im);
void img_unmap(struct img *im);
void img_remove(struct img *im);
int img_copy(const char *from, const char *to);

struct pmfs_sb *t_mount(struct img *im);
/* resolve a path relative to the root; returns a reference */
int t_walk(struct pmfs_sb *sb, const char *path, struct pmfs_ii **iip);
int t_parent(struct pmfs_sb *sb, const char *path, struct pmfs_ii **dir,
	     const char **name, size_t *len);
int t_mk(struct pmfs_sb *sb, const char *path, uint32_t mode,
	 const char *symname, uint32_t rdev);
/* t_mk with the new inode's first xattrs (struct pmfs_new), or any n */
int t_mkx(struct pmfs_sb *sb, const char *path, uint32_t mode,
	  const struct pmfs_xattr_in *x, unsigned int nr);
int t_mk_new(struct pmfs_sb *sb, const char *path, const struct pmfs_new *n);
int t_unlink(struct pmfs_sb *sb, const char *path);
int t_rmdir(struct pmfs_sb *sb, const char *path);
int t_rename(struct pmfs_sb *sb, const char *from, const char *to,
	     uint32_t flags);
int t_link(struct pmfs_sb *sb, const char *from, const char *to);
int t_write(struct pmfs_sb *sb, const char *path, const void *buf, size_t len,
	    uint64_t off);
int t_truncate(struct pmfs_sb *sb, const char *path, uint64_t size);
int t_stat(struct pmfs_sb *sb, const char *path, struct pmfs_attr *a);
/* canonical dump of the whole tree (malloc'ed) */
char *t_dump(struct pmfs_sb *sb);
/* fsck (quiet unless verbose); returns errors found */
unsigned t_fsck(struct img *im, bool repair, bool verbose);
double t_now(void);
uint64_t t_rand(void);
void t_srand(uint64_t seed);

/* test groups */
void t_basic(void);
void t_errors(void);
void t_rename_all(void);
void t_tmpfile(void);
void t_readdir(void);
void t_data(void);
void t_enospc(void);
void t_bigdir(void);
void t_model(void);
void t_crash_points(void);
void t_crash_kill(void);
void t_fsck_cases(void);
void t_tools(void);
void t_threads(void);
void t_garbage(void);
void t_emlink(void);
void t_space(void);
void t_space_crash(void);
void t_xattr(void);
void t_reflink(void);

#endif
