// SPDX-License-Identifier: BSD-3-Clause
/*
 * options.c - zusd's command line. The config file (-c, default
 * /etc/zufs.conf) is read first; options given on the command line win.
 * The plugin path is, in order: --plugin-path, $ZUS_PLUGIN_PATH,
 * plugin_path in the config file, the built-in default.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zus/zus_server.h>

#include "config.h"

#ifndef ZUSD_DEFAULT_CONFIG
#define ZUSD_DEFAULT_CONFIG "/etc/zufs.conf"
#endif

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "plugin", required_argument, NULL, 'p' },
	{ "plugin-path", required_argument, NULL, 'P' },
	{ "channels", required_argument, NULL, 'n' },
	{ "command-buffer", required_argument, NULL, 'b' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "zuf-root", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};
#define SHORTOPTS "+c:p:P:n:b:l:vqr:hV"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: zusd [OPTION]...\n"
"The ZUFS user-mode server: serves the filesystems of its plugins to zuf.ko.\n"
"Runs in the foreground (systemd Type=notify); logs go to stderr.\n"
"\n"
"  -c, --config FILE          read FILE instead of %s\n"
"  -p, --plugin NAME          load plugin NAME (repeatable; replaces the\n"
"                             config's 'plugins'; default: every plugin)\n"
"  -P, --plugin-path DIRS     colon-separated plugin directories\n"
"                             (default: $ZUS_PLUGIN_PATH, plugin_path, %s)\n"
"  -n, --channels N           ZT channels per CPU, 1..%d (default 1)\n"
"  -b, --command-buffer SIZE  ZT command buffer, 4K..1M (default 64K)\n"
"  -l, --log-level LEVEL      error, warn, info (default) or debug\n"
"  -v, --verbose              same as --log-level debug\n"
"  -q, --quiet                same as --log-level error\n"
"  -r, --zuf-root PATH        where zuf-root is mounted (default %s)\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n",
		ZUSD_DEFAULT_CONFIG, zus_default_plugin_path(),
		ZUFS_MAX_ZT_CHANNELS, ZUFS_ROOT_PATH);
}

/* Pass 1: -c, --help, --version and unknown options. */
static int first_pass(int argc, char **argv, const char **config)
{
	int c;

	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			usage(stdout);
			return ZUSD_EXIT_OK;
		case 'V':
			printf("zusd %s (ZUFS ABI %d.%d)\n", zus_version(),
			       ZUFS_ABI_MAJOR, ZUFS_ABI_MINOR);
			return ZUSD_EXIT_OK;
		case '?':
			fprintf(stderr, "Try 'zusd --help' for more information.\n");
			return ZUSD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "zusd: unexpected argument '%s'\nTry 'zusd --help' for more information.\n",
			argv[optind]);
		return ZUSD_EXIT_USAGE;
	}
	return ZUSD_RUN;
}

/* -p a -p b,c -> "a,b,c" */
static int add_plugin_arg(char **list, const char *arg)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? "," : "",
		     arg) < 0)
		return -1;
	free(*list);
	*list = n;
	return 0;
}

static int apply(struct zusd_config *cfg, int c, const char *arg,
		 char **plugins)
{
	switch (c) {
	case 'p':
		return add_plugin_arg(plugins, arg);
	case 'P':
		return zusd_config_set(cfg, "plugin_path", arg, "--plugin-path");
	case 'n':
		return zusd_config_set(cfg, "channels", arg, "--channels");
	case 'b':
		return zusd_config_set(cfg, "command_buffer", arg,
				       "--command-buffer");
	case 'l':
		return zusd_config_set(cfg, "log_level", arg, "--log-level");
	case 'v':
		return zusd_config_set(cfg, "log_level", "debug", "--verbose");
	case 'q':
		return zusd_config_set(cfg, "log_level", "error", "--quiet");
	case 'r':
		return zusd_config_set(cfg, "zuf_root", arg, "--zuf-root");
	}
	return 0;
}

/* Pass 2: everything else, over the config file's values. */
static int second_pass(int argc, char **argv, struct zusd_config *cfg)
{
	char *plugins = NULL;
	bool have_path = false;
	const char *env;
	int c, err = 0;

	optind = 0;
	opterr = 0;
	while (!err &&
	       (c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
		err = apply(cfg, c, optarg, &plugins);
		have_path |= c == 'P';
	}
	if (!err && plugins)
		err = zusd_config_set(cfg, "plugins", plugins, "--plugin");
	free(plugins);
	env = getenv("ZUS_PLUGIN_PATH");
	if (!err && !have_path && env && *env)
		err = zusd_config_set(cfg, "plugin_path", env, "ZUS_PLUGIN_PATH");
	return err ? ZUSD_EXIT_USAGE : ZUSD_RUN;
}

int zusd_options(int argc, char **argv, struct zusd_config *cfg)
{
	const char *config = NULL;
	int rc = first_pass(argc, argv, &config);

	if (rc != ZUSD_RUN)
		return rc;
	if (zusd_config_read(cfg, config ? config : ZUSD_DEFAULT_CONFIG,
			     config != NULL))
		return ZUSD_EXIT_USAGE;
	return second_pass(argc, argv, cfg);
}
