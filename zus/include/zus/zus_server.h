/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zus_server.h - running a ZUFS server with libzus (what zusd does).
 *
 *	struct zus_server_opts o = { .prog = "zusd", .channels = 1 };
 *	struct zus_server *s = zus_server_new(&o);
 *
 *	zus_server_load_plugin(s, "zutest", NULL);	// or _load_all
 *	if (zus_server_start(s) == 0) {			// ready
 *		... wait for SIGTERM ...
 *		zus_server_stop(s);
 *	}
 *	zus_server_free(s);
 *
 * Functions return 0 or a negative errno and print one line explaining
 * any failure (through zus_log, prefixed with opts.prog).
 */
#ifndef ZUS_ZUS_SERVER_H
#define ZUS_ZUS_SERVER_H

#include "zus.h"

#ifdef __cplusplus
extern "C" {
#endif

struct zus_server;

struct zus_server_opts {
	const char *prog;		/* log prefix, default "zus" */
	const char *zuf_root;		/* default ZUFS_ROOT_PATH */
	unsigned int channels;		/* per CPU, 0 = 1 */
	unsigned int max_command;	/* command buffer bytes, 0 = default */
	/* Called once from a server thread when the server cannot go on
	 * (the kernel ended the session, a thread died). The program should
	 * then call zus_server_stop() from its main thread.
	 */
	void (*on_fatal)(void *arg);
	void *fatal_arg;
	/* Tests only: the ABI major sent in the handshake (0 = the real
	 * ZUFS_ABI_MAJOR).
	 */
	unsigned int handshake_major;
};

/* Plugin search path default (colon separated directories). */
const char *zus_default_plugin_path(void);

struct zus_server *zus_server_new(const struct zus_server_opts *opts);

/* Load plugin NAME ("zutest" -> zutest.so searched in search_path, a
 * colon-separated list of directories; NULL = zus_default_plugin_path()) or a
 * path containing '/'. Calls its zus_plugin_init(), which registers its
 * filesystem types. Must be called before zus_server_start().
 */
int zus_server_load_plugin(struct zus_server *s, const char *name,
			   const char *search_path);
/* Load every *.so of the first existing directory of search_path. */
int zus_server_load_all_plugins(struct zus_server *s, const char *search_path);

unsigned int zus_server_fs_count(const struct zus_server *s);
const char *zus_server_fs_name(const struct zus_server *s, unsigned int i);
/* Number of ZT threads running (after a successful start). */
unsigned int zus_server_zt_count(const struct zus_server *s);

/* Handshake with zuf.ko, start the ZT threads and the mount thread and
 * register all filesystem types. Returns when the server is ready.
 * -EPROTO: ABI mismatch; -EBUSY: another server is attached.
 */
int zus_server_start(struct zus_server *s);
/* Break all threads out of the kernel and join them (idempotent).
 * Returns 0, or -ETIMEDOUT if some did not stop (then zus_server_free
 * leaves the server's memory alone).
 */
int zus_server_stop(struct zus_server *s);
/* Stop if needed, free every superblock still mounted, unload plugins. */
void zus_server_free(struct zus_server *s);

void zus_set_log_level(int level);
int zus_get_log_level(void);
/* Parse "error", "warn", "info", "debug" or 0..3; -1 if invalid. */
int zus_log_level_from_name(const char *name);

/* "1.2.3" of libzus. */
const char *zus_version(void);

/* The one-line ABI mismatch message (no prefix, no newline) into buf:
 * "ABI mismatch: PROG speaks ZUFS ABI 2.0 but zuf.ko speaks 1.0; upgrade
 * the zufs-dkms package". Returns what snprintf returns.
 */
int zus_abi_mismatch_msg(char *buf, size_t size, const char *prog,
			 unsigned int our_major, unsigned int our_minor,
			 unsigned int k_major, unsigned int k_minor);

#ifdef __cplusplus
}
#endif

#endif /* ZUS_ZUS_SERVER_H */
