// SPDX-License-Identifier: BSD-3-Clause
/*
 * zusd - the ZUFS user-mode server daemon.
 *
 * Reads /etc/zufs.conf and the command line, loads the filesystem plugins,
 * attaches to zuf.ko through libzus and serves until SIGTERM or SIGINT.
 * Runs in the foreground under systemd (Type=notify): READY=1 once every
 * filesystem type is registered, STOPPING=1 on shutdown.
 *
 * Exit status: 0 after a clean shutdown, 1 when the server failed (ABI
 * mismatch, another server attached, kernel session lost, ...), 2 for bad
 * configuration or usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <zus/zus_server.h>

#include "config.h"

/* The fatal callback runs in a server thread: just wake main. */
static void on_fatal(void *arg)
{
	int fd = *(int *)arg;
	char c = 1;

	if (write(fd, &c, 1) < 0)
		return;
}

static int load_plugins(struct zus_server *s, const struct zusd_config *cfg)
{
	const char *path = cfg->plugin_path ? cfg->plugin_path :
					      zus_default_plugin_path();
	unsigned int i;
	int err;

	if (!cfg->nplugins)
		return zus_server_load_all_plugins(s, path);
	for (i = 0; i < cfg->nplugins; i++) {
		err = zus_server_load_plugin(s, cfg->plugins[i], path);
		if (err)
			return err;
	}
	return 0;
}

/* Block the signals we wait for; the server threads inherit the mask. */
static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Wait for SIGTERM/SIGINT (returns 0) or a server failure (returns 1). */
static int serve(int sfd, int fatal_fd)
{
	struct pollfd p[2] = { { sfd, POLLIN, 0 }, { fatal_fd, POLLIN, 0 } };
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			zus_err("poll: %s", strerror(errno));
			return 1;
		}
		if (p[1].revents) {
			zus_err("server failed, shutting down");
			return 1;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			zus_info("SIGHUP ignored (restart zusd to reload the configuration)");
			continue;
		}
		zus_info("%s: shutting down", strsignal(si.ssi_signo));
		return 0;
	}
}

static int run(const struct zusd_config *cfg, int sfd)
{
	struct zus_server_opts o = { .prog = "zusd" };
	struct zus_server *s;
	int pipefd[2], rc = 1;

	if (pipe2(pipefd, O_CLOEXEC)) {
		zus_err("pipe: %s", strerror(errno));
		return 1;
	}
	o.zuf_root = cfg->zuf_root;
	o.channels = cfg->channels;
	o.max_command = cfg->command_buffer;
	o.on_fatal = on_fatal;
	o.fatal_arg = &pipefd[1];
#ifdef ZUS_HANDSHAKE_MAJOR
	o.handshake_major = ZUS_HANDSHAKE_MAJOR;	/* ABI-mismatch test build */
#endif
	s = zus_server_new(&o);
	if (!s) {
		zus_err("out of memory");
		goto out;
	}
	if (load_plugins(s, cfg) || zus_server_start(s))
		goto free;
	sd_notifyf(0, "READY=1\nSTATUS=Serving %u filesystem types with %u ZT threads",
		   zus_server_fs_count(s), zus_server_zt_count(s));
	rc = serve(sfd, pipefd[0]);
	sd_notify(0, "STOPPING=1");
	if (zus_server_stop(s))
		rc = 1;
free:
	zus_server_free(s);
out:
	close(pipefd[0]);
	close(pipefd[1]);
	return rc;
}

int main(int argc, char **argv)
{
	struct zusd_config cfg;
	int rc, sfd;

	zusd_config_init(&cfg);
	rc = zusd_options(argc, argv, &cfg);
	if (rc != ZUSD_RUN) {
		zusd_config_free(&cfg);
		return rc == ZUSD_EXIT_OK ? 0 : 2;
	}
	zus_set_log_level(cfg.log_level);
	sfd = signals_fd();
	if (sfd < 0) {
		fprintf(stderr, "zusd: signalfd: %s\n", strerror(errno));
		rc = 1;
	} else {
		rc = run(&cfg, sfd);
		close(sfd);
	}
	zusd_config_free(&cfg);
	return rc;
}
