// SPDX-License-Identifier: BSD-3-Clause
/*
 * server.c - the server session: handshake, CPUs, start, stop.
 *
 * Start order: handshake (the session file), CPU discovery, ZT threads
 * (all INIT_THREAD done), mount thread, REGISTER_FS of every fs type. Only
 * then can a mount arrive, so a ready server never has half a channel set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "zus_private.h"

/*
 * What libzus implements. The kernel only sends operations of agreed
 * capabilities, so a bit goes here together with its dispatch code (e.g.
 * ZUFS_CAP_NAMESPACE when the namespace operations are dispatched).
 */
#define ZUS_CAPS_IMPLEMENTED (ZUFS_CAP_ZT_WINDOW | ZUFS_CAP_NUMA_MAP | \
			      ZUFS_CAP_PRIVATE_MOUNT | ZUFS_CAP_PMEM | \
			      ZUFS_CAP_EXEC_BUFFER | ZUFS_CAP_NAMESPACE | \
			      ZUFS_CAP_RW | ZUFS_CAP_SPACE | \
			      ZUFS_CAP_XATTR | ZUFS_CAP_FASTIO | \
			      ZUFS_CAP_SYNC | ZUFS_CAP_EXTCACHE | \
			      ZUFS_CAP_NI_XATTR)

#ifndef ZUS_BREAK_TIMEOUT_MS
#define ZUS_BREAK_TIMEOUT_MS 10000
#endif

struct zus_server *zus_server_new(const struct zus_server_opts *opts)
{
	struct zus_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->prog = strdup(opts && opts->prog ? opts->prog : "zus");
	s->zuf_root = strdup(opts && opts->zuf_root ? opts->zuf_root :
			     ZUFS_ROOT_PATH);
	if (!s->prog || !s->zuf_root) {
		free(s->prog);
		free(s->zuf_root);
		free(s);
		return NULL;
	}
	zus_log_set_prog(s->prog);
	s->channels = opts && opts->channels ? opts->channels : 1;
	s->max_command = opts && opts->max_command ? opts->max_command :
			 ZUFS_CMD_DEFAULT;
	s->handshake_major = opts && opts->handshake_major ?
			     opts->handshake_major : ZUFS_ABI_MAJOR;
	s->on_fatal = opts ? opts->on_fatal : NULL;
	s->fatal_arg = opts ? opts->fatal_arg : NULL;
	s->session_fd = -1;
	s->mount_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_rwlock_init(&s->sbi_lock, NULL);
	return s;
}

bool zus_stopping(struct zus_server *s)
{
	return atomic_load(&s->stopping);
}

/* A server thread cannot go on: tell the program (once). */
void zus_server_fatal(struct zus_server *s)
{
	if (zus_stopping(s) || atomic_exchange(&s->fatal_sent, true))
		return;
	if (s->on_fatal)
		s->on_fatal(s->fatal_arg);
}

/* Server threads take no signals; the program's main thread does. */
int zus_block_signals(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	return pthread_sigmask(SIG_BLOCK, &all, old);
}

/* ~~~~ handshake ~~~~ */

static int handshake_error(struct zus_server *s, int err)
{
	char msg[256];

	switch (err) {
	case -EPROTO:
		zus_abi_mismatch_msg(msg, sizeof(msg), s->prog, s->hs.major,
				     s->hs.minor, s->hs.kernel_major,
				     s->hs.kernel_minor);
		zus_err("%s", msg);
		break;
	case -EBUSY:
		zus_err("another ZUFS server is already attached to %s",
			s->zuf_root);
		break;
	default:
		zus_err("handshake with zuf.ko on %s failed: %s", s->zuf_root,
			strerror(-err));
	}
	return err;
}

