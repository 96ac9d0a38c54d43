/* SPDX-License-Identifier: MIT */
/* What jitterd serves over HTTP: the route table handed to http_init(). */
#ifndef JD_PAGES_H
#define JD_PAGES_H

#include "http/http.h"

extern const struct http_route pages[];
extern const unsigned n_pages;

void pages_finish(void);

#endif
