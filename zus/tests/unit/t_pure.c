// SPDX-License-Identifier: BSD-3-Clause
/* t_pure.c - the echo pattern, the ABI message, log levels, CPU lists. */
#define _GNU_SOURCE
#include <errno.h>

#include <zus/zus_server.h>

#include "../../lib/zus_private.h"
#include "unit.h"

static void t_echo_pattern(void)
{
	unsigned int hist[256] = { 0 }, i, min = ~0U, max = 0, same = 0;

	/* Deterministic, seed dependent, spread over all byte values. */
	CHECK_EQ(zufs_echo_pattern(1, 0), zufs_echo_pattern(1, 0));
	for (i = 0; i < 65536; i++) {
		hist[zufs_echo_pattern(7, i)]++;
		same += zufs_echo_pattern(7, i) == zufs_echo_pattern(8, i);
	}
	for (i = 0; i < 256; i++) {
		min = hist[i] < min ? hist[i] : min;
		max = hist[i] > max ? hist[i] : max;
	}
	CHECK(min > 128 && max < 384);
	CHECK(same < 65536 / 128);
	/* A page moved by a page still mismatches on most bytes. */
	for (same = 0, i = 0; i < 4096; i++)
		same += zufs_echo_pattern(3, i) == zufs_echo_pattern(3, i + 4096);
	CHECK(same < 4096 / 8);
}

static void t_abi_msg(void)
{
	char buf[256];

	zus_abi_mismatch_msg(buf, sizeof(buf), "zusd", 2, 0, 1, 0);
	CHECK_STR(buf, "ABI mismatch: zusd speaks ZUFS ABI 2.0 but zuf.ko speaks 1.0; upgrade the zufs-dkms package");
	zus_abi_mismatch_msg(buf, sizeof(buf), "zusd", 1, 0, 2, 3);
	CHECK_STR(buf, "ABI mismatch: zusd speaks ZUFS ABI 1.0 but zuf.ko speaks 2.3; upgrade the zus package");
	CHECK(zus_abi_mismatch_msg(buf, 8, "zusd", 1, 0, 2, 0) > 8);
	CHECK_EQ(strlen(buf), 7);
}

static void t_log_levels(void)
{
	CHECK_EQ(zus_log_level_from_name("error"), ZUS_LOG_ERR);
	CHECK_EQ(zus_log_level_from_name("warn"), ZUS_LOG_WARN);
	CHECK_EQ(zus_log_level_from_name("info"), ZUS_LOG_INFO);
	CHECK_EQ(zus_log_level_from_name("debug"), ZUS_LOG_DEBUG);
	CHECK_EQ(zus_log_level_from_name("3"), ZUS_LOG_DEBUG);
	CHECK_EQ(zus_log_level_from_name("4"), -1);
	CHECK_EQ(zus_log_level_from_name("loud"), -1);
	CHECK_EQ(zus_log_level_from_name(""), -1);
	CHECK(zus_version()[0] >= '0' && zus_version()[0] <= '9');
}

static void t_cpulist(void)
{
	unsigned int c[16];

	CHECK_EQ(zus_parse_cpulist("0-3,5,7-8\n", c, 16), 7);
	CHECK(c[0] == 0 && c[3] == 3 && c[4] == 5 && c[6] == 8);
	CHECK_EQ(zus_parse_cpulist("0", c, 16), 1);
	CHECK_EQ(zus_parse_cpulist("", c, 16), -EINVAL);
	CHECK_EQ(zus_parse_cpulist("3-1", c, 16), -EINVAL);
	CHECK_EQ(zus_parse_cpulist("0-20", c, 16), -EINVAL);
	CHECK_EQ(zus_parse_cpulist("0,x", c, 16), -EINVAL);
	CHECK_EQ(zus_errno_sane(5), -EIO);
	CHECK_EQ(zus_errno_sane(-5000), -EIO);
	CHECK_EQ(zus_errno_sane(-ENOENT), -ENOENT);
}

void t_pure(void)
{
	t_echo_pattern();
	t_abi_msg();
	t_log_levels();
	t_cpulist();
}
