// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pcap handler: packets written to a pcap file through libpcap, a new file past a size
 * (FILE.1, FILE.2, ... oldest first), rotated files gzip-compressed by a worker thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <pcap/pcap.h>
#include <zlib.h>
#include "xskflowd.h"

#define PCAP_REC_HDR	16	/* bytes of a record header in the file */
#define GZ_CHUNK	65536

struct pcap_priv {
	struct handler *h;
	pthread_mutex_t lock;		/* one file, written from every poller feeding it */
	pcap_t *dead;
	pcap_dumper_t *dumper;
	unsigned long long file_bytes;
	unsigned int seq;		/* the last rotated file is FILE.seq */
	bool write_failed;
	__u8 *gather;			/* a chain's first snaplen bytes, in one piece */
	__u32 gather_len;
	atomic_ullong written, rotations, compressed, write_errors;
	/* Compression happens off the packet path. */
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	char **queue;
	size_t qn;
	bool quit;
};

static void rotated_name(const struct pcap_priv *pp, unsigned int n, bool gz, char *buf,
			 size_t len)
{
	snprintf(buf, len, "%s.%u%s", pp->h->conf.file, n, gz ? ".gz" : "");
}

static int gzip_file(const char *src)
{
	char dst[PATH_MAX + 8], tmp[PATH_MAX + 16];
	unsigned char *buf = malloc(GZ_CHUNK);
	FILE *in = fopen(src, "re");
	gzFile out = NULL;
	int err = 0;
	size_t n;

	snprintf(dst, sizeof(dst), "%s.gz", src);
	snprintf(tmp, sizeof(tmp), "%s.gz.tmp", src);
	if (!buf || !in) {
		err = buf ? -errno : -ENOMEM;
		goto out;
	}
	out = gzopen(tmp, "wbe6");
	if (!out) {
		err = -errno ? -errno : -EIO;
		goto out;
	}
	while ((n = fread(buf, 1, GZ_CHUNK, in)) > 0) {
		if (gzwrite(out, buf, (unsigned int)n) != (int)n) {
			err = -EIO;
			goto out;
		}
	}
	if (ferror(in))
		err = -EIO;
out:
	if (out && gzclose(out) != Z_OK && !err)
		err = -EIO;
	if (in)
		fclose(in);
	free(buf);
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		unlink(src);
	return err;
}

static void *compress_worker(void *arg)
{
	struct pcap_priv *pp = arg;

	pthread_mutex_lock(&pp->qlock);
	for (;;) {
		char *file;
		int err;

		while (!pp->qn && !pp->quit)
			pthread_cond_wait(&pp->qcond, &pp->qlock);
		if (!pp->qn)
			break;		/* quit, and nothing left to do */
		file = pp->queue[0];
		memmove(pp->queue, pp->queue + 1, --pp->qn * sizeof(*pp->queue));
		pthread_mutex_unlock(&pp->qlock);
		err = gzip_file(file);
		if (err)
			log_warn("handler '%s': cannot compress '%s': %s; it stays uncompressed",
				 pp->h->conf.name, file, strerror(-err));
		else
			atomic_fetch_add(&pp->compressed, 1);
		free(file);
		pthread_mutex_lock(&pp->qlock);
	}
	pthread_mutex_unlock(&pp->qlock);
	return NULL;
}

