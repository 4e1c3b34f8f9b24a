// SPDX-License-Identifier: BSD-3-Clause
/* Packaging-test stand-in for zusd: checks zuf-root is mounted, reads
 * /etc/zufs.conf, tells systemd READY=1, exits 0 on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#include "zus.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, len) < 0)
		fprintf(stderr, "zusd: sd_notify: %s\n", strerror(errno));
	close(fd);
}

int main(void)
{
	struct zus_stub_info info;
	struct sigaction sa = { .sa_handler = on_term };
	struct statfs st;
	FILE *conf;

	if (statfs(ZUFS_ROOT_PATH, &st) || st.f_type != ZUFS_ROOT_MAGIC) {
		fprintf(stderr, "zusd: %s is not mounted (type %s)\n",
			ZUFS_ROOT_PATH, ZUFS_ROOT_FSTYPE);
		return 1;
	}
	/* The real server opens zuf-root files O_TMPFILE|O_RDWR: zuf-root must
	 * be writable inside the unit's sandbox (ReadWritePaths=).
	 */
	if (access(ZUFS_ROOT_PATH, W_OK)) {
		fprintf(stderr, "zusd: %s is not writable: %s\n", ZUFS_ROOT_PATH,
			strerror(errno));
		return 1;
	}
	conf = fopen("/etc/zufs.conf", "r");
	if (!conf) {
		fprintf(stderr, "zusd: /etc/zufs.conf: %s\n", strerror(errno));
		return 1;
	}
	fclose(conf);
	zus_stub_info(&info);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "zusd: stub server ready, ABI %u.%u\n",
		info.abi_major, info.abi_minor);
	notify("READY=1");
	while (!stop)
		pause();
	notify("STOPPING=1");
	fprintf(stderr, "zusd: stopped\n");
	return 0;
}
