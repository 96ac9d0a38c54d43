// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a capture file through jitterd's own reader (pcap/input.c):
 * classic pcap, pcapng block by block (interfaces, resolutions, offsets),
 * gzip and zstd streams; every record's bytes are touched, so that ASan
 * sees any read past what the reader handed out. The input goes to a
 * memfd, read by its /proc/self/fd path as a file would be; one input in
 * two is read ahead on a thread of its own (pcap/readahead.c).
 * Seeds: tests/fuzz/corpus/capfile/ (pcap, pcapng with two link types,
 * gzip, zstd).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pcap/input.h"
#include "pcap/libpcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1, null = -1, err = -1;
	struct cap_reader *r;
	struct cap_rec rec;
	char path[64];
	unsigned sum = 0;

	if (fd < 0) {
		if (pcap_lib_open())
			abort();
		fd = memfd_create("capfile", 0);
		null = open("/dev/null", O_WRONLY);
		err = dup(STDERR_FILENO);
		if (fd < 0 || null < 0 || err < 0)
			abort();
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* the reader's messages to nowhere, libFuzzer's (between runs) to stderr */
	fflush(stderr);
	dup2(null, STDERR_FILENO);
	if (cap_open(path, size >> 2 & 1, &r)) { /* read ahead on a thread, or not */
		fflush(stderr);
		dup2(err, STDERR_FILENO);
		return 0;
	}
	cap_set_hw_timestamp(r, (int)(size % 4));
	while (cap_next(r, &rec) == 1)
		for (uint32_t i = 0; i < rec.caplen; i++)
			sum += rec.data[i];
	(void)cap_error(r);
	(void)cap_offset(r);
	cap_close(r);
	fflush(stderr);
	dup2(err, STDERR_FILENO);
	return (int)(sum & 0);
}
