/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zus_private.h - libzus internals shared by its source files.
 */
#ifndef ZUS_PRIVATE_H
#define ZUS_PRIVATE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "zus/zus_server.h"

#define ZUS_HIDDEN __attribute__((visibility("hidden")))

/* A loaded plugin (shared object). */
struct zus_plugin {
	struct zus_plugin *next;
	char *name;		/* "zutest" */
	char *path;		/* the file dlopen()ed */
	void *dl;
};

/* A filesystem type; its address is the zus_zfi handle of the kernel. */
struct zus_fs_entry {
	struct zus_fs_entry *next;
	const struct zus_fs_info *zfi;
	struct zus_plugin *plugin;
};

struct zus_plugin_ctx {
	struct zus_server *srv;
	struct zus_plugin *plugin;
};

/* One ZT thread: (cpu, channel). */
struct zus_zt {
	struct zus_server *srv;
	pthread_t thread;
	bool created;
	bool joined;
	unsigned int cpu;
	unsigned int channel;
	int fd;
	void *cmd;		/* command buffer, cmd_size bytes */
	size_t cmd_size;
	void *win;		/* application window, or NULL */
};

struct zus_server {
	char *prog;
	char *zuf_root;
	unsigned int channels;
	unsigned int max_command;
	unsigned int handshake_major;
	void (*on_fatal)(void *arg);
	void *fatal_arg;

	struct zus_plugin *plugins;
	struct zus_fs_entry *fs;	/* in registration order */

	int session_fd;
	struct zufs_ioc_handshake hs;
	bool used;			/* zus_server_start was called */
	bool started;			/* zus_server_start succeeded */
	atomic_bool stopping;
	atomic_bool fatal_sent;

	unsigned int *cpus;		/* online CPUs */
	unsigned int ncpus;

	struct zus_zt *zts;
	unsigned int nzt;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int zt_reported;	/* under lock */
	int zt_error;			/* first INIT error, under lock */

	pthread_t mount_thread;
	bool mount_created;
	bool mount_joined;
	int mount_fd;			/* under lock until mount_ready */
	bool mount_ready;

	pthread_rwlock_t sbi_lock;
	struct zus_sb_info *sbis;	/* mounted, linked by _libzus[0] */
	bool leaked;			/* threads that did not stop */
};

/* log.c */
ZUS_HIDDEN void zus_log_set_prog(const char *prog);

/* util.c */
ZUS_HIDDEN int zus_parse_cpulist(const char *s, unsigned int *cpus,
				 unsigned int max);
ZUS_HIDDEN int zus_errno_sane(int err);
ZUS_HIDDEN int zus_open_root(const struct zus_server *s);

/* plugin.c */
ZUS_HIDDEN void zus_plugins_unload(struct zus_server *s);

/* sbi.c */
ZUS_HIDDEN void zus_sbi_add(struct zus_server *s, struct zus_sb_info *sbi);
ZUS_HIDDEN void zus_sbi_del(struct zus_server *s, struct zus_sb_info *sbi);
ZUS_HIDDEN struct zus_sb_info *zus_sbi_find(struct zus_server *s, __u64 h);
ZUS_HIDDEN void zus_sbi_destroy(struct zus_sb_info *sbi);
ZUS_HIDDEN void zus_sbi_destroy_all(struct zus_server *s);

/* mount.c */
ZUS_HIDDEN int zus_mount_dispatch(struct zus_server *s,
				  struct zufs_ioc_mount *zim);
ZUS_HIDDEN int zus_mount_thread_start(struct zus_server *s);

/* zt.c */
ZUS_HIDDEN void zus_zt_dispatch(struct zus_server *s, struct zus_zt *zt,
				struct zufs_ioc_hdr *hdr);
ZUS_HIDDEN int zus_zts_start(struct zus_server *s);
ZUS_HIDDEN void zus_zts_release(struct zus_server *s);

/* server.c */
ZUS_HIDDEN void zus_server_fatal(struct zus_server *s);
ZUS_HIDDEN bool zus_stopping(struct zus_server *s);
ZUS_HIDDEN int zus_block_signals(sigset_t *old);

#endif /* ZUS_PRIVATE_H */
