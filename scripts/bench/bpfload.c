// SPDX-License-Identifier: MIT
/*
 * bpfload OBJ...: load BPF objects, attach every program, print "ready", and
 * hold them until killed. The benchmarks use it to run the calibration
 * programs of scripts/bench/empty.bpf.c beside jitterd's.
 */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bpfload OBJ...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj = bpf_object__open_file(argv[i], NULL);
		struct bpf_program *prog;

		if (!obj || bpf_object__load(obj)) {
			fprintf(stderr, "bpfload: cannot load %s\n", argv[i]);
			return 1;
		}
		bpf_object__for_each_program (prog, obj) {
			if (!bpf_program__attach(prog)) {
				fprintf(stderr, "bpfload: cannot attach %s\n",
					bpf_program__name(prog));
				return 1;
			}
		}
	}
	puts("ready");
	fflush(stdout);
	pause();
	return 0;
}
