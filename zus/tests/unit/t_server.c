// SPDX-License-Identifier: BSD-3-Clause
/*
 * t_server.c - libzus against the fake zuf.ko: start, ZT dispatch, the
 * mount thread with the zutest plugin, shutdown, failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zus/zus_server.h>

#include "fake_zuf.h"
#include "unit.h"

static char root[64];
static atomic_int fatal_calls;

static void on_fatal(void *arg)
{
	(void)arg;
	atomic_fetch_add(&fatal_calls, 1);
}

static struct zus_server *server(unsigned int channels, unsigned int major)
{
	struct zus_server_opts o = {
		.prog = "zusd", .zuf_root = root, .channels = channels,
		.on_fatal = on_fatal, .handshake_major = major,
	};
	struct zus_server *s = zus_server_new(&o);
	const char *d = getenv("ZUS_TEST_PLUGIN_DIR");

	zus_set_log_level(ZUS_LOG_WARN);
	if (zus_server_load_plugin(s, "zutest", d ? d : "."))
		abort();
	return s;
}

static int do_start(void *s)
{
	return zus_server_start(s);
}

static int start(struct zus_server *s, char *err, size_t size)
{
	return unit_capture_stderr(err, size, do_start, s);
}

static int mount_op(__u32 op, struct zufs_ioc_mount *zim)
{
	zim->hdr.operation = op;
	zim->hdr.in_len = sizeof(*zim);
	zim->hdr.out_max = sizeof(*zim);
	zim->hdr.out_start = sizeof(zim->hdr);
	return fk_mount_call(zim);
}

static __u64 do_mount(const char *options)
{
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));
	struct timespec now;
	__u64 sbi;

	zim->zmi.zus_zfi = fk_registered_zfi(0);
	snprintf(zim->zmi.options, sizeof(zim->zmi.options), "%s", options);
	zim->zmi.options_len = strlen(options);
	CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), 0);
	CHECK(zim->zmi.zus_sbi != 0 && zim->zmi.zus_ii != 0);
	CHECK_EQ(zim->zmi.root.mode, S_IFDIR | 0755);
	CHECK_EQ(zim->zmi.root.nlink, 2);
	CHECK(zim->zmi.root.uid == 0 && zim->zmi.root.gid == 0);
	clock_gettime(CLOCK_REALTIME, &now);
	CHECK(zim->zmi.root.mtime.sec <= now.tv_sec &&
	      zim->zmi.root.mtime.sec > now.tv_sec - 5);
	CHECK_EQ(zim->zmi.s_blocksize_bits, 12);
	CHECK_EQ(zim->zmi.s_time_gran, 1);
	CHECK(zim->zmi.s_maxbytes > (1ULL << 40));
	sbi = zim->zmi.zus_sbi;
	free(zim);
	return sbi;
}

static void check_show_options(__u64 sbi, const char *want)
{
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));

	zim->zmi.zus_sbi = sbi;
	CHECK_EQ(mount_op(ZUFS_M_SHOW_OPTIONS, zim), 0);
	CHECK_STR(zim->zmi.options, want);
	CHECK_EQ(zim->zmi.options_len, strlen(want));
	free(zim);
}

static void t_mount_ops(__u64 sbi)
{
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));

	zim->zmi.zus_sbi = sbi;
	CHECK_EQ(mount_op(ZUFS_M_STATFS, zim), 0);
	CHECK_EQ(zim->statfs.bsize, 4096);
	CHECK(zim->statfs.blocks > 0 && zim->statfs.bfree <= zim->statfs.blocks);
	CHECK(zim->statfs.files > 0 && zim->statfs.namelen == 255);
	check_show_options(sbi, ",foo=bar,baz");
	memset(zim, 0, sizeof(*zim));
	zim->zmi.zus_sbi = sbi;
	strcpy(zim->zmi.options, "x=1");
	CHECK_EQ(mount_op(ZUFS_M_REMOUNT, zim), 0);
	check_show_options(sbi, ",x=1");
	memset(zim, 0, sizeof(*zim));
	zim->zmi.zus_sbi = sbi + 8;		/* bogus handle */
	CHECK_EQ(mount_op(ZUFS_M_STATFS, zim), -EINVAL);
	memset(zim, 0, sizeof(*zim));
	zim->zmi.zus_zfi = 12345;		/* unknown fs type */
	CHECK_EQ(mount_op(ZUFS_M_MOUNT, zim), -EINVAL);
	free(zim);
}

static int noop(unsigned int cpu, unsigned int chan, __u64 sbi)
{
	struct zufs_ioc_hdr h = {
		.operation = ZUFS_OP_NOOP, .in_len = sizeof(h),
		.out_start = sizeof(h), .out_max = sizeof(h), .offset = sbi,
	};

	return fk_dispatch(fk_cpu(cpu), chan, &h, NULL, 0, 0);
}

