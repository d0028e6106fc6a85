// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NAPI co-scheduling. When the NAPI thread of a queue shares a CPU with the thread that
 * polls the queue's socket, the poller is made SCHED_FIFO (priority 1, the lowest real-time
 * one): it preempts the NAPI thread as soon as it has packets to take, and the NAPI thread
 * runs while the poller sleeps in poll(), at its own priority against everything else. At
 * equal priority the NAPI thread keeps filling a full RX ring and drops what it has just
 * paid to receive (an skb converted, the program run, a copy into the UMEM) while the
 * poller waits for the CPU; yielded, excess load stays in the driver's queue, where
 * dropping, or pushing back on the sender, is cheap.
 *
 * The NAPI thread itself is left alone: lowering it instead would also put it behind every
 * other task on that CPU, and it starves as soon as anything else runs there.
 *
 * Threads are raised once per process (ports one thread polls share it) and put back when
 * the last port using them closes, unless someone changed them meanwhile. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include "xf_internal.h"
#include "xskflow/sysinfo.h"

#define YIELD_RT_PRIO 1
#define MAX_RAISED 64

static struct raised {
	pid_t tid;
	unsigned long long started;	/* with tid, names the thread: tids are reused */
	int policy_was;
	struct sched_param param_was;
	unsigned int refs;
} raised[MAX_RAISED];
static pthread_mutex_t raised_lock = PTHREAD_MUTEX_INITIALIZER;

/* When thread @tid of this process started (clock ticks since boot), 0 if it is gone. */
static unsigned long long thread_started(pid_t tid)
{
	char path[64], buf[512], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* Field 22; the command in field 2 may hold spaces, so count after its ')'. */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			  "%*d %*d %*d %llu", &t) != 1)
		t = 0;
	fclose(f);
	return t;
}

static const char *policy_str(int policy)
{
	switch (policy) {
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	default: return "an unknown policy";
	}
}

static bool realtime(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static struct raised *raised_find(pid_t tid, unsigned long long started)
{
	for (int i = 0; i < MAX_RAISED; i++)
		if (raised[i].refs && raised[i].tid == tid && raised[i].started == started)
			return &raised[i];
	return NULL;
}

static bool is_yield_fifo(pid_t tid)
{
	struct sched_param sp;

	return sched_getscheduler(tid) == SCHED_FIFO && !sched_getparam(tid, &sp) &&
	       sp.sched_priority == YIELD_RT_PRIO;
}

/* Make the calling thread SCHED_FIFO YIELD_RT_PRIO (or count one more user). */
static int raise_self(const char *ifname, __u32 queue, int napi_pid, pid_t *tid_out,
		      unsigned long long *started_out)
{
	struct sched_param rt = { .sched_priority = YIELD_RT_PRIO }, was;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	unsigned long long started = thread_started(tid);
	struct raised *r = raised_find(tid, started);
	int policy, err;

	if (r) {
		/* Raised for another port already (and set back to FIFO 1 should someone
		 * have changed it since). */
		if (!is_yield_fifo(0) && sched_setscheduler(0, SCHED_FIFO, &rt)) {
			err = -errno;
			xf_err("interface '%s' queue %u: cannot make this thread SCHED_FIFO again: "
			       "%s", ifname, queue, strerror(-err));
			return err;
		}
		r->refs++;
		*tid_out = tid;
		*started_out = started;
		return 0;
	}
	policy = sched_getscheduler(0);
	if (policy < 0 || sched_getparam(0, &was)) {
		err = -errno;
		xf_err("interface '%s' queue %u: cannot read this thread's scheduling policy: %s",
		       ifname, queue, strerror(-err));
		return err;
	}
	if (realtime(policy)) {
		xf_info("interface '%s' queue %u: this thread runs %s already: it preempts the "
			"NAPI thread (pid %d)", ifname, queue, policy_str(policy), napi_pid);
		return 0;
	}
	/* Entries of threads that are gone (their ports outlived them) are free. */
	for (r = raised; r < raised + MAX_RAISED && r->refs &&
	     thread_started(r->tid) == r->started; r++)
		;
	if (r == raised + MAX_RAISED) {
		xf_err("interface '%s' queue %u: more than %d poller threads yielding to NAPI in "
		       "this process", ifname, queue, MAX_RAISED);
		return -ENOSPC;
	}
	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		err = -errno;
		xf_err("interface '%s' queue %u: cannot make this thread SCHED_FIFO to yield the "
		       "CPU to NAPI only while it sleeps: %s; NAPI yielding needs CAP_SYS_NICE "
		       "(or RLIMIT_RTPRIO >= %d), or turn it off", ifname, queue, strerror(-err),
		       YIELD_RT_PRIO);
		return err;
	}
	*r = (struct raised){ .tid = tid, .started = started, .policy_was = policy,
			      .param_was = was, .refs = 1 };
	*tid_out = tid;
	*started_out = started;
	xf_info("interface '%s' queue %u: this thread (tid %d) now runs SCHED_FIFO %d: it "
		"preempts the NAPI thread (pid %d), which runs while it sleeps", ifname, queue,
		tid, YIELD_RT_PRIO, napi_pid);
	return 0;
}

int xf_napi_yield(const char *ifname, __u32 queue, int *napi_out, pid_t *tid_out,
		  unsigned long long *started_out)
{
	cpu_set_t mine, its, both;
	int pid, policy, err;

	*napi_out = 0;
	*tid_out = 0;
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
			"off): nothing to yield to", ifname, queue);
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
			"thread: nothing to yield", ifname, queue, pid);
		return 0;
	}
	policy = sched_getscheduler(pid);
	if (policy < 0 || realtime(policy)) {
		xf_err("interface '%s' queue %u: NAPI thread pid %d %s%s; NAPI yielding works "
		       "with a SCHED_OTHER NAPI thread: put it back (chrt -o -p 0 %d) or turn "
		       "yielding off", ifname, queue, pid, policy < 0 ? "has no readable policy" :
		       "runs under ", policy < 0 ? "" : policy_str(policy), pid);
		return -EPERM;
	}
	pthread_mutex_lock(&raised_lock);
	err = raise_self(ifname, queue, pid, tid_out, started_out);
	pthread_mutex_unlock(&raised_lock);
	if (!err)
		*napi_out = pid;
	return err;
}

void xf_napi_unyield(pid_t tid, unsigned long long started)
{
	struct raised *r;

	if (!tid)
		return;
	pthread_mutex_lock(&raised_lock);
	r = raised_find(tid, started);
	if (r && --r->refs == 0) {
		/* Only undo our own change: the thread must be the one we raised (not gone,
		 * its tid not reused) and still as we left it. */
		if (thread_started(tid) == r->started && is_yield_fifo(tid) &&
		    sched_setscheduler(tid, r->policy_was, &r->param_was))
			xf_warn("thread %d: cannot put its scheduling policy back to %s: %s", tid,
				policy_str(r->policy_was), strerror(errno));
	}
	pthread_mutex_unlock(&raised_lock);
}
