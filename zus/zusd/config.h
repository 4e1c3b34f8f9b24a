/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h - zusd settings: /etc/zufs.conf, then the command line.
 */
#ifndef ZUSD_CONFIG_H
#define ZUSD_CONFIG_H

#include <stdbool.h>

#define ZUSD_MAX_PLUGINS	32

struct zusd_config {
	char *plugins[ZUSD_MAX_PLUGINS];	/* none: load every plugin */
	unsigned int nplugins;
	char *plugin_path;		/* NULL: $ZUS_PLUGIN_PATH or default */
	unsigned int channels;
	unsigned int command_buffer;	/* bytes */
	int log_level;
	char *zuf_root;
	const char *config_file;	/* the file that was read */
};

void zusd_config_init(struct zusd_config *cfg);
void zusd_config_free(struct zusd_config *cfg);

/*
 * Set KEY to VALUE. WHERE names the origin for the one-line error message
 * ("/etc/zufs.conf:12" or "--channels"). Returns 0 or -1 (message printed).
 */
int zusd_config_set(struct zusd_config *cfg, const char *key,
		    const char *value, const char *where);

/*
 * Read a config file. A missing file is fine unless must_exist.
 * Returns 0 or -1 (one error line printed, naming file and line).
 */
int zusd_config_read(struct zusd_config *cfg, const char *path,
		     bool must_exist);

/* Parse "64K", "1M", "4096", "2MiB" into bytes; -1 if invalid. */
long long zusd_parse_size(const char *s);

/* zusd_options() results */
enum { ZUSD_RUN = 0, ZUSD_EXIT_OK = 1, ZUSD_EXIT_USAGE = 2 };

/*
 * Command line: -c FILE is read first (default /etc/zufs.conf, see
 * ZUSD_DEFAULT_CONFIG), then the other options override it.
 */
int zusd_options(int argc, char **argv, struct zusd_config *cfg);

#endif /* ZUSD_CONFIG_H */
