/* SPDX-License-Identifier: MIT */
/* `jitterd pcap`: the subcommand main.c hands argv to. */
#ifndef JD_PCAP_CMD_H
#define JD_PCAP_CMD_H

/* argv[0] is "pcap". Returns the exit code (cmd.c's header says which). */
int pcap_main(int argc, char **argv);

#endif