static int session_open(struct zus_server *s)
{
	struct zufs_ioc_handshake *hs = &s->hs;

	s->session_fd = zus_open_root(s);
	if (s->session_fd < 0) {
		int err = s->session_fd;

		zus_err("cannot open %s: %s (%s)", s->zuf_root, strerror(-err),
			err == -EACCES || err == -EPERM ?
			"zusd must run as root" :
			"is zuf.ko loaded and zuf-root mounted there?");
		return err;
	}
	memset(hs, 0, sizeof(*hs));
	hs->major = s->handshake_major;
	hs->minor = ZUFS_ABI_MINOR;
	hs->caps = ZUFS_CAPS_ALL & ZUS_CAPS_IMPLEMENTED;
	snprintf(hs->version, sizeof(hs->version), "zus %s", zus_version());
	if (ioctl(s->session_fd, ZU_IOC_HANDSHAKE, hs) < 0)
		return handshake_error(s, -errno);
	hs->kernel_version[ZUFS_VERSION_STR_MAX - 1] = 0;
	hs->agreed_caps &= hs->caps;
	zus_info("attached to zuf.ko %s (ZUFS ABI %u.%u), capabilities 0x%llx",
		 hs->kernel_version, hs->kernel_major, hs->kernel_minor,
		 (unsigned long long)hs->agreed_caps);
	if (hs->max_channels && s->channels > hs->max_channels) {
		zus_err("%u channels per CPU requested, zuf.ko allows %u",
			s->channels, hs->max_channels);
		return -EINVAL;
	}
	return 0;
}

/* ~~~~ CPUs ~~~~ */

static int cpus_from_numa_map(struct zus_server *s)
{
	struct zufs_ioc_numa_map *map = calloc(1, sizeof(*map));
	unsigned int cpu, n;
	int err = 0;

	if (!map)
		return -ENOMEM;
	if (ioctl(s->session_fd, ZU_IOC_NUMA_MAP, map) < 0) {
		err = -errno;
		zus_err("ZU_IOC_NUMA_MAP: %s", strerror(-err));
		goto out;
	}
	n = map->possible_cpus < ZUFS_MAX_CPUS ? map->possible_cpus :
						 ZUFS_MAX_CPUS;
	for (cpu = 0; cpu < n; cpu++)
		if (map->cpu_to_node[cpu] != ZUFS_NODE_NONE)
			s->cpus[s->ncpus++] = cpu;
	zus_dbg("NUMA map: %u possible CPUs, %u online, %u nodes", n,
		map->online_cpus, map->online_nodes);
out:
	free(map);
	return err;
}

static int cpus_from_sysfs(struct zus_server *s)
{
	const char *f = "/sys/devices/system/cpu/online";
	char buf[4096];
	ssize_t len = -1;
	int fd, n;

	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = 0;
	n = zus_parse_cpulist(buf, s->cpus, ZUFS_MAX_CPUS);
	if (n < 0) {
		zus_err("cannot read the online CPUs from %s", f);
		return n;
	}
	s->ncpus = n;
	return 0;
}

static int cpus_discover(struct zus_server *s)
{
	int err;

	s->cpus = calloc(ZUFS_MAX_CPUS, sizeof(*s->cpus));
	if (!s->cpus)
		return -ENOMEM;
	if (s->hs.agreed_caps & ZUFS_CAP_NUMA_MAP)
		err = cpus_from_numa_map(s);
	else
		err = cpus_from_sysfs(s);
	if (!err && !s->ncpus) {
		zus_err("no online CPU to run ZT threads on");
		err = -ENODEV;
	}
	return err;
}

/* ~~~~ registration ~~~~ */

static int register_fs(struct zus_server *s, struct zus_fs_entry *e)
{
	struct zufs_ioc_register_fs r;

	memset(&r, 0, sizeof(r));
	r.zus_zfi = (__u64)(uintptr_t)e;
	snprintf(r.name, sizeof(r.name), "%s", e->zfi->name);
	r.magic = e->zfi->magic;
	r.version = e->zfi->version;
	r.fs_caps = e->zfi->fs_caps;
	/* a kernel without ZUFS_CAP_NI_XATTR refuses the bit it does not know */
	if (!(s->hs.agreed_caps & ZUFS_CAP_NI_XATTR))
		r.fs_caps &= ~ZUFS_FSC_NI_XATTR;
	if (ioctl(s->session_fd, ZU_IOC_REGISTER_FS, &r) < 0) {
		int err = -errno;

		zus_err("cannot register filesystem type %s: %s", r.name,
			strerror(-err));
		return err;
	}
	return 0;
}