/* ECHO of len bytes at window offset pg, the pieces index at base. */
static int echo(unsigned int cpu, __u64 sbi, size_t len, unsigned int pg,
		__u64 base, int corrupt_at, __u64 *checked)
{
	struct zufs_ioc_echo ze = {
		.hdr = { .operation = ZUFS_OP_ECHO, .in_len = sizeof(ze),
			 .out_start = offsetof(struct zufs_ioc_echo, checked),
			 .out_max = sizeof(ze), .offset = base, .len = len },
		.zus_sbi = sbi, .pg_offset = pg, .seed_in = 11, .seed_out = 22,
	};
	unsigned char *buf = malloc(len ? len : 1);
	size_t i, bad = 0;
	int err;

	for (i = 0; i < len; i++)
		buf[i] = zufs_echo_pattern(11, base + i);
	if (corrupt_at >= 0)
		buf[corrupt_at] ^= 0x5a;
	err = fk_dispatch(fk_cpu(cpu), 0, &ze.hdr, buf, len, pg);
	if (!err) {
		CHECK_EQ(ze.hdr.out_len, sizeof(ze.checked));
		for (i = 0; i < len; i++)
			bad += buf[i] != zufs_echo_pattern(22, base + i);
		CHECK_EQ(bad, 0);
	}
	*checked = ze.checked;
	free(buf);
	return err;
}

static void t_zt_ops(__u64 sbi)
{
	static const size_t sizes[] = { 1, 2, 100, 4095, 4096, 4097, 65536,
					(1 << 20) + 3 };
	unsigned int i, c;
	__u64 checked;

	for (c = 0; c < fk_ncpus(); c++)
		for (i = 0; i < 2; i++)
			CHECK_EQ(noop(c, i, sbi), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_EQ(echo(i % fk_ncpus(), sbi, sizes[i], i * 37 % 4096, 0,
			      -1, &checked), 0);
		CHECK_EQ(checked, sizes[i]);
	}
	/* the whole window, as a second piece of a split request */
	CHECK_EQ(echo(0, sbi, ZUFS_APP_WINDOW_SIZE, 0, ZUFS_APP_WINDOW_SIZE,
		      -1, &checked), 0);
	CHECK_EQ(checked, ZUFS_APP_WINDOW_SIZE);
	CHECK_EQ(echo(0, sbi, 8192, 5, 0, 4000, &checked), -EILSEQ);
	CHECK_EQ(checked, 4000);
	{	/* a window overflow and a request without pages */
		struct zufs_ioc_echo ze = {
			.hdr = { .operation = ZUFS_OP_ECHO, .in_len = sizeof(ze),
				 .out_max = sizeof(ze),
				 .len = ZUFS_APP_WINDOW_SIZE },
			.zus_sbi = sbi, .pg_offset = 1,
		};
		char b[16] = { 0 };

		CHECK_EQ(fk_dispatch(fk_cpu(0), 0, &ze.hdr, b, 16, 0), -EINVAL);
		ze.pg_offset = 0;
		CHECK_EQ(fk_dispatch(fk_cpu(0), 0, &ze.hdr, NULL, 0, 0), -EINVAL);
	}
	CHECK_EQ(echo(0, sbi + 1, 16, 0, 0, -1, &checked), -EINVAL);
	{
		struct zufs_ioc_hdr h = { .operation = 0x07ff, .in_len = sizeof(h),
					  .out_start = sizeof(h), .out_max = sizeof(h) };

		CHECK_EQ(fk_dispatch(fk_cpu(0), 1, &h, NULL, 0, 0), -EOPNOTSUPP);
		h.in_len = 1 << 30;
		h.operation = ZUFS_OP_NOOP;
		CHECK_EQ(fk_dispatch(fk_cpu(0), 1, &h, NULL, 0, 0), -EINVAL);
	}
}

static void t_full(void)
{
	struct zus_server *s;
	struct zufs_ioc_mount *zim = calloc(1, sizeof(*zim));
	char err[1024];
	__u64 sbi, sbi2;

	fk_reset(NULL);
	s = server(2, 0);
	CHECK_EQ(start(s, err, sizeof(err)), 0);
	CHECK_EQ(fk_zt_count(), fk_ncpus() * 2);
	CHECK_EQ(zus_server_zt_count(s), fk_ncpus() * 2);
	CHECK_EQ(fk_bad_affinity(), 0);
	CHECK_EQ(fk_registered(), 1);
	CHECK_STR(fk_registered_name(0), "zutest");

	sbi = do_mount("foo=bar,baz");
	t_mount_ops(sbi);
	t_zt_ops(sbi);
	zim->zmi.zus_sbi = sbi;
	CHECK_EQ(mount_op(ZUFS_M_UMOUNT, zim), 0);
	CHECK_EQ(mount_op(ZUFS_M_STATFS, zim), -EINVAL);
	CHECK_EQ(noop(0, 0, sbi), 0);		/* NOOP needs no sbi */
	/* left mounted at shutdown: released by zus_server_free */
	sbi2 = do_mount("");
	check_show_options(sbi2, "");
	CHECK_EQ(zus_server_stop(s), 0);
	CHECK_EQ(noop(0, 0, 0), -ETIMEDOUT);	/* nobody serves now */
	zus_server_free(s);
	CHECK_EQ(atomic_load(&fatal_calls), 0);
	free(zim);
}

