// SPDX-License-Identifier: BSD-3-Clause
/*
 * zufs-perm [-r ZUF_ROOT] [-a APP_PATH]
 *
 * Run as a non-root user: checks that the server side of ZUFS is closed to
 * it. Opening a zuf-root special file must fail with EACCES or EPERM; if
 * the open succeeds, every server ioctl on it must fail with EPERM (and
 * none may block). With -a, the application ioctls (NOOP, ECHO) on a file
 * of a ZUFS mount must work for this user. Exit 0 if all held, 1 if not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tool.h"

static unsigned int failures;

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "zufs-perm: FAIL: a server ioctl blocked\n";

	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void expect_eperm(int fd, unsigned long req, const char *name)
{
	static union {
		struct zufs_ioc_handshake hs;
		struct zufs_ioc_register_fs rf;
		struct zufs_ioc_numa_map nm;
		struct zufs_ioc_init_thread it;
		struct zufs_ioc_mount zim;
		struct zufs_ioc_pmem pm;
		struct zufs_ioc_private_mount pvm;
		struct zufs_ioc_alloc_buffer ab;
	} arg;
	int r;

	memset(&arg, 0, sizeof(arg));
	arg.hs.major = ZUFS_ABI_MAJOR;
	alarm(5);
	r = ioctl(fd, req, &arg);
	alarm(0);
	if (r == 0 || errno != EPERM) {
		tool_msg("FAIL: %s as uid %d: %s (expected EPERM)", name,
			 (int)getuid(), r ? strerror(errno) : "succeeded");
		failures++;
	} else {
		printf("zufs-perm: %s: EPERM as expected\n", name);
	}
}

static void check_root(const char *root)
{
	int fd = open(root, O_TMPFILE | O_RDWR, 0600);

	if (fd < 0) {
		if (errno == EACCES || errno == EPERM) {
			printf("zufs-perm: open(%s, O_TMPFILE): %s, as expected\n",
			       root, strerror(errno));
			return;
		}
		tool_msg("FAIL: open(%s, O_TMPFILE): %s (expected EACCES or EPERM)",
			 root, strerror(errno));
		failures++;
		return;
	}
	printf("zufs-perm: open(%s, O_TMPFILE) succeeded; checking the ioctls\n",
	       root);
	expect_eperm(fd, ZU_IOC_HANDSHAKE, "ZU_IOC_HANDSHAKE");
	expect_eperm(fd, ZU_IOC_REGISTER_FS, "ZU_IOC_REGISTER_FS");
	expect_eperm(fd, ZU_IOC_NUMA_MAP, "ZU_IOC_NUMA_MAP");
	expect_eperm(fd, ZU_IOC_INIT_THREAD, "ZU_IOC_INIT_THREAD");
	expect_eperm(fd, ZU_IOC_WAIT_OPT, "ZU_IOC_WAIT_OPT");
	expect_eperm(fd, ZU_IOC_BREAK_ALL, "ZU_IOC_BREAK_ALL");
	expect_eperm(fd, ZU_IOC_MOUNT, "ZU_IOC_MOUNT");
	expect_eperm(fd, ZU_IOC_GRAB_PMEM, "ZU_IOC_GRAB_PMEM");
	expect_eperm(fd, ZU_IOC_PRIVATE_MOUNT, "ZU_IOC_PRIVATE_MOUNT");
	expect_eperm(fd, ZU_IOC_ALLOC_BUFFER, "ZU_IOC_ALLOC_BUFFER");
	close(fd);
}

static void check_app(const char *path)
{
	int fd = tool_open(path), err;
	unsigned char buf[4096];
	uint64_t checked;

	err = tool_noop(fd);
	if (err) {
		tool_msg("FAIL: ZUFS_IOC_NOOP on %s as uid %d: %s", path,
			 (int)getuid(), strerror(-err));
		failures++;
	}
	tool_fill(buf, sizeof(buf), 1);
	err = tool_echo(fd, buf, sizeof(buf), 1, 2, &checked);
	if (err || tool_verify(buf, sizeof(buf), 2) >= 0) {
		tool_msg("FAIL: ZUFS_IOC_ECHO on %s as uid %d: %s", path,
			 (int)getuid(), err ? strerror(-err) : "wrong data");
		failures++;
	}
	if (!failures)
		printf("zufs-perm: application ioctls on %s work as uid %d\n",
		       path, (int)getuid());
	close(fd);
}

int main(int argc, char **argv)
{
	const char *root = ZUFS_ROOT_PATH, *app = NULL;
	int c;

	tool_name = "zufs-perm";
	while ((c = getopt(argc, argv, "r:a:h")) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'a': app = optarg; break;
		default:
			fprintf(stderr, "Usage: zufs-perm [-r ZUF_ROOT] [-a APP_PATH]   (as a non-root user)\n");
			return 2;
		}
	}
	if (geteuid() == 0)
		tool_die(2, "run me as a non-root user (root may do all of this)");
	signal(SIGALRM, on_alarm);
	check_root(root);
	if (app)
		check_app(app);
	if (failures) {
		printf("zufs-perm: %u check(s) FAILED\n", failures);
		return 1;
	}
	printf("zufs-perm: all checks passed\n");
	return 0;
}
