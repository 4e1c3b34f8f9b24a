// SPDX-License-Identifier: BSD-3-Clause
/*
 * pmfs_test - unit tests of the pmemfs core, tools and crash consistency.
 * One line per test, then "N passed, N failed". -t SUBSTR runs a subset.
 */
#include <unistd.h>
#include "tlib.h"

int t_failed;

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "crc_and_format", t_basic },
	{ "mount_garbage", t_garbage },
	{ "errors", t_errors },
	{ "emlink", t_emlink },
	{ "rename", t_rename_all },
	{ "tmpfile_orphans", t_tmpfile },
	{ "readdir_cookies", t_readdir },
	{ "data_holes_truncate", t_data },
	{ "space_fallocate_seek_fiemap", t_space },
	{ "space_crash_points", t_space_crash },
	{ "xattr", t_xattr },
	{ "reflink", t_reflink },
	{ "enospc_no_leaks", t_enospc },
	{ "bigdir_100k", t_bigdir },
	{ "random_ops_vs_model", t_model },
	{ "threads", t_threads },
	{ "crash_points", t_crash_points },
	{ "crash_kill9", t_crash_kill },
	{ "fsck_corruption", t_fsck_cases },
	{ "tools", t_tools },
};

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0, failed = 0, c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c == 't') {
			filter = optarg;
		} else {
			fprintf(stderr, "usage: %s [-t SUBSTR]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		double t0;

		if (filter && !strstr(tests[i].name, filter))
			continue;
		t_failed = 0;
		t0 = t_now();
		tests[i].fn();
		printf("%s %s (%.2f s)\n", t_failed ? "FAIL" : "PASS",
		       tests[i].name, t_now() - t0);
		if (t_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