static int register_all(struct zus_server *s)
{
	struct zus_fs_entry *e;
	int err;

	for (e = s->fs; e; e = e->next) {
		err = register_fs(s, e);
		if (err)
			return err;
	}
	return 0;
}

int zus_server_start(struct zus_server *s)
{
	int err;

	if (s->used)
		return -EBUSY;	/* one start per server object */
	s->used = true;
	if (!s->fs) {
		zus_err("no filesystem types to serve (no plugin loaded)");
		return -ENOENT;
	}
	err = session_open(s);
	if (!err)
		err = cpus_discover(s);
	if (!err)
		err = zus_zts_start(s);
	if (!err)
		err = zus_mount_thread_start(s);
	if (!err)
		err = register_all(s);
	if (err) {
		zus_server_stop(s);
		return err;
	}
	s->started = true;
	zus_info("ready: %u ZT threads (%u CPUs x %u channels), %u filesystem types",
		 s->nzt, s->ncpus, s->channels, zus_server_fs_count(s));
	return 0;
}

/* ~~~~ stop ~~~~ */

static bool join_one(pthread_t t, bool *joined, const struct timespec *dl)
{
	if (*joined)
		return true;
	*joined = !pthread_timedjoin_np(t, NULL, dl);
	return *joined;
}

/* One round: break everyone out, give them until dl. */
static bool join_round(struct zus_server *s, const struct timespec *dl)
{
	bool all = true;
	unsigned int i;

	if (s->session_fd >= 0 && ioctl(s->session_fd, ZU_IOC_BREAK_ALL) < 0)
		zus_dbg("ZU_IOC_BREAK_ALL: %s", strerror(errno));
	for (i = 0; i < s->nzt; i++)
		if (s->zts[i].created)
			all &= join_one(s->zts[i].thread, &s->zts[i].joined, dl);
	if (s->mount_created)
		all &= join_one(s->mount_thread, &s->mount_joined, dl);
	return all;
}

static void threads_join(struct zus_server *s)
{
	struct timespec dl;
	int waited;

	for (waited = 0; waited < ZUS_BREAK_TIMEOUT_MS; waited += 200) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 200 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		if (join_round(s, &dl))
			return;
	}
	zus_err("server threads did not stop within %d s of ZU_IOC_BREAK_ALL",
		ZUS_BREAK_TIMEOUT_MS / 1000);
	s->leaked = true;
}

int zus_server_stop(struct zus_server *s)
{
	atomic_store(&s->stopping, true);
	threads_join(s);
	zus_zts_release(s);
	if (s->mount_fd >= 0 && (!s->mount_created || s->mount_joined)) {
		close(s->mount_fd);
		s->mount_fd = -1;
	}
	if (s->session_fd >= 0) {
		close(s->session_fd);
		s->session_fd = -1;
	}
	if (s->started && !s->leaked)
		zus_info("stopped: all %u ZT threads and the mount thread joined",
			 s->nzt);
	s->started = false;
	return s->leaked ? -ETIMEDOUT : 0;
}

void zus_server_free(struct zus_server *s)
{
	if (!s)
		return;
	zus_server_stop(s);
	if (s->leaked)
		return;		/* threads still hold s */
	zus_sbi_destroy_all(s);
	zus_plugins_unload(s);
	free(s->zts);
	free(s->cpus);
	free(s->prog);
	free(s->zuf_root);
	pthread_rwlock_destroy(&s->sbi_lock);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
