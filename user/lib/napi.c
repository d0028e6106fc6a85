// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NAPI co-scheduling: when the NAPI thread of a queue shares a CPU with the thread that
 * polls the queue's socket, the NAPI thread is given the lowest priority (nice 19), so it
 * runs while the poller sleeps and is preempted as soon as the poller has packets to take.
 * The kernel then never does receive work (an skb converted, the program run, a copy into
 * the UMEM) for packets the application cannot absorb: with the poller behind at equal
 * priority, the NAPI thread fills the RX ring and keeps running only to drop at "RX ring
 * full" while the poller waits for the CPU. Excess load stays in the driver's queue, where
 * dropping (or pushing back on the sender) is cheap.
 *
 * Threads are lowered once per process (ports on one queue share its NAPI thread) and put
 * back when the last port using them closes, unless someone else changed them meanwhile. */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include "xf_internal.h"
#include "xskflow/sysinfo.h"

#define NAPI_YIELD_NICE 19
#define NAPI_MAX_LOWERED 32

static struct lowered {
	int pid;
	int nice_was;
	unsigned int refs;
} lowered[NAPI_MAX_LOWERED];
static pthread_mutex_t lowered_lock = PTHREAD_MUTEX_INITIALIZER;

static struct lowered *lowered_find(int pid)
{
	for (int i = 0; i < NAPI_MAX_LOWERED; i++)
		if (lowered[i].refs && lowered[i].pid == pid)
			return &lowered[i];
	return NULL;
}

static struct lowered *lowered_new(void)
{
	for (int i = 0; i < NAPI_MAX_LOWERED; i++)
		if (!lowered[i].refs)
			return &lowered[i];
	return NULL;
}

static int lower(int pid, const char *ifname, __u32 queue)
{
	struct lowered *l = lowered_find(pid);
	int nice, err;

	if (l) {
		l->refs++;
		return 0;
	}
	l = lowered_new();
	if (!l) {
		xf_err("interface '%s' queue %u: more than %d NAPI threads lowered by this process",
		       ifname, queue, NAPI_MAX_LOWERED);
		return -ENOSPC;
	}
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)pid);
	if (nice == -1 && errno) {
		err = -errno;
		xf_err("interface '%s' queue %u: cannot read the priority of its NAPI thread (pid "
		       "%d): %s", ifname, queue, pid, strerror(-err));
		return err;
	}
	/* Lowering a thread of our own user needs nothing; raising it back does. */
	if (nice < NAPI_YIELD_NICE && !xf_have_cap(CAP_SYS_NICE)) {
		xf_err("interface '%s' queue %u: NAPI yielding needs CAP_SYS_NICE to put the NAPI "
		       "thread (pid %d) back to nice %d afterwards; grant it or turn yielding off",
		       ifname, queue, pid, nice);
		return -EPERM;
	}
	if (setpriority(PRIO_PROCESS, (id_t)pid, NAPI_YIELD_NICE)) {
		err = -errno;
		xf_err("interface '%s' queue %u: cannot lower the priority of its NAPI thread (pid "
		       "%d): %s; NAPI yielding needs CAP_SYS_NICE, or turn it off", ifname, queue,
		       pid, strerror(-err));
		return err;
	}
	*l = (struct lowered){ .pid = pid, .nice_was = nice, .refs = 1 };
	xf_info("interface '%s' queue %u: NAPI thread pid %d lowered from nice %d to %d: it runs "
		"while this thread sleeps", ifname, queue, pid, nice, NAPI_YIELD_NICE);
	return 0;
}

int xf_napi_yield(const char *ifname, __u32 queue, int *pid_out)
{
	cpu_set_t mine, its, both;
	int pid, policy, err;

	*pid_out = 0;
	pid = xf_sysinfo_napi_thread(ifname, queue);
	if (pid == -ENOENT) {
		xf_err("interface '%s' queue %u: the driver does not say which of its NAPI threads "
		       "serves this queue; turn NAPI yielding off (or use one queue)", ifname,
		       queue);
		return pid;
	}
	if (pid < 0) {
		xf_err("interface '%s' queue %u: cannot find its NAPI thread: %s; NAPI yielding "
		       "needs Linux 6.8+ (netdev napi-get), or turn it off", ifname, queue,
		       strerror(-pid));
		return pid;
	}
	if (pid == 0) {
		xf_info("interface '%s' queue %u: NAPI runs in softirq context (threaded NAPI "
			"off): nothing to yield", ifname, queue);
		return 0;
	}
	if (sched_getaffinity(0, sizeof(mine), &mine) ||
	    sched_getaffinity(pid, sizeof(its), &its)) {
		err = -errno;
		xf_err("interface '%s' queue %u: cannot read the CPUs of its NAPI thread (pid %d) "
		       "or of this thread: %s", ifname, queue, pid, strerror(-err));
		return err;
	}
	CPU_AND(&both, &mine, &its);
	if (!CPU_COUNT(&both)) {
		xf_info("interface '%s' queue %u: NAPI thread pid %d runs on other CPUs than this "
			"thread: left as it is", ifname, queue, pid);
		return 0;
	}
	policy = sched_getscheduler(pid);
	if (policy != SCHED_OTHER && policy != SCHED_BATCH) {
		xf_err("interface '%s' queue %u: NAPI thread pid %d %s; NAPI yielding works on "
		       "SCHED_OTHER threads: put it back (chrt -o -p 0 %d) or turn yielding off",
		       ifname, queue, pid, policy < 0 ? "has no readable policy" :
		       policy == SCHED_FIFO ? "runs under SCHED_FIFO" :
		       policy == SCHED_RR ? "runs under SCHED_RR" : "has a real-time policy", pid);
		return -EPERM;
	}
	pthread_mutex_lock(&lowered_lock);
	err = lower(pid, ifname, queue);
	pthread_mutex_unlock(&lowered_lock);
	if (!err)
		*pid_out = pid;
	return err;
}

void xf_napi_unyield(int pid)
{
	struct lowered *l;

	if (!pid)
		return;
	pthread_mutex_lock(&lowered_lock);
	l = lowered_find(pid);
	if (l && --l->refs == 0) {
		/* Only undo our own change: the thread may be gone, or re-set by someone. */
		errno = 0;
		if (getpriority(PRIO_PROCESS, (id_t)pid) == NAPI_YIELD_NICE && !errno &&
		    setpriority(PRIO_PROCESS, (id_t)pid, l->nice_was))
			xf_warn("NAPI thread pid %d: cannot put its nice %d back: %s", pid,
				l->nice_was, strerror(errno));
	}
	pthread_mutex_unlock(&lowered_lock);
}
