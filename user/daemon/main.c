// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xskflowd: read the config, set up steering and pollers, serve the control socket, reload
 * on SIGHUP and tear everything down in reverse order on SIGTERM/SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "xskflowd.h"

#define DEFAULT_CONFIG	"/etc/xskflow/xskflowd.conf"
#define MAX_POLLFDS	16

struct daemon {
	struct runtime rt;
	struct ctl *ctl;
	struct metrics *metrics;
	int sfd, tfd;
	bool debug;
	char config[PATH_MAX];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " XFD_NAME " [-c FILE] [-n] [-d]\n"
		"  -c, --config FILE  configuration (default " DEFAULT_CONFIG ")\n"
		"  -n, --check        check the configuration, print 'configuration OK' or every\n"
		"                     error, and exit (status 1 on errors)\n"
		"  -d, --debug        log at debug level whatever the configuration says\n"
		"      --keys         print every configuration key with its type and default\n"
		"  -V, --version      print the version\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM or SIGINT stops.\n"
		"Control: 'xskflow ctl [-s SOCKET] status|stats|rules|reload'.\n");
}

static void print_errors(const struct cfg_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
}

static int signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so that pollers inherit the mask and every
	 * signal reaches the signalfd. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void timer_arm(int fd, unsigned int seconds)
{
	struct itimerspec its = {
		.it_value.tv_sec = seconds,
		.it_interval.tv_sec = seconds,
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void log_running(struct daemon *d)
{
	size_t queues, rules;

	runtime_counts(&d->rt, &queues, &rules);
	/* Tests and scripts wait for this line before sending traffic. */
	log_info("running with %zu interface(s), %zu queue(s), %zu rule(s), %zu handler(s); "
		 "control socket %s", d->rt.n_ifaces, queues, rules, d->rt.n_handlers,
		 ctl_path(d->ctl));
}

/* A new metrics address: listen there first; on failure keep serving the old one. */
static void metrics_switch(struct daemon *d)
{
	const char *addr = d->rt.cfg.daemon.metrics;
	struct metrics *m = NULL;
	char err[512];

	if (*addr) {
		m = metrics_open(addr, &d->rt, err, sizeof(err));
		if (!m) {
			log_err("reload: %s; metrics stay %s%s", err, d->metrics ? "on " : "off",
				metrics_addr(d->metrics));
			return;
		}
	}
	metrics_close(d->metrics);
	d->metrics = m;
}

/* A reload refused for one reason: logged, and the only error of the reply. */
static void one_error(struct cfg_errors *errs, const char *msg)
{
	log_err("%s", msg);
	errs->msg = calloc(1, sizeof(*errs->msg));
	if (errs->msg && (errs->msg[0] = strdup(msg)))
		errs->n = 1;
}

static json_object *reload(struct daemon *d, const char *why)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	char old_sock[CFG_SUN_PATH], err[PATH_MAX + 256];
	struct cfg_errors errs = {};
	struct config cfg;
	int ret;

	log_info("reload (%s): reading %s", why, d->config);
	snprintf(old_sock, sizeof(old_sock), "%s", d->rt.cfg.daemon.control_socket);
	ret = config_load(d->config, &cfg, &errs);
	if (ret) {
		for (size_t i = 0; i < errs.n; i++)
			log_err("%s", errs.msg[i]);
	} else if (strcmp(cfg.daemon.user, d->rt.cfg.daemon.user)) {
		/* Dropped privileges do not come back. */
		char msg[PATH_MAX + 256];

		ret = -EPERM;
		snprintf(msg, sizeof(msg), "%s:%u: user: changed from '%s' to '%s'; restart the "
			 "daemon to apply", d->config, config_daemon_line(&cfg, "user"),
			 d->rt.cfg.daemon.user,
			 cfg.daemon.user);
		one_error(&errs, msg);
	} else if ((ret = privdrop_reload_check(&cfg, err, sizeof(err)))) {
		one_error(&errs, err);
	} else {
		xf_set_pin_limit(cfg.daemon.pinned_limit);
		ret = runtime_apply(&d->rt, &cfg, &errs);
	}
	if (ret) {
		xf_set_pin_limit(d->rt.cfg.daemon.pinned_limit);
		config_free(&cfg);
		d->rt.reload_failures++;
		log_err("reload failed; the previous configuration keeps running");
	} else {
		d->rt.reloads++;
		if (!d->debug)
			xfd_log_set_level(d->rt.cfg.daemon.log_level);
		timer_arm(d->tfd, d->rt.cfg.daemon.stats_interval);
		if (strcmp(old_sock, d->rt.cfg.daemon.control_socket)) {
			struct ctl *c = ctl_open(d->rt.cfg.daemon.control_socket, err, sizeof(err));

			if (c) {
				ctl_close(d->ctl);
				d->ctl = c;
			} else {
				log_err("reload: %s; still listening on %s", err, old_sock);
			}
		}
		if (strcmp(metrics_addr(d->metrics), d->rt.cfg.daemon.metrics))
			metrics_switch(d);
		log_info("reload done");
		log_running(d);
	}
	for (size_t i = 0; i < errs.n; i++)
		json_object_array_add(a, json_object_new_string(errs.msg[i]));
	json_object_object_add(o, "ok", json_object_new_boolean(!ret));
	json_object_object_add(o, "errors", a);
	cfg_errors_free(&errs);
	return o;
}

static json_object *on_request(void *ctx, const char *cmd)
{
	struct daemon *d = ctx;
	json_object *o = NULL;

	log_dbg("control socket: '%s'", cmd);
	if (!strcmp(cmd, "status"))
		o = runtime_status(&d->rt);
	else if (!strcmp(cmd, "stats"))
		o = runtime_stats(&d->rt);
	else if (!strcmp(cmd, "rules"))
		o = runtime_rules(&d->rt);
	else if (!strcmp(cmd, "reload"))
		return reload(d, "control socket");
	if (o) {
		json_object_object_add(o, "ok", json_object_new_boolean(true));
		return o;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(
				       "unknown request; expected status, stats, rules or reload"));
	return o;
}

/* The control loop: signals, the stats timer and the control socket. Returns on SIGTERM
 * or SIGINT. */
static void run(struct daemon *d)
{
	for (;;) {
		struct pollfd fds[MAX_POLLFDS] = {
			{ .fd = d->sfd, .events = POLLIN },
			{ .fd = d->tfd, .events = POLLIN },
		};
		int nm = metrics_pollfd(d->metrics, &fds[2]);
		int n = 2 + nm + ctl_pollfds(d->ctl, fds + 2 + nm, MAX_POLLFDS - 2 - nm);

		if (poll(fds, n, 1000) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return;
		}
		if (fds[0].revents) {
			struct signalfd_siginfo si;

			while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					json_object_put(reload(d, "SIGHUP"));
				} else {
					log_info("%s: shutting down", strsignal(si.ssi_signo));
					return;
				}
			}
		}
		if (fds[1].revents) {
			__u64 ticks;

			if (read(d->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
				runtime_log_stats(&d->rt);
		}
		/* Also without events: it expires idle connections. */
		metrics_serve(d->metrics);
		ctl_serve(d->ctl, fds + 2 + nm, n - 2 - nm, on_request, d);
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "keys", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct daemon d = { .sfd = -1, .tfd = -1, .rt.barrier_fd = { -1, -1 } };
	const char *config = DEFAULT_CONFIG;
	struct cfg_errors errs = {};
	bool check = false;
	char err[512];
	struct config cfg;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "c:ndVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'n': check = true; break;
		case 'd': d.debug = true; break;
		case 'K': config_print_keys(stdout); return 0;
		case 'V': printf(XFD_NAME " %s\n", XSKFLOW_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, XFD_NAME ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	/* Reloads read the same file whatever the working directory. */
	if (!realpath(config, d.config))
		snprintf(d.config, sizeof(d.config), "%s", config);

	if (config_load(d.config, &cfg, &errs)) {
		print_errors(&errs);
		cfg_errors_free(&errs);
		config_free(&cfg);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		config_free(&cfg);
		return 0;
	}
	xfd_log_set_level(d.debug ? LOG_LVL_DEBUG : cfg.daemon.log_level);
	xfd_log_library();
	/* The library's guard follows the config (XSKFLOW_PIN_LIMIT still overrides it). */
	xf_set_pin_limit(cfg.daemon.pinned_limit);

	if (*cfg.daemon.user && privdrop_check(cfg.daemon.user, &cfg, d.config,
					       cfg.daemon.control_socket, err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	d.sfd = signals_block();
	d.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d.sfd < 0 || d.tfd < 0) {
		log_err("cannot create the signal or timer descriptor: %s", strerror(errno));
		goto out;
	}
	d.ctl = ctl_open(cfg.daemon.control_socket, err, sizeof(err));
	if (!d.ctl) {
		log_err("%s", err);
		goto out;
	}
	/* Pollers start after the privilege drop: they inherit this thread's capabilities. */
	d.rt.hold_pollers = true;
	if (runtime_apply(&d.rt, &cfg, &errs)) {
		log_err("cannot start; nothing is left attached");
		goto out;
	}
	/* Bound before the drop, like the control socket. */
	if (*d.rt.cfg.daemon.metrics) {
		d.metrics = metrics_open(d.rt.cfg.daemon.metrics, &d.rt, err, sizeof(err));
		if (!d.metrics) {
			log_err("%s", err);
			goto out;
		}
	}
	if (*d.rt.cfg.daemon.user &&
	    privdrop(d.rt.cfg.daemon.user, &d.rt, ctl_path(d.ctl), err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	if (runtime_start_pollers(&d.rt)) {
		log_err("cannot start; nothing is left attached");
		goto out;
	}
	timer_arm(d.tfd, d.rt.cfg.daemon.stats_interval);
	log_running(&d);
	run(&d);
	ret = 0;
out:
	/* Reverse order: no more requests, then pollers, sockets, programs, memory. */
	metrics_close(d.metrics);
	ctl_close(d.ctl);
	runtime_stop(&d.rt);
	config_free(&cfg);
	cfg_errors_free(&errs);
	if (d.tfd >= 0)
		close(d.tfd);
	if (d.sfd >= 0)
		close(d.sfd);
	if (!ret)
		log_info("stopped; nothing left attached");
	return ret;
}