static void queue_compress(struct pcap_priv *pp, const char *file)
{
	char *copy = strdup(file), **q;

	pthread_mutex_lock(&pp->qlock);
	q = copy ? realloc(pp->queue, (pp->qn + 1) * sizeof(*q)) : NULL;
	if (q) {
		pp->queue = q;
		pp->queue[pp->qn++] = copy;
		pthread_cond_signal(&pp->qcond);
	} else {
		free(copy);
	}
	pthread_mutex_unlock(&pp->qlock);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* Open FILE, appending when it already holds a capture (a restart keeps what it had). */
static int open_file(struct pcap_priv *pp, char *err, size_t len)
{
	const char *file = pp->h->conf.file;

	pp->dumper = pcap_dump_open_append(pp->dead, file);
	if (!pp->dumper) {
		snprintf(err, len, "handler '%s': cannot open '%s': %s", pp->h->conf.name, file,
			 pcap_geterr(pp->dead));
		return -EIO;
	}
	pp->file_bytes = (unsigned long long)pcap_dump_ftell64(pp->dumper);
	return 0;
}

/* Called with the lock held. */
static void rotate(struct pcap_priv *pp)
{
	const struct cfg_handler *c = &pp->h->conf;
	char to[PATH_MAX + 16], err[512];

	pcap_dump_close(pp->dumper);
	pp->dumper = NULL;
	rotated_name(pp, ++pp->seq, false, to, sizeof(to));
	if (rename(c->file, to)) {
		log_warn("handler '%s': cannot rename '%s' to '%s': %s", c->name, c->file, to,
			 strerror(errno));
	} else {
		atomic_fetch_add(&pp->rotations, 1);
		if (c->compress)
			queue_compress(pp, to);
	}
	if (c->rotate_count && pp->seq > c->rotate_count) {
		char old[PATH_MAX + 16];

		rotated_name(pp, pp->seq - c->rotate_count, false, old, sizeof(old));
		unlink(old);
		rotated_name(pp, pp->seq - c->rotate_count, true, old, sizeof(old));
		unlink(old);
	}
	if (open_file(pp, err, sizeof(err)) && !pp->write_failed) {
		pp->write_failed = true;
		log_err("%s; packets for it are dropped", err);
	}
}

static int pcap_h_open(struct handler *h, char *err, size_t len)
{
	struct pcap_priv *pp = calloc(1, sizeof(*pp));
	char name[PATH_MAX + 16];
	int ret;

	if (!pp) {
		snprintf(err, len, "handler '%s': out of memory", h->conf.name);
		return -ENOMEM;
	}
	pp->h = h;
	pthread_mutex_init(&pp->lock, NULL);
	pthread_mutex_init(&pp->qlock, NULL);
	pthread_cond_init(&pp->qcond, NULL);
	/* A chain is at most XF_PKT_MAX_SEGS frames of at most 4096 bytes. */
	pp->gather_len = h->conf.snaplen < XF_PKT_MAX_SEGS * 4096 ? h->conf.snaplen :
								     XF_PKT_MAX_SEGS * 4096;
	pp->gather = malloc(pp->gather_len);
	if (!pp->gather) {
		snprintf(err, len, "handler '%s': out of memory", h->conf.name);
		ret = -ENOMEM;
		goto err;
	}
	pp->dead = pcap_open_dead(DLT_EN10MB, (int)h->conf.snaplen);
	if (!pp->dead) {
		snprintf(err, len, "handler '%s': libpcap: cannot create a capture handle",
			 h->conf.name);
		ret = -ENOMEM;
		goto err;
	}
	ret = open_file(pp, err, len);
	if (ret)
		goto err;
	/* Continue the numbering of files rotated before a restart. */
	for (;;) {
		char gz[PATH_MAX + 16];

		rotated_name(pp, pp->seq + 1, false, name, sizeof(name));
		rotated_name(pp, pp->seq + 1, true, gz, sizeof(gz));
		if (!exists(name) && !exists(gz))
			break;
		pp->seq++;
	}
	if (h->conf.compress) {
		ret = -pthread_create(&pp->worker, NULL, compress_worker, pp);
		if (ret) {
			snprintf(err, len, "handler '%s': cannot start the compression thread: %s",
				 h->conf.name, strerror(-ret));
			pcap_dump_close(pp->dumper);
			goto err;
		}
		pp->worker_started = true;
	}
	h->priv = pp;
	return 0;
err:
	if (pp->dead)
		pcap_close(pp->dead);
	free(pp->gather);
	free(pp);
	return ret;
}

static void pcap_burst(struct handler *h, const struct xskflowd_ctx *ctx,
		       struct xskflowd_pkt *pkts, unsigned int n)
{
	struct pcap_priv *pp = h->priv;
	const struct cfg_handler *c = &h->conf;
	struct pcap_pkthdr hdr;
	struct timeval now;

	gettimeofday(&now, NULL);
	pthread_mutex_lock(&pp->lock);
	for (unsigned int i = 0; i < n && pp->dumper; i++) {
		const struct xskflowd_chain *ch = ctx->chains ? &ctx->chains[i] : NULL;
		const void *data = pkts[i].data;

		hdr.ts = now;
		hdr.len = ch ? ch->len : pkts[i].len;
		hdr.caplen = hdr.len < c->snaplen ? hdr.len : c->snaplen;
		/* One record per packet: a chain's segments gathered up to the snaplen. */
		if (ch && ch->nsegs > 1) {
			__u32 off = 0;

			if (hdr.caplen > pp->gather_len)
				hdr.caplen = pp->gather_len;
			for (__u32 s = 0; s < ch->nsegs && off < hdr.caplen; s++) {
				__u32 l = ch->segs[s].len < hdr.caplen - off ? ch->segs[s].len :
									       hdr.caplen - off;

				memcpy(pp->gather + off, ch->segs[s].data, l);
				off += l;
			}
			data = pp->gather;
		}
		pcap_dump((u_char *)pp->dumper, &hdr, data);
		pp->file_bytes += PCAP_REC_HDR + hdr.caplen;
		atomic_fetch_add_explicit(&pp->written, 1, memory_order_relaxed);
		if (c->rotate_size && pp->file_bytes >= c->rotate_size)
			rotate(pp);
	}
	/* Whole records on disk after every burst: the file is readable while we run. */
	if (pp->dumper && pcap_dump_flush(pp->dumper)) {
		atomic_fetch_add(&pp->write_errors, 1);
		if (!pp->write_failed) {
			pp->write_failed = true;
			log_err("handler '%s': writing '%s' failed: %s", c->name, c->file,
				strerror(errno));
		}
	}
	pthread_mutex_unlock(&pp->lock);
}

static void pcap_close_handler(struct handler *h)
{
	struct pcap_priv *pp = h->priv;

	if (pp->dumper)
		pcap_dump_close(pp->dumper);
	if (pp->worker_started) {
		pthread_mutex_lock(&pp->qlock);
		pp->quit = true;
		pthread_cond_signal(&pp->qcond);
		pthread_mutex_unlock(&pp->qlock);
		pthread_join(pp->worker, NULL);
	}
	for (size_t i = 0; i < pp->qn; i++)
		free(pp->queue[i]);
	free(pp->queue);
	pcap_close(pp->dead);
	free(pp->gather);
	pthread_mutex_destroy(&pp->lock);
	pthread_mutex_destroy(&pp->qlock);
	pthread_cond_destroy(&pp->qcond);
	free(pp);
}

static void pcap_h_stats(struct handler *h, json_object *o)
{
	struct pcap_priv *pp = h->priv;

	json_object_object_add(o, "file", json_object_new_string(h->conf.file));
	json_object_object_add(o, "written", json_object_new_uint64(atomic_load(&pp->written)));
	json_object_object_add(o, "rotations", json_object_new_uint64(atomic_load(&pp->rotations)));
	json_object_object_add(o, "compressed", json_object_new_uint64(atomic_load(&pp->compressed)));
	json_object_object_add(o, "write_errors",
			       json_object_new_uint64(atomic_load(&pp->write_errors)));
}

const struct handler_ops pcap_ops = {
	.type = HT_PCAP,
	.open = pcap_h_open,
	.burst = pcap_burst,
	.close = pcap_close_handler,
	.stats = pcap_h_stats,
};
