/* SPDX-License-Identifier: MIT */
/*
 * The daemon's memory: malloc tuned for a small, long-lived, single-threaded
 * process, and what start-up needed handed back once the collectors run
 * (docs/memory.md).
 */
#ifndef JD_MEM_H
#define JD_MEM_H

/* First thing in main(): before anything allocates. */
void mem_init(void);
/* Once the collectors run (and after a reload): give back what start-up used. */
void mem_settle(void);

#endif