static void t_busy(void)
{
	struct zus_server *a, *b;
	char err[1024], want[256];

	fk_reset(NULL);
	a = server(1, 0);
	b = server(1, 0);
	CHECK_EQ(start(a, err, sizeof(err)), 0);
	CHECK_EQ(start(b, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want),
		 "zusd: another ZUFS server is already attached to %s\n", root);
	CHECK_STR(err, want);
	CHECK_EQ(start(b, err, sizeof(err)), -EBUSY);	/* one start only */
	zus_server_free(b);
	CHECK_EQ(noop(0, 0, 0), 0);			/* a still serves */
	zus_server_free(a);
}

static void t_abi(void)
{
	struct fk_config k2 = { .kernel_major = 2 };
	struct zus_server *s;
	char err[1024], want[256];

	fk_reset(NULL);
	s = server(1, 2);
	CHECK_EQ(start(s, err, sizeof(err)), -EPROTO);
	snprintf(want, sizeof(want), "zusd: ABI mismatch: zusd speaks ZUFS ABI 2.%d but zuf.ko speaks 1.0; upgrade the zufs-dkms package\n",
		 ZUFS_ABI_MINOR);
	CHECK_STR(err, want);
	zus_server_free(s);
	fk_reset(&k2);
	s = server(1, 0);
	CHECK_EQ(start(s, err, sizeof(err)), -EPROTO);
	snprintf(want, sizeof(want), "zusd: ABI mismatch: zusd speaks ZUFS ABI 1.%d but zuf.ko speaks 2.0; upgrade the zus package\n",
		 ZUFS_ABI_MINOR);
	CHECK_STR(err, want);
	zus_server_free(s);
}

static void t_failures(void)
{
	struct fk_config no_win = { .kernel_caps = ZUFS_CAP_NUMA_MAP };
	struct fk_config bad_init = { .fail_init_thread = ENOMEM };
	struct zus_server *s;
	char err[2048];
	__u64 checked, sbi;
	int i;

	/* no zuf-root */
	fk_reset(NULL);
	s = zus_server_new(&(struct zus_server_opts){ .prog = "zusd",
				.zuf_root = "/nonexistent/zuf" });
	zus_server_load_plugin(s, "zutest", getenv("ZUS_TEST_PLUGIN_DIR"));
	CHECK_EQ(start(s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "zusd: cannot open /nonexistent/zuf") == err);
	zus_server_free(s);

	/* INIT_THREAD refused: start fails, everything is joined */
	fk_reset(&bad_init);
	s = server(1, 0);
	CHECK_EQ(start(s, err, sizeof(err)), -ENOMEM);
	CHECK(strstr(err, "ZU_IOC_INIT_THREAD: Cannot allocate memory") != NULL);
	zus_server_free(s);

	/* no window capability: NOOP works, ECHO is refused */
	fk_reset(&no_win);
	s = server(1, 0);
	CHECK_EQ(start(s, err, sizeof(err)), 0);
	sbi = do_mount("");
	CHECK_EQ(noop(0, 0, sbi), 0);
	CHECK_EQ(echo(0, sbi, 16, 0, 0, -1, &checked), -EINVAL);
	zus_server_free(s);

	/* the session dies under the server: on_fatal, then a clean stop */
	fk_reset(NULL);
	s = server(1, 0);
	CHECK_EQ(start(s, err, sizeof(err)), 0);
	atomic_store(&fatal_calls, 0);
	fk_fail_wait(EIO);	/* the ZTs log it and call on_fatal once */
	for (i = 0; i < 500 && !atomic_load(&fatal_calls); i++)
		usleep(10000);
	CHECK_EQ(atomic_load(&fatal_calls), 1);
	fk_fail_wait(0);
	zus_server_free(s);
}

void t_server(void)
{
	strcpy(root, "/tmp/zus-unit-root-XXXXXX");
	if (!mkdtemp(root))
		abort();
	t_full();
	t_busy();
	t_abi();
	t_failures();
	fk_disarm();
	rmdir(root);
}
